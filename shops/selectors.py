"""Reads of shops, staff and the activity log."""

import datetime
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.formatting import format_datetime
from shops.models import ActivityEntry, ExportJob, Heartbeat, Shop, User
from shops.services import HEARTBEAT_NAME, HEARTBEAT_STALE_AFTER, HEARTBEAT_STARTING_GRACE, WORKER_BOOT_NAME

SYSTEM_ACTOR = "system"


def local_day_start(day: datetime.date, shop: Shop) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=shop.tzinfo)


def activity_list(
    *,
    shop: Shop,
    person: str = "",
    kind: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[ActivityEntry]:
    """The shop's log, newest first. ``person`` is a staff id or ``"system"``; the dates
    are whole days in the shop's time zone, both included."""
    entries = ActivityEntry.objects.for_shop(shop).select_related("actor")
    if person == SYSTEM_ACTOR:
        entries = entries.filter(actor__isnull=True)
    elif person:
        entries = entries.filter(actor_id=person)
    if kind:
        entries = entries.filter(kind=kind)
    if date_from:
        entries = entries.filter(created_at__gte=local_day_start(date_from, shop))
    if date_to:
        entries = entries.filter(created_at__lt=local_day_start(date_to + datetime.timedelta(days=1), shop))
    return entries.order_by("-created_at", "-id")


def activity_export_rows(*, shop: Shop, params: dict[str, Any]) -> tuple[list[str], int, Iterator[list]]:
    """Header, row count and rows of the activity-log export."""
    filters = {
        "person": params.get("person", ""),
        "kind": params.get("kind", ""),
        "date_from": datetime.date.fromisoformat(params["date_from"]) if params.get("date_from") else None,
        "date_to": datetime.date.fromisoformat(params["date_to"]) if params.get("date_to") else None,
    }
    entries = activity_list(shop=shop, **filters)
    header = [_("Time"), _("Person"), _("Kind"), _("Target"), _("Summary"), _("Before"), _("After"), _("IP address")]

    def rows() -> Iterator[list]:
        for entry in entries.iterator(chunk_size=2000):
            yield [
                format_datetime(entry.created_at, shop.tzinfo),
                entry.actor_display,
                entry.get_kind_display(),
                entry.target_label,
                entry.summary,
                _describe(entry.before),
                _describe(entry.after),
                entry.ip or "",
            ]

    return header, entries.count(), rows()


def _describe(values: dict[str, Any] | None) -> str:
    if not values:
        return ""
    return "; ".join(f"{key}: {value}" for key, value in values.items())


def staff_list(*, shop: Shop) -> QuerySet[User]:
    return User.objects.filter(shop=shop).order_by("-is_active", "role", "username")


def heartbeat_status() -> dict[str, Any]:
    """Whether a worker has run beat's heartbeat task recently; or, when not, whether a
    worker booted since the last heartbeat, recently enough that the first one is not due."""
    rows = {row.name: row.last_seen for row in Heartbeat.objects.filter(name__in=[HEARTBEAT_NAME, WORKER_BOOT_NAME])}
    last_seen, booted = rows.get(HEARTBEAT_NAME), rows.get(WORKER_BOOT_NAME)
    now = timezone.now()
    alive = last_seen is not None and now - last_seen < HEARTBEAT_STALE_AFTER
    starting = (
        not alive
        and booted is not None
        and now - booted < HEARTBEAT_STARTING_GRACE
        and (last_seen is None or booted >= last_seen)
    )
    return {"alive": alive, "starting": starting, "booted": booted, "last_seen": last_seen}


# The pages' reads -------------------------------------------------------------------------

ACTIVITY_PAGE_SIZE = 50


def settings_page(*, shop: Shop) -> dict[str, Any]:
    """The shop settings page beside its form: the staff accounts and the worker's health."""
    return {"staff": staff_list(shop=shop), "heartbeat": heartbeat_status()}


def staff_member(*, shop: Shop, pk: int) -> User | None:
    return User.objects.filter(pk=pk, shop=shop).first()


def activity_page(*, shop: Shop, filters: dict[str, Any], page_number: str | None) -> dict[str, Any]:
    """One page of the shop's log, filtered (``activity_list``'s filters)."""
    return {"page": Paginator(activity_list(shop=shop, **filters), ACTIVITY_PAGE_SIZE).get_page(page_number)}


def activity_detail(*, shop: Shop, pk: int) -> dict[str, Any] | None:
    """One line of the log with its changes as (key, before, after); None if not the shop's."""
    entry = ActivityEntry.objects.for_shop(shop).select_related("actor").filter(pk=pk).first()
    if entry is None:
        return None
    keys = list(dict.fromkeys([*(entry.before or {}), *(entry.after or {})]))
    changes = [(key, (entry.before or {}).get(key, ""), (entry.after or {}).get(key, "")) for key in keys]
    return {"entry": entry, "changes": changes}


def export_job(*, shop: Shop, pk: int, done: bool = False) -> ExportJob | None:
    """The shop's export, without its file (``done``: only a finished one)."""
    jobs = ExportJob.objects.for_shop(shop).defer("content")
    return jobs.filter(pk=pk, **({"status": ExportJob.Status.DONE} if done else {})).first()
