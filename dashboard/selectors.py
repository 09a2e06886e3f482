"""The overview's figures (Tổng quan), as the support ticket defines them. Reads only.

- Total members: customers activated as members, at the end of the window.
- New members: customers activated within the window.
- New customers: customers whose first order falls within the window, in the ticket's two
  cases: not a member when they ordered (that order earns no points), or a member already
  (it earns points).
- Orders and revenue (paid minus refunded) of the live orders placed within the window, the
  part of that revenue from members' orders, points earned and points spent (points redeemed
  for rewards, less those given back when a code could not be made or lapsed unused, and
  points staff took off).
- Reward codes used: redemptions whose code a live order placed within the window carried
  (by the day of that order), and the revenue of those orders (an order that carried two
  codes counts twice among the codes, once in the revenue).

Windows are whole local days in the shop's time zone: "last 7 days" is today and the six
days before it, whatever the weekday. Complete days are summed from ``DailyFigures`` (one
row per shop and day, written by ``dashboard.services.dashboard_refresh``, which beat runs
for every shop every minute); today is computed live. A change to a past day (a cancelled
order, a first order that moved, a back-dated activation) marks that day
(``dashboard.changes``) and the next refresh recomputes it. So the page runs the same few
queries for a day or for a year.

A page view never writes: when the last refresh is a few days behind (just after midnight,
or a shop beat has not reached yet), the days it has not stored are computed live beside
today, in the same six queries; when it is further behind (the first refresh of a shop
with years of orders), the page says so and shows what is stored until beat's refresh ends.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from dashboard.models import DailyFigures, DashboardState
from loyalty.models import PointEntry, Tier
from members.models import Customer, Order
from rewards.models import Redemption
from shops.models import Shop

DAY = datetime.timedelta(days=1)
FIGURES = (
    "orders",
    "revenue",
    "member_revenue",
    "new_members",
    "new_customers_guests",
    "new_customers_members",
    "points_earned",
    "points_spent",
    "reward_codes_used",
    "reward_code_revenue",
)
JOIN_FROM_DAYS = 31
# A page view computes the days the last refresh has not stored itself (without storing
# them) when there are at most this many; more (the first refresh of a shop with years of
# orders) is beat's refresh's job.
LIVE_IN_REQUEST_DAYS = 7

Figures = dict[str, int]


def _midnight(day: datetime.date, shop: Shop) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=shop.tzinfo)


def days_figures(shop: Shop, start: datetime.date, end: datetime.date) -> dict[datetime.date, Figures]:
    """The figures of each local day in [start, end), from the orders, customers and ledger:
    six grouped queries whatever the number of days. Days with nothing are left out."""
    tz = shop.tzinfo
    lo, hi = _midnight(start, shop), _midnight(end, shop)
    result: dict[datetime.date, Figures] = {}

    def add(rows: Iterable[Mapping[str, Any]], day_key: str = "day") -> None:
        for row in rows:
            figures = result.setdefault(row[day_key], dict.fromkeys(FIGURES, 0))
            figures.update({name: value or 0 for name, value in row.items() if name != day_key})

    spend = F("paid_amount") - F("refunded_amount")
    # Whether the customer was a member when they ordered. For a few days, a lookup by key
    # per order (a join had the planner hash every customer of the shop when it guessed
    # today's orders many); for months of orders, the join.
    member_since: Subquery | F
    if (end - start).days <= JOIN_FROM_DAYS:
        member_since = Subquery(Customer.objects.filter(pk=OuterRef("customer_id")).values("member_since")[:1])
    else:
        member_since = F("customer__member_since")
    add(
        Order.objects.live()
        .filter(shop=shop, created_at__gte=lo, created_at__lt=hi)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(
            orders=Count("id"),
            revenue=Sum(spend),
            member_revenue=Sum(spend, filter=LessThanOrEqual(member_since, F("created_at"))),
        )
        .order_by()
    )
    add(
        Customer.objects.filter(shop=shop, member_since__gte=lo, member_since__lt=hi)
        .annotate(day=TruncDate("member_since", tzinfo=tz))
        .values("day")
        .annotate(new_members=Count("id"))
        .order_by()
    )
    member_then = Q(member_since__lte=F("first_order_at"))
    add(
        Customer.objects.filter(shop=shop, first_order_at__gte=lo, first_order_at__lt=hi)
        .annotate(day=TruncDate("first_order_at", tzinfo=tz))
        .values("day")
        .annotate(
            new_customers_members=Count("id", filter=member_then),
            new_customers_guests=Count("id", filter=~member_then | Q(member_since__isnull=True)),
        )
        .order_by()
    )
    add(
        PointEntry.objects.filter(shop=shop, created_at__gte=lo, created_at__lt=hi)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(
            points_earned=Sum("points", filter=Q(points__gt=0) & ~Q(kind=PointEntry.Kind.RETURN)),
            # Deductions by staff; redemptions are added below, by their own day.
            points_spent=-Sum("points", filter=Q(points__lt=0, kind=PointEntry.Kind.ADJUST)),
        )
        .order_by()
    )
    # Points spent on rewards, on the day they were redeemed, but those whose points came
    # back (the code could not be made, or lapsed unused): giving them back marks that day
    # (``rewards.services.points_return``), so a past day is recomputed without them.
    redeemed = (
        Redemption.objects.filter(shop=shop, created_at__gte=lo, created_at__lt=hi)
        .exclude(state__in=[Redemption.State.RETURNED, Redemption.State.EXPIRED])
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(points=Sum("points"))
        .order_by()
    )
    for row in redeemed:
        figures = result.setdefault(row["day"], dict.fromkeys(FIGURES, 0))
        figures["points_spent"] += row["points"] or 0
    # Codes used, by the day of the order that carried them (the same live orders as above).
    # A redemption's order is linked in the transaction that records the order
    # (``haravan.tasks.orders_recorded``), which marks the order's day: a past day is
    # recomputed with it.
    order_spend = F("order__paid_amount") - F("order__refunded_amount")
    earlier_code_same_order = Redemption.objects.filter(order_id=OuterRef("order_id"), pk__lt=OuterRef("pk"))
    add(
        Redemption.objects.filter(
            shop=shop,
            order__shop=shop,  # lets the planner start from the orders' (shop, created_at) index
            order__created_at__gte=lo,
            order__created_at__lt=hi,
            order__cancelled_at__isnull=True,
        )
        .exclude(order__financial_status=Order.FinancialStatus.VOIDED)
        .annotate(day=TruncDate("order__created_at", tzinfo=tz))
        .values("day")
        .annotate(
            reward_codes_used=Count("id"),
            # Each order's revenue once, with its first code.
            reward_code_revenue=Sum(order_spend, filter=~Exists(earlier_code_same_order)),
        )
        .order_by()
    )
    return result


def first_day(shop: Shop, today: datetime.date) -> datetime.date:
    """The shop's first local day with an order or a member; today when it has neither."""
    first = [
        Order.objects.filter(shop=shop).aggregate(first=Min("created_at"))["first"],
        Customer.objects.filter(shop=shop).aggregate(first=Min("member_since"))["first"],
    ]
    moments = [moment for moment in first if moment is not None]
    return min(timezone.localtime(moment, shop.tzinfo).date() for moment in moments) if moments else today


