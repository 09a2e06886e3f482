"""The preview of a campaign for a real member, and the test send to the staff member's own
address and phone. Both use the composer that writes the real messages."""

import uuid

from django.core.mail import EmailMultiAlternatives
from django.utils.translation import gettext as _

from campaigns.composer import compose, context_for
from campaigns.models import Campaign, Recipient
from members.models import Customer
from messaging.composers import Composed
from messaging.selectors import messaging_settings_read
from messaging.senders import EmailSender, SendError, sender_header
from messaging.vietguys import SmsSender
from shops.activity import activity_record
from shops.models import ActivityKind, User


def campaign_preview(*, campaign: Campaign, customer: Customer) -> dict[str, Composed]:
    """Each of the campaign's channels as the customer would get it (their own code once
    the campaign has made it; an example code before)."""
    context = context_for(campaign)
    recipient = Recipient.objects.filter(campaign=campaign, customer=customer).first()
    return {
        channel: compose(context=context, customer=customer, recipient=recipient, channel=channel)
        for channel in campaign.channels
    }


def campaign_test_send(
    *, campaign: Campaign, actor: User, customer: Customer, email: str, phone: str, ip: str | None
) -> dict[str, str]:
    """Send the preview for ``customer`` to the staff member's own email and phone, now.
    Channel -> "" when it went, or the reason it did not."""
    config = messaging_settings_read(campaign.shop)
    results: dict[str, str] = {}
    for channel, composed in campaign_preview(campaign=campaign, customer=customer).items():
        if composed.skip:
            results[channel] = composed.skip
            continue
        try:
            if channel == "email":
                if not email:
                    results[channel] = _("Your account has no email address: enter one to receive the test.")
                    continue
                message = EmailMultiAlternatives(
                    subject=_("[Test] %(subject)s") % {"subject": composed.subject},
                    body=composed.text,
                    from_email=sender_header(config),
                    to=[email],
                )
                if composed.html:
                    message.attach_alternative(composed.html, "text/html")
                with EmailSender(config) as sender:
                    sender.send(message)
            else:
                if not phone:
                    results[channel] = _("Enter your phone number to receive the test SMS.")
                    continue
                with SmsSender(config) as sms:
                    sms.send(phone=phone, text=composed.text, request_id=f"test-{uuid.uuid4().hex}")
        except SendError as failure:
            results[channel] = failure.reason
        else:
            results[channel] = ""
    activity_record(
        shop=campaign.shop,
        actor=actor,
        kind=ActivityKind.CAMPAIGN_TEST_SENT,
        target=campaign,
        target_label=campaign.name,
        summary=_("Test sent to %(to)s, as %(customer)s would get it")
        % {"to": ", ".join(filter(None, [email, phone])) or "—", "customer": customer.name or customer.phone},
        ip=ip,
    )
    return results
