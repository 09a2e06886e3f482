"""Marking past days whose dashboard figures changed. Imported by the services that write
orders and members, so it depends on nothing but the dashboard's models."""

import datetime
from collections.abc import Iterable

from django.utils import timezone

from dashboard.models import ChangedDay
from shops.models import Shop


def days_changed(*, shop: Shop, moments: Iterable[datetime.datetime | None]) -> None:
    """Mark the local days of these moments, before today, for the next refresh (today's
    figures are always computed live). Call in the transaction that made the change."""
    tz = shop.tzinfo
    today = timezone.localdate(timezone.now(), tz)
    days = {timezone.localtime(moment, tz).date() for moment in moments if moment is not None}
    days = {day for day in days if day < today}
    if days:
        ChangedDay.objects.bulk_create([ChangedDay(shop=shop, day=day) for day in sorted(days)])
