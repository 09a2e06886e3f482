"""Reads for the campaign pages: the confirmation before a start, and the members a preview
can be shown for."""

import datetime
import math
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from campaigns.audience import EMAIL_REACHABLE, SMS_REACHABLE, audience_customers
from campaigns.content import sms_estimate
from campaigns.models import Campaign, CampaignSettings, Offer
from campaigns.sending import HOLDOUT_PRIME, holdout_factors
from members.models import Customer
from messaging.models import Message, SendingDay
from messaging.selectors import messaging_settings_read
from messaging.services import limits
from shops.models import Shop


@dataclass(frozen=True)
class Confirmation:
    recipients: dict[str, int]  # per channel, after the holdout, refusals and missing addresses
    audience: int
    held_out: int
    sms_parts: int  # in all: parts per message times messages
    sms_cost: int  # đồng; 0 when the price of a part is not set
    codes_to_create: int
    quota_days: int  # days the shop's daily email quota needs for the emails
    finish_estimate: datetime.date | None  # the local day the last email should go


def _audience(campaign: Campaign) -> QuerySet[Customer]:
    return audience_customers(
        shop=campaign.shop, audience=campaign.audience, tier_ids=campaign.tier_ids, group_ids=campaign.group_ids
    )


def campaign_confirmation(*, campaign: Campaign) -> Confirmation:
    """What starting the campaign would do, counted in one query over its audience now."""
    factor, offset = holdout_factors(campaign.holdout_seed)
    held = Q(holdout_bucket__lt=campaign.holdout_percent)
    reach = {"email": EMAIL_REACHABLE, "sms": SMS_REACHABLE}
    channels = campaign.channels
    any_channel = Q(pk__in=[])
    for channel in channels:
        any_channel |= reach[channel]
    figures = (
        _audience(campaign)
        .annotate(holdout_bucket=(F("pk") * factor + offset) % HOLDOUT_PRIME * 100 / HOLDOUT_PRIME)
        .aggregate(
            audience=Count("pk"),
            held_out=Count("pk", filter=held),
            # Not "email" and "sms": an aggregate of a field's name shadows the field.
            by_email=Count("pk", filter=~held & EMAIL_REACHABLE),
            by_sms=Count("pk", filter=~held & SMS_REACHABLE),
            reachable=Count("pk", filter=~held & any_channel),
        )
    )
    recipients = {channel: figures[f"by_{channel}"] for channel in channels}
    config = messaging_settings_read(campaign.shop)
    sms_parts = sms_cost = 0
    if "sms" in recipients:
        settings = CampaignSettings.objects.filter(shop=campaign.shop).first() or CampaignSettings(shop=campaign.shop)
        estimate = sms_estimate(
            campaign.sms_text,
            advertising=campaign.advertising,
            plain=campaign.sms_plain,
            refuse_text=settings.sms_refuse_text,
            part_price=config.sms_part_price,
        )
        sms_parts = estimate.parts * recipients["sms"]
        sms_cost = sms_parts * config.sms_part_price
    offer = campaign.offer
    unique = campaign.has_offer and offer is not None and offer.codes == Offer.Codes.UNIQUE
    emails = recipients.get("email", 0)
    start = max(campaign.send_at or timezone.now(), timezone.now())
    days, finish = email_days(shop=campaign.shop, emails=emails, quota=config.email_daily_quota, start=start)
    return Confirmation(
        recipients=recipients,
        audience=figures["audience"],
        held_out=figures["held_out"],
        sms_parts=sms_parts,
        sms_cost=sms_cost,
        codes_to_create=figures["reachable"] if unique else 0,
        quota_days=days,
        finish_estimate=finish,
    )


def email_days(*, shop: Shop, emails: int, quota: int, start: datetime.datetime) -> tuple[int, datetime.date | None]:
    """How many of the shop's local days ``emails`` more need under its daily quota, and the
    day the last should go: what is left of the start day's quota (what workers used of it),
    after the emails already waiting in the outbox, which go first."""
    if not emails:
        return 0, None
    first_day = limits.local_day(shop=shop, now=start)
    if not quota:  # the shop's own server: no daily limit
        return 1, first_day
    used = (
        SendingDay.objects.filter(shop=shop, channel=Message.Channel.EMAIL, day=first_day)
        .values_list("used", flat=True)
        .first()
        or 0
    )
    waiting = Message.objects.for_shop(shop).filter(channel=Message.Channel.EMAIL, status=Message.Status.QUEUED).count()
    left_today = max(quota - used, 0)
    total = waiting + emails
    days = 1 if total <= left_today else 1 + math.ceil((total - left_today) / quota)
    return days, first_day + datetime.timedelta(days=days - 1)


def preview_customers(*, campaign: Campaign, limit: int = 20) -> list[Customer]:
    """Members of the audience to show the preview for: those with the most to show first
    (an email address, a name)."""
    return list(_audience(campaign).exclude(name="").order_by("-points_balance", "pk")[:limit])
