"""How staff read money and dates: "1.500.000 ₫" and dd/mm/yyyy in the shop's time zone."""

import datetime
import zoneinfo
from decimal import Decimal

from django.utils import timezone


def format_int(value: int) -> str:
    """Dots between thousands, as Vietnamese write numbers: 1500000 -> "1.500.000"."""
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value):,}".replace(",", ".")


def format_vnd(amount: int | Decimal | float | None) -> str:
    """Whole đồng with dots between thousands: 1500000 -> "1.500.000 ₫"."""
    if amount is None or amount == "":
        return ""
    return format_int(round(Decimal(str(amount)))) + " ₫"


def _localize(value: datetime.datetime, tz: zoneinfo.ZoneInfo | None) -> datetime.datetime:
    if timezone.is_naive(value):
        return value
    return value.astimezone(tz or timezone.get_current_timezone())


def format_date(value: datetime.date | datetime.datetime | None, tz: zoneinfo.ZoneInfo | None = None) -> str:
    """dd/mm/yyyy; an aware datetime is first moved into ``tz`` (default: the active zone,
    which the middleware sets to the shop's)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = _localize(value, tz)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime.datetime | None, tz: zoneinfo.ZoneInfo | None = None) -> str:
    """dd/mm/yyyy HH:MM in ``tz`` (default: the active zone)."""
    if value is None or value == "":
        return ""
    return _localize(value, tz).strftime("%d/%m/%Y %H:%M")
