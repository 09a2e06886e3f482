"""Spreadsheet imports: upload → preview → confirm → progress → result and report.

A kind of import (opening balances in ``members.opening``, point adjustments in
``loyalty.imports``) says which columns its template has, how one row is read, what would
happen to a batch of rows (the preview) and how a batch is applied. This module does the
rest, the same way for every kind:

- Upload keeps the file on an ``ImportJob`` row; a worker reads it and writes the preview
  (counts by outcome, the first rows with a problem, and every row as it was read and what
  it will do, in ``members.import_rows``). Nothing else is written.
- The analysis reads the file once, streaming, in batches: memory holds the keys, not the
  rows. A key repeated in the file is an error on each of its rows; the analysis keeps
  those rows on the job, so the commit and the report read the file once too.
- Confirm moves the job from READY to QUEUED once (a conditional update); a worker applies
  batches, each in one transaction together with the job's cursor, so a job whose worker
  died (the task is delivered again: acks late) continues after the last committed batch,
  and a kind's own unique constraints make any repeat a no-op.
- The report (every row, its outcome, its reason) is an export built on request
  (``members.import_report``).
"""

import io
import itertools
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.concurrency import read_ahead
from core.spreadsheets import SpreadsheetError, check_upload, read_numbered_rows
from members.import_rows import cell_text, import_rows_drop, import_rows_keep, import_rows_mark
from members.import_storage import file_sha256, import_file_open, import_file_store
from members.models import CustomerGroup, ImportJob
from shops.activity import activity_record
from shops.models import ActivityKind, Shop, User

ERROR = "error"
PROBLEMS_SHOWN = 200
BATCH_SIZE = 5_000


class RowError(ValueError):
    """A row that cannot go in as it is; the message says what to fix."""


@dataclass
class Row:
    number: int  # as the spreadsheet shows it
    cells: dict[str, Any]  # by template header
    key: str = ""  # what may appear once per file (a normalised phone)
    value: Any = None  # what the kind read from the row
    error: str = ""


@dataclass
class Outcome:
    code: str
    reason: str = ""
    flag: str = ""  # what staff should check before confirming, though the row goes in


