"""What a campaign's message says to one customer, written just before it is sent (the
outbox's "campaign" composer) and for the preview and the test send.

The words come from the campaign's content and what is true at that moment: the customer's
name, points and tier, their own code. A value the content needs that is missing, with no
fallback, skips the recipient with the reason (never "Chào ,"); so does a code that could
not be made.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.codes import offer_window
from campaigns.content import (
    content_missing_reason,
    content_render,
    customer_values,
    email_compose,
    email_offer_block,
    sms_compose,
    sms_refuse_missing,
)
from campaigns.models import Campaign, CampaignSettings, Offer, Recipient
from loyalty.models import Tier
from loyalty.services import points_lapsing
from members.models import Customer
from messaging.composers import Composed
from messaging.models import Message
from messaging.services import unsubscribe_url

Channel = Message.Channel
CodeState = Recipient.CodeState


@dataclass(frozen=True)
class Context:
    """What composing a campaign's messages needs beyond the customer, read once a batch."""

    campaign: Campaign
    settings: CampaignSettings
    tiers: dict[int, tuple[str, Decimal]]  # name and points multiplier


def context_for(campaign: Campaign) -> Context:
    shop = campaign.shop
    return Context(
        campaign=campaign,
        settings=CampaignSettings.objects.filter(shop=shop).first() or CampaignSettings(shop=shop),
        tiers={
            pk: (name, multiplier)
            for pk, name, multiplier in Tier.objects.for_shop(shop).values_list("pk", "name", "multiplier")
        },
    )


def compose(
    *,
    context: Context,
    customer: Customer,
    recipient: Recipient | None,
    channel: str,
    lapsing: dict[int, int] | None = None,
) -> Composed:
    """One message of the campaign to the customer on the channel. ``recipient`` is None in
    a preview before the campaign starts: an example code stands in for theirs."""
    campaign = context.campaign
    shop = campaign.shop
    offer = campaign.offer if campaign.has_offer else None
    code, ends_at = "", None
    if offer is not None:
        if offer.codes == Offer.Codes.SHARED:
            code = offer.shared_code
        elif recipient is None:
            code = "VIDU1234"
        elif recipient.code_state == CodeState.MADE:
            code, ends_at = recipient.code, recipient.code_ends_at
        else:
            reason = recipient.code_error or _("Its promo code was not made.")
            return Composed(skip=_("The promo code could not be made in Haravan: %(reason)s") % {"reason": reason})
        if ends_at is None and offer.validity == Offer.Validity.DAYS:
            # A shared code, or a preview before the codes: N days from the send.
            send_at = (recipient and recipient.send_at) or campaign.send_at or campaign.started_at or timezone.now()
            ends_at = offer_window(offer=offer, shop=shop, send_at=send_at)[1]
    link = unsubscribe_url(customer.pk)
    tier_name, multiplier = context.tiers.get(customer.tier_id or 0, ("", None))
    lapsing_points = lapsing_day = None
    if campaign.kind == Campaign.Kind.POINTS_EXPIRING:
        lapse_at = lapse_moment(campaign=campaign, recipient=recipient)
        lapsing_day = (lapse_at - datetime.timedelta(days=1)).date()
        if lapsing is None:
            lapsing = points_lapsing(shop=shop, customer_ids=[customer.pk], at=lapse_at)
        lapsing_points = lapsing.get(customer.pk, 0)
        if not lapsing_points and recipient is not None:
            return Composed(skip=_("Not sent: this member has no points lapsing any more (they were spent)."))
        lapsing_points = lapsing_points or customer.points_balance
    values = customer_values(
        customer=customer,
        shop=shop,
        tier_name=tier_name,
        tier_multiplier=multiplier,
        lapsing_points=lapsing_points,
        lapsing_last_day=lapsing_day,
        recipient_code=code,
        offer=offer,
        code_ends_at=ends_at,
        unsubscribe_url=link,
    )
    if channel == Channel.EMAIL:
        subject = content_render(campaign.email_subject, values=values, escape_html=False)
        body = content_render(campaign.email_body, values=values, escape_html=False)
        missing = subject.missing + body.missing
        if missing:
            return Composed(skip=content_missing_reason(missing))
        email = email_compose(
            subject=subject.text,
            body_text=body.text,
            shop_name=shop.name,
            offer_block=email_offer_block(offer=offer, values=values),
            unsubscribe_url=link,
        )
        return Composed(subject=email.subject, text=email.text, html=email.html)
    sms = content_render(campaign.sms_text, values=values, escape_html=False)
    if sms.missing:
        return Composed(skip=content_missing_reason(sms.missing))
    if campaign.advertising and (refuse := sms_refuse_missing(context.settings)):
        # The owner emptied it after the start: the law's words are missing, so it waits
        # for nobody and is skipped with what to fix.
        return Composed(skip=refuse)
    text = sms_compose(
        sms.text,
        advertising=campaign.advertising,
        plain=campaign.sms_plain,
        refuse_text=context.settings.sms_refuse_text,
    )
    return Composed(text=text)


