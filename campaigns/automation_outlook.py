"""Who an automation's next run reaches, for its page ("ngày mai 38 thành viên có sinh
nhật"), counted on the same indexes as the run itself."""

import datetime
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from campaigns.automations import (
    THANK_YOU_LATE,
    THANKED_STATUSES,
    TIER_UP_LATE,
    birthday_recently_changed,
    birthday_selection,
    lapse_start,
    points_expiring_selection,
    run_time,
    win_back_selection,
)
from campaigns.models import AutomationRun, Campaign
from loyalty.models import TierChange
from members.models import Order

Kind = Campaign.Kind


@dataclass(frozen=True)
class Outlook:
    """Who the automation's next run reaches, for its page."""

    next_at: datetime.datetime | None  # the next daily run; None for the thank-you
    day: datetime.date | None  # the occasion's day (a birthday's date) of the next run
    members: int  # members the next run reaches (before the holdout and the channels)
    recently_changed: int = 0  # birthdays of that day that earn nothing this year


def automation_outlook(*, campaign: Campaign, now: datetime.datetime) -> Outlook:
    zone = campaign.shop.tzinfo
    if campaign.kind == Kind.THANK_YOU:
        # Orders paid within the wait: each is thanked when its hours have passed.
        since = now - datetime.timedelta(hours=campaign.wait_hours)
        waiting = (
            Order.objects.for_shop(campaign.shop)
            .filter(
                paid_at__gt=since,
                created_at__gt=since - THANK_YOU_LATE,
                financial_status__in=THANKED_STATUSES,
                cancelled_at__isnull=True,
                customer__member_since__isnull=False,
            )
            .count()
        )
        return Outlook(next_at=None, day=None, members=waiting)
    if campaign.kind == Kind.TIER_UP:
        moves = TierChange.objects.filter(
            shop=campaign.shop, created_at__gt=now - TIER_UP_LATE, customer__member_since__isnull=False
        ).filter(from_tier__isnull=False, to_tier__threshold__gt=F("from_tier__threshold"))
        return Outlook(next_at=None, day=None, members=moves.count())
    today = timezone.localtime(now, zone).date()
    day = today if run_time(campaign=campaign, day=today) > now else today + datetime.timedelta(days=1)
    if campaign.kind == Kind.POINTS_EXPIRING:
        selection = points_expiring_selection(campaign=campaign, day=day)
        return Outlook(
            next_at=run_time(campaign=campaign, day=day),
            day=(lapse_start(campaign=campaign, day=day) - datetime.timedelta(days=1)).date(),
            members=selection.customers.count(),
        )
    if campaign.kind == Kind.BIRTHDAY:
        selection = birthday_selection(campaign=campaign, day=day)
        target = day + datetime.timedelta(days=campaign.lead_days)
        return Outlook(
            next_at=run_time(campaign=campaign, day=day),
            day=target,
            members=selection.customers.count(),
            recently_changed=birthday_recently_changed(campaign=campaign, day=day),
        )
    # Those the next run would add: after a first run, only who crossed the line since (an
    # index range, not a million members checked against their recipients at each view).
    before = (
        AutomationRun.objects.filter(campaign=campaign, day__lt=day, finished_at__isnull=False).order_by("-day").first()
    )
    selection = win_back_selection(campaign=campaign, day=day, before=before)
    return Outlook(next_at=run_time(campaign=campaign, day=day), day=day, members=selection.customers.count())
