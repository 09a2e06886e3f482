"""What the import pages read: each page's context from one function here."""

import datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from imports import rows as import_rows
from imports.kinds import ImportKind, import_kind
from imports.models import ImportJob
from members.models import CustomerGroup
from shops.models import Shop

RECENT_JOBS = 20
STALLED_AFTER = datetime.timedelta(minutes=5)


def import_job_get(*, shop: Shop, pk: int) -> ImportJob:
    """The shop's job (404 otherwise), without its file or kept report."""
    jobs = ImportJob.objects.for_shop(shop).select_related("group").defer("file_content", "report_content")
    return get_object_or_404(jobs, pk=pk)


def import_start_page(*, shop: Shop, kind: str) -> dict:
    """The start page of a kind: what it says, and the shop's latest imports of it."""
    jobs = (
        ImportJob.objects.for_shop(shop)
        .filter(kind=kind)
        .exclude(status=ImportJob.Status.CANCELLED)
        .select_related("uploaded_by")
        .defer("file_content", "report_content")[:RECENT_JOBS]
    )
    return {"kind": import_kind(kind), "jobs": jobs}


def _outcome_rows(kind: ImportKind, counts: dict, *, applied: bool = True) -> list[tuple[str, str, int]]:
    return [(code, kind.label(code, applied=applied), counts.get(code, 0)) for code in kind.outcome_labels]


def _same_file(job: ImportJob) -> QuerySet[ImportJob]:
    """An earlier job of the same file that went (or is going) in."""
    return (
        ImportJob.objects.filter(
            shop_id=job.shop_id,
            kind=job.kind,
            file_sha256=job.file_sha256,
            status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING, ImportJob.Status.DONE],
        )
        .exclude(pk=job.pk)
        .defer("file_content", "report_content")
    )


def import_job_page(*, job: ImportJob, show: str, after: int, before: int | None) -> dict:
    """A job's page: reading, its preview (a page of its rows, ``show`` filtering them by
    outcome) and confirm, progress, result."""
    kind = import_kind(job.kind)
    ready = job.status == ImportJob.Status.READY
    rows = None
    if ready:
        rows = import_rows.preview_page(job=job, kind=kind, shown=show, after=after, before=before)
    return {
        "job": job,
        "kind": kind,
        "back_url": kind.start_path(job),
        "back_title": kind.start_title(job),
        "preview": _outcome_rows(kind, job.preview, applied=False),
        "counts": _outcome_rows(kind, job.counts),
        "rows": rows,
        "flagged": import_rows.FLAGGED,
        "page_size": import_rows.PAGE_SIZE,
        "same_file": _same_file(job).first() if ready else None,
        "stalled": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
        and (job.progressed_at or job.confirmed_at or job.created_at) < timezone.now() - STALLED_AFTER,
    }


def import_status(*, job: ImportJob) -> dict:
    """What the progress bar polls."""
    return {
        "status": job.status,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "seconds_left": job.seconds_left,
    }


RECENT_LISTS = 5


def group_phone_lists(*, shop: Shop, group: CustomerGroup) -> QuerySet[ImportJob]:
    """A static group's latest phone lists, for its page."""
    return (
        ImportJob.objects.for_shop(shop)
        .filter(group=group)
        .exclude(status=ImportJob.Status.CANCELLED)
        .defer("file_content", "report_content")[:RECENT_LISTS]
    )