def members_per_tier(shop: Shop) -> dict[str, int]:
    """Members per tier id (``"None"`` for members in no tier), keyed as the state stores
    them: a scan of all the shop's members."""
    members = Customer.objects.filter(shop=shop, member_since__isnull=False)
    return {
        str(tier_id): count
        for tier_id, count in members.values("tier_id").annotate(n=Count("id")).values_list("tier_id", "n")
    }


# Windows -----------------------------------------------------------------------------------

WINDOW_DAYS = {"today": 1, "7": 7, "30": 30, "90": 90}
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class Window:
    """Whole local days [start, end)."""

    key: str
    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> datetime.date:
        return self.end - DAY

    def previous(self) -> "Window":
        return Window(self.key, self.start - DAY * self.days, self.start)


def rolling_window(key: str, today: datetime.date) -> Window:
    """Today and the days before it: "7" on a Monday is last Tuesday to today."""
    return Window(key, today - DAY * (WINDOW_DAYS[key] - 1), today + DAY)


def range_window(first: datetime.date, last: datetime.date) -> Window:
    return Window("range", first, last + DAY)


@dataclass
class Figure:
    value: int
    previous: int

    @property
    def change(self) -> float | None:
        """The change from the previous window in percent; None when that was 0."""
        if not self.previous:
            return None
        return (self.value - self.previous) * 100 / self.previous


