"""Writing the overview's stored figures: ``DailyFigures`` for complete days and the
``DashboardState`` (how far the days are stored, the members per tier). The reads, and what
each figure means, are in ``dashboard.selectors``.

Beat runs ``dashboard_refresh_all`` every minute, for every shop: each new day is stored once
it is complete, and a change to a past day (a cancelled order, a first order that moved, a
back-dated activation) marks that day (``dashboard.changes``) and the next refresh
recomputes it. The page only reads, so a shop nobody has opened the overview of is kept
current too.
"""

import datetime
from collections.abc import Iterator

from django.db import connection, transaction
from django.utils import timezone

from dashboard.models import ChangedDay, DailyFigures, DashboardState
from dashboard.selectors import DAY, days_figures, first_day, members_per_tier
from shops.models import Shop


def _runs(days: list[datetime.date]) -> Iterator[tuple[datetime.date, datetime.date]]:
    """Sorted days as [start, end) runs of consecutive days."""
    start = previous = None
    for day in days:
        if start is None or previous is None:
            start = previous = day
        elif day == previous + DAY:
            previous = day
        else:
            yield start, previous + DAY
            start = previous = day
    if start is not None and previous is not None:
        yield start, previous + DAY


def _take_changed_days(shop: Shop) -> set[datetime.date]:
    """Delete the shop's marks and return their days. Deleting before computing means any
    change committed after this statement leaves a mark the next refresh will see."""
    table = ChangedDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE shop_id = %s RETURNING day", [shop.pk])
        days = [row[0] for row in cursor.fetchall()]
    return {datetime.date.fromisoformat(day) if isinstance(day, str) else day for day in days}


def dashboard_refresh(*, shop: Shop, now: datetime.datetime | None = None) -> int:
    """Write ``DailyFigures`` for every complete day not written yet and every day marked as
    changed, and the members per tier. One refresh per shop at a time (the state row's
    lock). Returns the number of days computed."""
    now = now or timezone.now()
    today = timezone.localdate(now, shop.tzinfo)
    with transaction.atomic():
        DashboardState.objects.get_or_create(shop=shop)
        state = DashboardState.objects.select_for_update().get(shop=shop)
        days = {day for day in _take_changed_days(shop) if day < today}
        start = state.complete_before or first_day(shop, today)
        days.update(start + DAY * offset for offset in range((today - start).days))
        for run_start, run_end in _runs(sorted(days)):
            figures = days_figures(shop, run_start, run_end)
            DailyFigures.objects.filter(shop=shop, day__gte=run_start, day__lt=run_end).delete()
            DailyFigures.objects.bulk_create(
                [DailyFigures(shop=shop, day=day, **values) for day, values in sorted(figures.items())],
                batch_size=1_000,
            )
        state.tiers = members_per_tier(shop)
        state.complete_before = today
        state.refreshed_at = now
        state.save()
    return len(days)


def dashboard_refresh_all() -> None:
    """Beat's call, every minute: every shop (the page reads, and makes no state row of its
    own, so a shop is refreshed whether or not anyone has opened its overview yet)."""
    for shop in Shop.objects.order_by("pk"):
        dashboard_refresh(shop=shop)
