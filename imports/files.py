"""How long an import keeps its file: a refused or cancelled file is dropped at once (by
``imports.services``: only the refusal is kept); a finished job keeps its file for
IMPORT_FILE_KEEP_DAYS, for its report, then (``import_files_purge``, run by beat) the report's
rows are kept compressed on the job and the file is dropped. The report reads either. A
preview left that long without a confirmation is cancelled, and its file dropped."""

import datetime
import gzip
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.utils import timezone

from imports.models import ImportJob
from imports.report import report_rows
from imports.services import imports_cancel
from shops.models import Shop

_DROPPED = (ImportJob.Status.REFUSED, ImportJob.Status.CANCELLED)

logger = logging.getLogger(__name__)


def import_files_purge(*, now: datetime.datetime | None = None) -> int:
    """Drop the files of finished jobs older than IMPORT_FILE_KEEP_DAYS, keeping their reports,
    of previews never confirmed in that time (cancelled), and any refused or cancelled job's
    file still kept. Safe to run twice (or two at once: a job's file is dropped by one
    conditional update). Returns how many files were dropped."""
    now = now or timezone.now()
    dropped = (
        ImportJob.objects.filter(status__in=_DROPPED, file_dropped_at__isnull=True)
        .exclude(file_content=b"")
        .update(file_content=b"", file_dropped_at=now)
    )
    old = now - datetime.timedelta(days=settings.IMPORT_FILE_KEEP_DAYS)
    dropped += imports_cancel(
        jobs=ImportJob.objects.filter(
            status__in=(ImportJob.Status.READY, ImportJob.Status.ANALYSING), created_at__lt=old
        )
    )
    finished = ImportJob.objects.filter(
        status=ImportJob.Status.DONE, finished_at__lt=old, file_dropped_at__isnull=True
    ).values_list("pk", flat=True)
    for job_id in list(finished):
        try:
            dropped += _keep_report_drop_file(job_id=job_id, now=now)
        except Exception:
            # One file today's reader refuses (or any surprise) must not stop every later
            # purge: it keeps its file, is logged, and is tried again next time.
            logger.exception("The report of import %s could not be kept; its file stays for now.", job_id)
    return dropped


def _keep_report_drop_file(*, job_id: int, now: datetime.datetime) -> int:
    job = ImportJob.objects.select_related("shop", "group").defer("file_content", "report_content").get(pk=job_id)
    header, total, rows = report_rows(job=job)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as packed:
        packed.write(json.dumps([header, total], ensure_ascii=False).encode() + b"\n")
        for row in rows:
            packed.write(json.dumps(row, ensure_ascii=False, default=str).encode() + b"\n")
    return ImportJob.objects.filter(pk=job_id, file_dropped_at__isnull=True).update(
        report_content=buffer.getvalue(), file_content=b"", file_dropped_at=now
    )


def _kept_report(job: ImportJob) -> tuple[list[str], int, Iterator[list]]:
    lines = gzip.GzipFile(fileobj=io.BytesIO(bytes(job.report_content)))
    header, total = json.loads(lines.readline())
    return header, total, (json.loads(line) for line in lines)


def import_report_rows(*, shop: Shop, params: dict[str, Any]) -> tuple[list[str], int, Iterator[list]]:
    """The exporter of an import's report (the export job builds the file): from the file,
    or from the rows kept once the file was dropped."""
    job = ImportJob.objects.for_shop(shop).defer("file_content").get(pk=params["job"])
    if job.file_dropped_at and job.report_content:
        return _kept_report(job)
    return report_rows(job=job)