@dataclass
class Overview:
    window: Window
    previous: Window
    figures: dict[str, Figure]
    by_day: list[tuple[datetime.date, Figures]]
    tiers: list[tuple[str, int]]
    # Members in no tier at the last refresh (before any tier existed, or not placed yet).
    unplaced: int
    refreshed_at: datetime.datetime | None
    pending: bool = False  # complete days not computed yet (beat's refresh is on it)


def dashboard_overview(*, shop: Shop, window: Window, now: datetime.datetime | None = None) -> Overview:
    """Every figure of the window beside the previous window of the same length, the days
    for the chart and the members per tier, in a constant number of queries. Writes nothing."""
    now = now or timezone.now()
    today = timezone.localdate(now, shop.tzinfo)
    state = DashboardState.objects.filter(shop=shop).first()
    # Days from live_start on are computed here; the days before it are read as stored.
    live_start = state.complete_before if state and state.complete_before else first_day(shop, today)
    pending = (today - live_start).days > LIVE_IN_REQUEST_DAYS
    if pending or live_start > today:
        live_start = today
    # Never refreshed: the members per tier are counted here when the shop is small enough.
    tier_counts: dict[str, int] = (
        (state.tiers or {}) if state is not None else {} if pending else members_per_tier(shop)
    )
    previous = window.previous()
    stored_end = min(window.end, live_start)
    rows: dict[datetime.date, Figures] = {
        row.pop("day"): row
        for row in DailyFigures.objects.filter(shop=shop, day__gte=previous.start, day__lt=stored_end).values(
            "day", *FIGURES
        )
    }
    live = days_figures(shop, live_start, window.end) if live_start < window.end else {}
    rows.update({day: values for day, values in live.items() if day >= previous.start})
    totals = DailyFigures.objects.filter(shop=shop).aggregate(
        at_end=Sum("new_members", filter=Q(day__lt=stored_end)),
        at_start=Sum("new_members", filter=Q(day__lt=min(window.start, live_start))),
    )
    current = dict.fromkeys(FIGURES, 0)
    before = dict.fromkeys(FIGURES, 0)
    for day, row in rows.items():
        target = current if day >= window.start else before
        for name in FIGURES:
            target[name] += row.get(name) or 0
    figures = {name: Figure(current[name], before[name]) for name in FIGURES}
    live_members_at_end = sum(values["new_members"] for values in live.values())
    live_members_at_start = sum(values["new_members"] for day, values in live.items() if day < window.start)
    figures["total_members"] = Figure(
        (totals["at_end"] or 0) + live_members_at_end, (totals["at_start"] or 0) + live_members_at_start
    )
    figures["new_customers"] = Figure(
        current["new_customers_guests"] + current["new_customers_members"],
        before["new_customers_guests"] + before["new_customers_members"],
    )
    empty = dict.fromkeys(FIGURES, 0)
    by_day = [
        (window.start + DAY * offset, rows.get(window.start + DAY * offset, empty)) for offset in range(window.days)
    ]
    names = dict(Tier.objects.for_shop(shop).values_list("pk", "name"))
    tier_order = list(
        Tier.objects.for_shop(shop).filter(removed_at__isnull=True).order_by("threshold").values_list("pk", flat=True)
    )
    counts = {int(pk) if pk != "None" else None: n for pk, n in tier_counts.items()}
    tiers = [(names[pk], counts.get(pk, 0)) for pk in tier_order]
    tiers += [(names[pk], n) for pk, n in counts.items() if pk is not None and pk not in tier_order and n]
    unplaced = counts.get(None, 0)
    refreshed_at = state.refreshed_at if state else None
    return Overview(window, previous, figures, by_day, tiers, unplaced, refreshed_at, pending)
