"""Queueing messages: the one way a message enters the outbox (campaigns build on it).

Queueing is an insert under the unique (shop, source, customer, channel) constraint, so
queueing the same message again does nothing and returns the first one.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.text import is_email
from members.models import Customer
from messaging.models import Message
from messaging.sms import sms_size
from shops.activity import activity_record
from shops.models import ActivityKind, Shop, User

Channel = Message.Channel
Status = Message.Status


@dataclass(frozen=True)
class Queued:
    message: Message
    created: bool


def recipient_for(customer: Customer, channel: str) -> tuple[str, str]:
    """(address, why it cannot be sent) for the customer on the channel."""
    if channel == Channel.EMAIL:
        if not customer.email:
            return "", _("This customer has no email address.")
        if not is_email(customer.email):
            return customer.email, _("This customer's email address is not valid: %(email)s") % {
                "email": customer.email
            }
        if not customer.accepts_email:
            return customer.email, _("This customer does not accept email (unsubscribed).")
        return customer.email, ""
    if not customer.accepts_sms:
        return customer.phone, _("This customer does not accept SMS.")
    return customer.phone, ""


def personal_channel(customer: Customer) -> str:
    """The channel for a member's own message (a code they asked for): SMS when they accept
    it, else email when they have an address they accept mail at, else SMS (which the
    outbox then records as skipped, with the reason)."""
    if customer.accepts_sms:
        return Channel.SMS
    if customer.email and customer.accepts_email and is_email(customer.email):
        return Channel.EMAIL
    return Channel.SMS


def message_queue(
    *,
    shop: Shop,
    customer: Customer,
    channel: str,
    source: str,
    source_label: str,
    body: str,
    subject: str = "",
    actor: User | None = None,
    ip: str | None = None,
) -> Queued:
    """Queue one message; queueing the same (source, customer, channel) again returns the
    first one. A customer who cannot receive it gets a SKIPPED row that says why."""
    recipient, problem = recipient_for(customer, channel)
    message = Message(
        shop=shop,
        customer=customer,
        channel=channel,
        source=source,
        source_label=source_label,
        recipient=recipient,
        subject=subject if channel == Channel.EMAIL else "",
        body=body,
        sms_parts=sms_size(body).parts if channel == Channel.SMS else 0,
        status=Status.SKIPPED if problem else Status.QUEUED,
        error=problem,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            message.save()
            if actor is not None:
                activity_record(
                    shop=shop,
                    actor=actor,
                    kind=ActivityKind.MESSAGE_QUEUED,
                    target=customer,
                    target_label=customer.name or customer.phone,
                    summary=_("%(channel)s to %(recipient)s: %(what)s")
                    % {"channel": message.get_channel_display(), "recipient": recipient or "—", "what": source_label},
                    ip=ip,
                )
    except IntegrityError:
        existing = Message.objects.for_shop(shop).get(source=source, customer=customer, channel=channel)
        return Queued(existing, created=False)
    if not problem:
        from messaging.tasks import send_messages

        transaction.on_commit(lambda: send_messages.delay(shop.pk, channel))
    return Queued(message, created=True)