@dataclass
class ImportKind:
    """What one kind of import knows; the methods below are overridden per kind."""

    code: str
    title: Any  # lazy translation
    headers: tuple[str, ...]
    example: tuple
    text_columns: tuple[str, ...] = ()
    # A key repeated in one file is an error on each of its rows.
    unique_keys: bool = True
    # Outcomes listed on the preview page (the rows that will not go in as written).
    problem_codes: tuple[str, ...] = (ERROR,)
    outcome_labels: dict[str, Any] = field(default_factory=dict)
    # What the preview says before anything is applied, where the outcome's label speaks
    # of it as done ("Adjustment applied" would claim what has not happened yet).
    preview_labels: dict[str, Any] = field(default_factory=dict)
    activity_kind: str = ActivityKind.DATA_IMPORT
    # The page where this kind of import starts (a URL name), and what it says first.
    start_url: str = ""
    intro: tuple = ()
    template_name: str = "template.xlsx"
    template_url: str = ""
    # Whether staff (not only owners) may upload and confirm this kind (a group's phone list).
    staff_allowed: bool = False

    def columns(self, cells: Sequence[Any]) -> tuple[dict[str, int], bool]:
        """Where each header's column is, from the sheet's first row with a value, and
        whether that row is the headers (a kind without a template may take it as data)."""
        return _header_map(self, cells), True

    def start_path(self, job: ImportJob) -> str:
        """The page the job was started from, where its page leads back to."""
        return reverse(self.start_url)

    def start_title(self, job: ImportJob) -> str:
        return str(self.title)

    # The cells a row is read from that the preview shows as read, (header, form), form
    # being "phone", "vnd" or "int" (members.import_rows): "0168 123 4567" as "038 123 4567".
    read_columns: tuple[tuple[str, str], ...] = ()

    def read_values(self, row: Row) -> tuple:
        """What a well-formed row was read as, in the order of ``read_columns``: plain
        values (a phone in E.164, an int) that the page and the report format."""
        return ()

    def read(self, shop: Shop, cells: dict[str, Any]) -> tuple[str, Any]:
        """(key, value) of one row, or RowError."""
        raise NotImplementedError

    def complete(self, value: Any) -> Any:
        """A well-formed row's value with what only applying it needs (a preview does
        without), added as the commit reads the row: in the thread that reads ahead."""
        return value

    def preview(self, shop: Shop, rows: list[Row]) -> list[Outcome]:
        """What applying these (well-formed) rows would do, without writing."""
        raise NotImplementedError

    def apply(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        """Apply the rows, inside the batch's transaction; a repeat must change nothing."""
        raise NotImplementedError

    def result(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        """What became of these rows in this (finished) job, for the report."""
        raise NotImplementedError

    def finish(self, job: ImportJob) -> None:
        """After the last batch (e.g. a summary for the activity log)."""

    def label(self, code: str, *, applied: bool = True) -> str:
        if not applied and code in self.preview_labels:
            return str(self.preview_labels[code])
        return str(self.outcome_labels.get(code, code))


KINDS: dict[str, ImportKind] = {}


def register_import(kind: ImportKind) -> None:
    KINDS[kind.code] = kind


def import_kind(code: str) -> ImportKind:
    return KINDS[code]


# Reading -----------------------------------------------------------------------------------


def _header_map(kind: ImportKind, cells: Sequence[Any]) -> dict[str, int]:
    found = {str(cell).strip().lstrip("\ufeff").casefold(): index for index, cell in enumerate(cells) if cell != ""}
    missing = [header for header in kind.headers if header.casefold() not in found]
    if missing:
        written = ", ".join(str(cell).strip() for cell in cells if str(cell).strip()) or "—"
        raise SpreadsheetError(
            _(
                "The first row must hold the column names %(expected)s; missing: %(missing)s (the file has: "
                "%(written)s). Download the template and copy your data into it."
            )
            % {"expected": ", ".join(kind.headers), "missing": ", ".join(missing), "written": written}
        )
    return {header: found[header.casefold()] for header in kind.headers}


def _is_empty(cells: Sequence[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _raw_rows(kind: ImportKind, job: ImportJob, file: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The file's rows (``file``: the job's, from ``import_file_open``), read from its start."""
    file.seek(0)
    numbered = read_numbered_rows(name=job.file_name, content=file, max_bytes=settings.IMPORT_MAX_BYTES)
    columns = None
    for number, cells in numbered:
        if _is_empty(cells):
            continue
        if columns is None:
            columns, headers = kind.columns(cells)
            if headers:
                continue
        yield number, {header: cells[index] if index < len(cells) else "" for header, index in columns.items()}
    if columns is None:
        raise SpreadsheetError(_("The sheet is empty: download the template, fill it in and upload it."))


def _read(kind: ImportKind, shop: Shop, number: int, cells: dict[str, Any]) -> Row:
    row = Row(number=number, cells=cells)
    try:
        row.key, row.value = kind.read(shop, cells)
    except RowError as error:
        row.error = str(error)
    return row


def _repeated_error(rows: list[int], number: int) -> str:
    others = ", ".join(str(n) for n in rows if n != number)
    return _("This phone is also on row %(rows)s of this file; each phone may appear once.") % {"rows": others}


def _rows(
    kind: ImportKind,
    shop: Shop,
    job: ImportJob,
    file: IO[bytes],
    repeated: dict[str, list[int]],
    after: int = 0,
    applying: bool = False,
) -> Iterator[Row]:
    """Each row after ``after``, read once; a key the analysis found repeated is an error."""
    for number, cells in _raw_rows(kind, job, file):
        if number <= after:
            continue
        row = _read(kind, shop, number, cells)
        if not row.error and row.key in repeated:
            row.error = _repeated_error(repeated[row.key], number)
        if applying and not row.error:
            row.value = kind.complete(row.value)
        yield row


def _chunks(rows: Iterator[Row]) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _outcomes(kind: ImportKind, rows: list[Row], decide) -> list[Outcome]:
    """Errors as they are; the well-formed rows as ``decide`` says."""
    good = [row for row in rows if not row.error]
    decided = iter(decide(good) if good else [])
    return [Outcome(ERROR, row.error) if row.error else next(decided) for row in rows]


# The flow ----------------------------------------------------------------------------------


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
    from members.tasks import analyse_import

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


def import_analyse(*, job_id: int) -> None:
    """Read the file once and write the preview. Safe to run twice.

    Each batch is previewed as it is read (the next one is read meanwhile). A key seen again
    later makes all its rows errors: see ``_Tally``."""
    job = (
        ImportJob.objects.select_related("shop")
        .defer("file_content")  # read in chunks, below
        .filter(pk=job_id, status=ImportJob.Status.ANALYSING)
        .first()
    )
    if job is None:
        return
    kind = import_kind(job.kind)
    tally = _Tally(kind)
    import_rows_drop(job_id=job.pk)  # what an earlier run of this analysis kept
    try:
        with import_file_open(job_id=job.pk) as file:
            problems = _analyse(kind, job, file, tally)
    except SpreadsheetError as error:
        # Only the refusal is kept: a refused file (a bomb, random bytes) is nothing to keep.
        now = timezone.now()
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.ANALYSING).update(
            status=ImportJob.Status.REFUSED, error=str(error), finished_at=now, file_content=b"", file_dropped_at=now
        )
        import_rows_drop(job_id=job_id)
        return
    if tally.repeated:
        import_rows_mark(
            job=job,
            kind=kind,
            code=ERROR,
            reasons={n: _repeated_error(rows, n) for rows in tally.repeated.values() for n in rows},
        )
    ready = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.ANALYSING).update(
        status=ImportJob.Status.READY,
        rows_total=tally.total,
        preview={code: count for code, count in tally.counts.items() if count},
        problems=problems,
        repeated_keys=tally.repeated,
    )
    if not ready:
        import_rows_drop(job_id=job_id)  # cancelled while it was read: rows kept after the cancel's drop


def _analyse(kind: ImportKind, job: ImportJob, file: IO[bytes], tally: "_Tally") -> list[dict]:
    """Tally and keep every row of the file; the problems to show."""
    with closing(read_ahead(_chunks(_rows(kind, job.shop, job, file, repeated={})))) as batches:
        for batch in batches:
            if tally.total + len(batch) > settings.IMPORT_MAX_ROWS:
                raise SpreadsheetError(
                    _("The file has more than %(limit)s rows; one import takes at most that many: split it into "
                      "several files.") % {"limit": settings.IMPORT_MAX_ROWS}
                )  # fmt: skip
            outcomes = _outcomes(kind, batch, lambda good: kind.preview(job.shop, good))
            tally.add(batch, outcomes)
            import_rows_keep(job=job, kind=kind, batch=batch, outcomes=outcomes)
    tally.finish()
    if not tally.total:
        raise SpreadsheetError(_("The file has the column names but no rows below them."))
    return _with_repeated(kind, job, file, tally.problems, tally.repeated) if tally.repeated else tally.problems


class _Tally:
    """The analysis's counts by outcome and the first problems, batch by batch, then
    (``finish``) the keys the file repeats: each row of such a key is an error, so its
    outcome is taken back from the counts, and the rows of repeated keys are kept (on the
    job, for the commit and the report).

    Keys are kept in flat arrays (a phone as the int of its digits, its row, its outcome):
    17 bytes a row, where a dict of a million keys took 115 MB."""

    def __init__(self, kind: ImportKind):
        self.kind = kind
        self.total = 0
        self.counts: Counter[str] = Counter()
        self.problems: list[dict] = []
        self.repeated: dict[str, list[int]] = {}
        self.keys = array("q")
        self.numbers = array("q")
        self.outcomes = bytearray()  # an index into self.codes
        self.codes: list[str] = []
        self.other_keys: dict[str, int] = {}  # a key that is no phone: a number below 0 of its own

    def add(self, batch: list[Row], outcomes: list[Outcome]) -> None:
        self.total += len(batch)
        for row, outcome in zip(batch, outcomes, strict=True):
            self.counts[outcome.code] += 1
            if outcome.code in self.kind.problem_codes and len(self.problems) < PROBLEMS_SHOWN:
                self.problems.append(_problem(self.kind, row, outcome))
            if self.kind.unique_keys and not row.error and row.key:
                if outcome.code not in self.codes:
                    self.codes.append(outcome.code)
                self.keys.append(self._number(row.key))
                self.numbers.append(row.number)
                self.outcomes.append(self.codes.index(outcome.code))

    def _number(self, key: str) -> int:
        """A phone in E.164 as the int of its digits; any other key as a number below 0."""
        if key[:1] == "+" and key[1:2] != "0" and key.isascii() and key[1:].isdigit() and len(key) <= 19:
            return int(key[1:])
        return self.other_keys.setdefault(key, -1 - len(self.other_keys))

    def finish(self) -> None:
        ordered = sorted(self.keys)
        twice = {key for key, after in itertools.pairwise(ordered) if key == after}
        del ordered
        if not twice:
            return
        texts = {number: key for key, number in self.other_keys.items()}
        for index, key in enumerate(self.keys):
            if key in twice:
                self.repeated.setdefault(texts[key] if key < 0 else f"+{key}", []).append(self.numbers[index])
                self.counts[self.codes[self.outcomes[index]]] -= 1
                self.counts[ERROR] += 1


def _with_repeated(
    kind: ImportKind, job: ImportJob, file: IO[bytes], problems: list[dict], repeated: dict[str, list[int]]
) -> list[dict]:
    """The problems shown, with the rows of repeated keys among them in row order: their
    cells come from one more reading of the file, of those rows only."""
    key_of = {number: key for key, numbers in repeated.items() for number in numbers}
    wanted = set(sorted(key_of)[:PROBLEMS_SHOWN])
    found = [
        _problem(kind, Row(number, cells), Outcome(ERROR, _repeated_error(repeated[key_of[number]], number)))
        for number, cells in _raw_rows(kind, job, file)
        if number in wanted
    ]
    kept = [problem for problem in problems if problem["row"] not in key_of]
    return sorted(kept + found, key=lambda problem: problem["row"])[:PROBLEMS_SHOWN]


def _problem(kind: ImportKind, row: Row, outcome: Outcome) -> dict:
    return {
        "row": row.number,
        "cells": [cell_text(row.cells.get(header)) for header in kind.headers],
        "outcome": outcome.code,
        "reason": outcome.reason,
    }


class ImportStateError(ValueError):
    pass


def import_confirm(*, job: ImportJob, actor: User, ip: str | None) -> None:
    """Staff confirm the preview: the job goes to a worker, once however often this is sent."""
    from members.tasks import run_import

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
    from members.tasks import drop_import_rows

    unconfirmed = [ImportJob.Status.READY, ImportJob.Status.ANALYSING, ImportJob.Status.REFUSED]
    ids = list(jobs.filter(status__in=unconfirmed).values_list("pk", flat=True))
    now = timezone.now()
    cancelled = ImportJob.objects.filter(pk__in=ids, status__in=unconfirmed).update(
        status=ImportJob.Status.CANCELLED, finished_at=now, file_content=b"", file_dropped_at=now
    )
    for job_id in ids:
        transaction.on_commit(lambda job_id=job_id: drop_import_rows.delay(job_id))
    return cancelled


def import_resume(*, job: ImportJob) -> bool:
    """Hand a stalled or failed job to a worker again; it continues after its last batch."""
    from members.tasks import run_import

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
            rows = _rows(kind, job.shop, job, file, job.repeated_keys, after=job.cursor, applying=True)
            # The next batch is read and checked while this one is written.
            with closing(read_ahead(_chunks(rows))) as batches:
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
                outcomes = _outcomes(kind, batch, lambda good, locked=locked: kind.apply(job.shop, locked, good))
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


def counts_text(kind: ImportKind, counts: dict[str, int]) -> str:
    return ", ".join(f"{kind.label(code)}: {count}" for code, count in sorted(counts.items()) if count)
