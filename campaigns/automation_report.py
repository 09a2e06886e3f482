"""An automation's report, by day or by week of its sends (shop time), with the campaign
report's figures and meanings (campaigns.report): sent, failed and skipped with their
reasons, codes used and their orders' revenue, and the revenue of each member's orders
within ``revenue_days`` of their own send, recipients against the holdout.

A recipient belongs to the period of its send (``Recipient.send_at``); a message to the
period it was queued in, which for an automation is its send's day (a message queued late
by a catch-up counts on the day it went). Each figure is one grouped query, whatever the
number of periods.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, DateField, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.utils import timezone

from campaigns.models import Campaign, Recipient
from campaigns.report import MIN_BUYERS, MIN_GROUP, ReasonCount, _code_uses, _per_member, _reasons
from members.models import Order
from messaging.models import Message

Status = Message.Status
DAY, WEEK = "day", "week"


@dataclass
class Period:
    start: datetime.date  # the day, or the Monday of the week
    audience: int = 0  # recipients not held out
    held_out: int = 0
    sent: dict[str, int] = field(default_factory=dict)  # per channel
    failed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    codes_used: int = 0
    codes_revenue: int = 0
    revenue: int = 0  # recipients' orders within revenue_days of their send
    buyers: int = 0
    held_out_revenue: int = 0
    held_out_buyers: int = 0

    @property
    def sent_total(self) -> int:
        return sum(self.sent.values())

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def revenue_per_member(self) -> int:
        return _per_member(self.revenue, self.audience)

    @property
    def held_out_revenue_per_member(self) -> int:
        return _per_member(self.held_out_revenue, self.held_out)

    @property
    def difference_per_member(self) -> int | None:
        if not (self.audience and self.held_out):
            return None
        return self.revenue_per_member - self.held_out_revenue_per_member

    @property
    def too_few(self) -> bool:
        return self.audience < MIN_GROUP or self.held_out < MIN_GROUP or self.buyers + self.held_out_buyers < MIN_BUYERS


@dataclass(frozen=True)
class AutomationReport:
    by: str  # DAY or WEEK
    periods: list[Period]  # newest first
    total: Period  # the whole span
    failed_reasons: dict[str, tuple[ReasonCount, ...]]  # per channel, over the span
    skipped_reasons: dict[str, tuple[ReasonCount, ...]]


def _trunc(by: str, name: str, zone: datetime.tzinfo):
    if by == WEEK:
        return TruncWeek(name, tzinfo=zone, output_field=DateField())
    return TruncDate(name, tzinfo=zone)


def automation_report(
    *, campaign: Campaign, by: str = DAY, periods: int = 14, now: datetime.datetime | None = None
) -> AutomationReport:
    """The last ``periods`` days or weeks up to ``now`` (shop time), newest first."""
    zone = campaign.shop.tzinfo
    today = timezone.localtime(now or timezone.now(), zone).date()
    first = today - datetime.timedelta(days=periods - 1)
    if by == WEEK:
        this_monday = today - datetime.timedelta(days=today.weekday())
        first = this_monday - datetime.timedelta(weeks=periods - 1)
    since = datetime.datetime.combine(first, datetime.time(0), tzinfo=zone)
    table: dict[datetime.date, Period] = {}

    def period(start) -> Period:
        start = start.date() if isinstance(start, datetime.datetime) else start
        return table.setdefault(start, Period(start=start))

    recipients = Recipient.objects.filter(campaign=campaign, send_at__gte=since)
    for row in (
        recipients.annotate(period=_trunc(by, "send_at", zone))
        .values("period", "held_out")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        target = period(row["period"])
        if row["held_out"]:
            target.held_out += row["count"]
        else:
            target.audience += row["count"]

    messages = Message.objects.filter(shop=campaign.shop, source=campaign.source, created_at__gte=since)
    for row in (
        messages.annotate(period=_trunc(by, "created_at", zone))
        .values("period", "channel", "status")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        target = period(row["period"])
        counter = {Status.SENT: target.sent, Status.FAILED: target.failed, Status.SKIPPED: target.skipped}.get(
            row["status"]
        )
        if counter is not None:
            counter[row["channel"]] = counter.get(row["channel"], 0) + row["count"]

    for row in (
        _code_uses([campaign.pk])
        .filter(recipient__send_at__gte=since)
        .annotate(period=_trunc(by, "recipient__send_at", zone))
        .values("period")
        .annotate(count=Count("pk"), revenue=Coalesce(Sum(F("order__paid_amount") - F("order__refunded_amount")), 0))
        .order_by()
    ):
        target = period(row["period"])
        target.codes_used += row["count"]
        target.codes_revenue += row["revenue"]

    # Each recipient's own window: its orders in [send, send + revenue_days).
    window = datetime.timedelta(days=campaign.revenue_days)
    own_orders = (
        Order.objects.live()
        .filter(
            customer_id=OuterRef("customer_id"),
            created_at__gte=OuterRef("send_at"),
            created_at__lt=OuterRef("send_at") + window,
        )
        .order_by()
        .values("customer_id")
    )
    spent = own_orders.annotate(total=Sum(F("paid_amount") - F("refunded_amount"))).values("total")
    for row in (
        recipients.annotate(period=_trunc(by, "send_at", zone), spent=Coalesce(Subquery(spent), 0))
        .values("period", "held_out")
        .annotate(revenue=Coalesce(Sum("spent"), 0), buyers=Count("pk", filter=Q(spent__gt=0)))
        .order_by()
    ):
        target = period(row["period"])
        if row["held_out"]:
            target.held_out_revenue += row["revenue"]
            target.held_out_buyers += row["buyers"]
        else:
            target.revenue += row["revenue"]
            target.buyers += row["buyers"]

    total = Period(start=first)
    for item in table.values():
        total.audience += item.audience
        total.held_out += item.held_out
        for name in ("sent", "failed", "skipped"):
            mine, theirs = getattr(total, name), getattr(item, name)
            for channel, count in theirs.items():
                mine[channel] = mine.get(channel, 0) + count
        total.codes_used += item.codes_used
        total.codes_revenue += item.codes_revenue
        total.revenue += item.revenue
        total.buyers += item.buyers
        total.held_out_revenue += item.held_out_revenue
        total.held_out_buyers += item.held_out_buyers

    reasons: dict[tuple[str, str], list] = {}
    for row in (
        messages.filter(status__in=[Status.FAILED, Status.SKIPPED])
        .values("channel", "status", "error")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        reasons.setdefault((row["channel"], row["status"]), []).append(row)

    return AutomationReport(
        by=by,
        periods=sorted(table.values(), key=lambda item: item.start, reverse=True),
        total=total,
        failed_reasons={channel: _reasons(reasons.get((channel, Status.FAILED), [])) for channel in campaign.channels},
        skipped_reasons={
            channel: _reasons(reasons.get((channel, Status.SKIPPED), [])) for channel in campaign.channels
        },
    )