def lapse_moment(*, campaign: Campaign, recipient: Recipient | None) -> datetime.datetime:
    """When the points a points-expiring reminder speaks of lapse: the start of the day its
    occasion names ("p2026-12-31"); for a preview, the next run's."""
    zone = campaign.shop.tzinfo
    if recipient is not None and recipient.occasion.startswith("p"):
        day = datetime.date.fromisoformat(recipient.occasion[1:])
    else:
        day = timezone.localtime(timezone.now(), zone).date() + datetime.timedelta(days=campaign.lead_days + 1)
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=zone)


def campaign_messages_compose(messages: Sequence[Message]) -> dict[int, Composed]:
    """The outbox's composer: a leased batch's messages, by id. Reads each campaign, its
    recipients of the batch and the shop's tiers once."""
    campaign_ids = {int(message.source.split(":", 1)[1]) for message in messages}
    campaigns = Campaign.objects.select_related("shop", "offer").in_bulk(campaign_ids)
    contexts = {pk: context_for(campaign) for pk, campaign in campaigns.items()}
    recipients = {
        (recipient.campaign_id, recipient.customer_id, recipient.occasion): recipient
        for recipient in Recipient.objects.filter(
            campaign_id__in=campaign_ids,
            customer_id__in={message.customer_id for message in messages},
            occasion__in={message.occasion for message in messages},
        )
    }
    # The points-expiring reminder's lapsing points, counted once per campaign and day.
    lapsing: dict[tuple[int, datetime.datetime], dict[int, int]] = {}
    for (campaign_id, _customer, occasion), taken in recipients.items():
        campaign = campaigns.get(campaign_id)
        if campaign is not None and campaign.kind == Campaign.Kind.POINTS_EXPIRING and occasion.startswith("p"):
            key = (campaign_id, lapse_moment(campaign=campaign, recipient=taken))
            if key not in lapsing:
                ids = {m.customer_id for m in messages if m.source == campaign.source and m.occasion == occasion}
                lapsing[key] = points_lapsing(shop=campaign.shop, customer_ids=ids, at=key[1])
    composed: dict[int, Composed] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for message in messages:
            campaign_id = int(message.source.split(":", 1)[1])
            context = contexts.get(campaign_id)
            recipient = recipients.get((campaign_id, message.customer_id, message.occasion))
            if context is None or recipient is None or recipient.held_out:
                composed[message.pk] = Composed(skip=_("Not in this campaign's audience."))
                continue
            composed[message.pk] = compose(
                context=context,
                customer=message.customer,
                recipient=recipient,
                channel=message.channel,
                lapsing=lapsing.get((campaign_id, lapse_moment(campaign=context.campaign, recipient=recipient)))
                if context.campaign.kind == Campaign.Kind.POINTS_EXPIRING
                else None,
            )
    return composed
