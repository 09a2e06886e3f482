"""Spreadsheet exports: a job row, built by a worker, downloaded from its page.

Each kind of export registers a function that returns the header, how many rows it will
hold (counted first, so an oversized export fails fast) and the rows.
"""

import tempfile
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.blobs import blob_store
from core.xlsx import write_xlsx_to
from shops.activity import activity_record
from shops.models import ActivityKind, ExportJob, Shop, User

Exporter = Callable[..., tuple[list[str], int, Any]]
EXPORTERS: dict[str, tuple[str, Exporter]] = {}


def register_exporter(kind: str, *, filename_prefix: str, exporter: Exporter) -> None:
    EXPORTERS[kind] = (filename_prefix, exporter)


def export_request(
    *, shop: Shop, actor: User, ip: str | None, kind: str, params: dict[str, Any], required_role: str
) -> ExportJob:
    """``required_role`` is the role the page the rows come from needs: only people with it
    may open the export (see ``export_check_access``)."""
    if kind not in EXPORTERS:
        raise ValueError(f"Unknown export kind {kind!r}")
    from shops.tasks import run_export

    with transaction.atomic():
        job = ExportJob.objects.create(
            shop=shop, requested_by=actor, kind=kind, params=params, required_role=required_role
        )
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.EXPORT_REQUESTED,
            target=job,
            target_label=kind,
            summary=_("Export of %(kind)s requested.") % {"kind": kind},
            after=params,
            ip=ip,
        )
        transaction.on_commit(lambda: run_export.delay(job.pk))
    return job


def export_check_access(*, job: ExportJob, user: User) -> None:
    if not user.has_role(job.required_role):
        raise PermissionDenied


def export_run(*, job_id: int) -> None:
    """Build the file. Safe to run twice: a finished job is left alone, and a job whose
    worker died is simply built again."""
    claimed = ExportJob.objects.filter(
        pk=job_id, status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING]
    ).update(status=ExportJob.Status.RUNNING)
    if not claimed:
        return
    job = ExportJob.objects.select_related("shop", "requested_by").get(pk=job_id)
    prefix, exporter = EXPORTERS[job.kind]
    # The file speaks the language of the person who asked for it.
    with translation.override(job.requested_by.language):
        header, total, rows = exporter(shop=job.shop, params=job.params)
        if total > settings.EXPORT_MAX_ROWS:
            ExportJob.objects.filter(pk=job_id).update(
                status=ExportJob.Status.FAILED,
                row_count=total,
                error=_("%(count)s rows is more than the %(limit)s an export may hold: narrow the filter.")
                % {"count": total, "limit": settings.EXPORT_MAX_ROWS},
                finished_at=timezone.now(),
            )
            return
        # Built in a temporary file and stored a chunk at a time: a million rows' workbook
        # held as bytes, then bound as hex text, took a worker past 590 MB.
        with tempfile.TemporaryFile() as out:
            count = write_xlsx_to(out, title=prefix, header=header, rows=rows)
            stamp = timezone.localtime(timezone.now(), job.shop.tzinfo).strftime("%Y%m%d-%H%M")
            with transaction.atomic():
                blob_store(model=ExportJob, field="content", pk=job_id, stream=out, size=out.tell())
                ExportJob.objects.filter(pk=job_id).update(
                    status=ExportJob.Status.DONE,
                    row_count=count,
                    filename=f"{prefix}-{stamp}.xlsx",
                    finished_at=timezone.now(),
                )


def export_fail(*, job_id: int, error: str) -> None:
    ExportJob.objects.filter(pk=job_id).exclude(status=ExportJob.Status.DONE).update(
        status=ExportJob.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )
