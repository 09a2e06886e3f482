"""Spreadsheet imports: upload → preview → confirm → progress → result and report.

A kind of import (``imports.kinds``: opening balances in ``loyalty.opening``, point
adjustments in ``loyalty.bulk_adjustments``, a group's phone list in ``imports.phone_lists``)
says which columns its template has, how one row is read, what would happen to a batch of
rows (the preview) and how a batch is applied. This module and its neighbours do the rest,
the same way for every kind:

- Upload keeps the file on an ``ImportJob`` row; a worker reads it and writes the preview
  (``imports.analysis``: counts by outcome, the first rows with a problem, and every row as
  it was read and what it will do, in ``imports.rows``). Nothing else is written.
- The analysis reads the file once, streaming, in batches (``imports.reading``): memory
  holds the keys, not the rows. A key repeated in the file is an error on each of its rows;
  the analysis keeps those rows on the job, so the commit and the report read the file once
  too.
- Confirm moves the job from READY to QUEUED once (a conditional update); a worker applies
  batches, each in one transaction together with the job's cursor, so a job whose worker
  died (the task is delivered again: acks late) continues after the last committed batch,
  and a kind's own unique constraints make any repeat a no-op.
- The report (every row, its outcome, its reason) is an export built on request
  (``imports.report``).
"""

import io
from collections import Counter
from contextlib import closing
from functools import partial
from typing import IO

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.concurrency import read_ahead
from core.spreadsheets import SpreadsheetError, check_upload
from imports.kinds import ERROR, ImportKind, Row, counts_text, import_kind
from imports.models import ImportJob
from imports.reading import chunks, decide_outcomes, read_rows
from imports.rows import import_rows_drop
from imports.storage import file_sha256, import_file_open, import_file_store
from members.models import CustomerGroup
from shops.activity import activity_record
from shops.models import Shop, User


def import_upload(
    *,
    shop: Shop,
    actor: User,
    ip: str | None,
    kind: str,
    name: str,
    content: bytes | IO[bytes],
    group: CustomerGroup | None = None,
) -> ImportJob:
    """Keep the file and have a worker read it (never this request: a file is parsed only
    by a worker). ``content``: the bytes, or a file (an upload, which Django's handler keeps
    in a temporary file), copied in chunks. A file refused by its name or size raises
    SpreadsheetError here, before anything is kept. ``group``: a phone list's static group."""
    from imports.tasks import analyse_import

    stream = io.BytesIO(content) if isinstance(content, bytes) else content
    size = stream.seek(0, io.SEEK_END)
    check_upload(name=name, size=size, max_bytes=settings.IMPORT_MAX_BYTES)  # before reading it
    sha256 = file_sha256(stream)
    with transaction.atomic():
        job = ImportJob.objects.create(
            shop=shop,
            kind=kind,
            file_name=name[:255],
            file_content=b"",
            file_size=size,
            file_sha256=sha256,
            uploaded_by=actor,
            group=group,
        )
        import_file_store(job_id=job.pk, stream=stream, size=size)
        activity_record(
            shop=shop,
            actor=actor,
            kind=import_kind(kind).activity_kind,
            target=job,
            target_label=name[:255],
            summary=_("File %(name)s uploaded for import (%(kind)s).")
            % {"name": name, "kind": import_kind(kind).title},
            after={"file": name, "bytes": size},
            ip=ip,
        )
        transaction.on_commit(lambda: analyse_import.delay(job.pk))
    return job


class ImportStateError(ValueError):
    pass


def import_confirm(*, job: ImportJob, actor: User, ip: str | None) -> None:
    """Staff confirm the preview: the job goes to a worker, once however often this is sent."""
    from imports.tasks import run_import

    with transaction.atomic():
        moved = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READY).update(
            status=ImportJob.Status.QUEUED, confirmed_by=actor, confirmed_at=timezone.now()
        )
        if not moved:
            raise ImportStateError(_("This import is no longer waiting for confirmation."))
        activity_record(
            shop=job.shop,
            actor=actor,
            kind=import_kind(job.kind).activity_kind,
            target=job,
            target_label=job.file_name,
            summary=_("Import of %(name)s confirmed: %(rows)s rows.") % {"name": job.file_name, "rows": job.rows_total},
            after={"preview": job.preview},
            ip=ip,
        )
        transaction.on_commit(lambda: run_import.delay(job.pk))


def import_cancel(*, job: ImportJob) -> bool:
    """Drop a preview that was not confirmed (nothing had been written), and its file."""
    return bool(imports_cancel(jobs=ImportJob.objects.filter(pk=job.pk)))


def imports_cancel(*, jobs: QuerySet[ImportJob]) -> int:
    """Cancel the unconfirmed previews among ``jobs`` (a staff member's cancel, a deleted
    group's waiting list, a preview left too long), dropping their files; their kept rows go
    in a worker, once this commits (a million of them take seconds). Returns how many."""
    from imports.tasks import drop_import_rows

    unconfirmed = [ImportJob.Status.READY, ImportJob.Status.ANALYSING, ImportJob.Status.REFUSED]
    ids = list(jobs.filter(status__in=unconfirmed).values_list("pk", flat=True))
    now = timezone.now()
    cancelled = ImportJob.objects.filter(pk__in=ids, status__in=unconfirmed).update(
        status=ImportJob.Status.CANCELLED, finished_at=now, file_content=b"", file_dropped_at=now
    )
    for job_id in ids:
        transaction.on_commit(partial(drop_import_rows.delay, job_id))
    return cancelled


def import_resume(*, job: ImportJob) -> bool:
    """Hand a stalled or failed job to a worker again; it continues after its last batch."""
    from imports.tasks import run_import

    # Only what someone confirmed: a job an older version failed while reading it (before it
    # was ever previewed) must not be applied by a resume.
    moved = ImportJob.objects.filter(
        pk=job.pk,
        status__in=[ImportJob.Status.RUNNING, ImportJob.Status.FAILED, ImportJob.Status.QUEUED],
        confirmed_at__isnull=False,
    ).update(status=ImportJob.Status.QUEUED, error="")
    if moved:
        transaction.on_commit(lambda: run_import.delay(job.pk))
    return bool(moved)


DEADLOCK_RETRIES = 5


def import_run(*, job_id: int) -> None:
    """Apply the confirmed rows, batch after batch. Run again, it continues after the last
    committed batch; a finished job is left alone."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.RUNNING)
    if not claimed:
        return
    ImportJob.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=timezone.now())
    import_rows_drop(job_id=job_id)  # confirmed: the preview's rows are done with
    job = ImportJob.objects.select_related("shop", "confirmed_by").defer("file_content").get(pk=job_id)
    kind = import_kind(job.kind)
    try:
        with import_file_open(job_id=job.pk) as file:
            rows = read_rows(kind, job.shop, job, file, job.repeated_keys, after=job.cursor, applying=True)
            # The next batch is read and checked while this one is written.
            with closing(read_ahead(chunks(rows))) as batches:
                for batch in batches:
                    _apply_batch(kind, job, batch)
    except SpreadsheetError as error:  # the file was read before; this is not expected
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, error=str(error), finished_at=timezone.now()
        )
        return
    with transaction.atomic():
        finished = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.DONE, finished_at=timezone.now()
        )
        if finished:
            job.refresh_from_db(fields=["status", "counts", "finished_at"])  # not the file again
            kind.finish(job)
            activity_record(
                shop=job.shop,
                actor=job.confirmed_by,
                kind=kind.activity_kind,
                target=job,
                target_label=job.file_name,
                summary=_("Import of %(name)s finished: %(counts)s.")
                % {"name": job.file_name, "counts": counts_text(kind, job.counts)},
                after={"counts": job.counts},
            )


def _apply_batch(kind: ImportKind, job: ImportJob, batch: list[Row]) -> None:
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with transaction.atomic():
                locked = ImportJob.objects.select_for_update().defer("file_content").get(pk=job.pk)
                # Rows another delivery of this task applied already are left alone.
                batch = [row for row in batch if row.number > locked.cursor]
                if not batch:
                    return
                outcomes = decide_outcomes(kind, batch, lambda good, locked=locked: kind.apply(job.shop, locked, good))
                counts = Counter(locked.counts)
                counts.update(outcome.code for outcome in outcomes)
                refused = {
                    str(row.number): outcome.reason
                    for row, outcome in zip(batch, outcomes, strict=True)
                    if outcome.code == ERROR and not row.error
                }
                ImportJob.objects.filter(pk=job.pk).update(
                    cursor=batch[-1].number,
                    rows_done=locked.rows_done + len(batch),
                    counts=dict(counts),
                    apply_errors={**locked.apply_errors, **refused} if refused else locked.apply_errors,
                    progressed_at=timezone.now(),
                )
                job.cursor = batch[-1].number
            return
        except OperationalError:  # a deadlock with another import: PostgreSQL rolled us back
            if attempt == DEADLOCK_RETRIES - 1:
                raise


def import_fail(*, job_id: int, error: str) -> None:
    """A job whose worker raised. One still being read was never confirmed: it is refused
    (resuming would apply it) and its file dropped; a confirmed one can be resumed."""
    now = timezone.now()
    refused = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.ANALYSING).update(
        status=ImportJob.Status.REFUSED, error=error[:2000], finished_at=now, file_content=b"", file_dropped_at=now
    )
    if refused:
        import_rows_drop(job_id=job_id)  # the rows the failed analysis had kept so far
    ImportJob.objects.filter(pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]).update(
        status=ImportJob.Status.FAILED, error=error[:2000], finished_at=now
    )
