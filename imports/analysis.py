"""The analysis: a worker reads the file once and writes the preview (counts by outcome,
the first rows with a problem, and every row as it was read and what it will do, in
``imports.rows``). Nothing else is written.

It reads streaming, in batches: memory holds the keys, not the rows. A key repeated in the
file is an error on each of its rows; the analysis keeps those rows on the job, so the
commit and the report read the file once too."""

import itertools
from array import array
from collections import Counter
from contextlib import closing
from typing import IO

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.concurrency import read_ahead
from core.spreadsheets import SpreadsheetError
from imports.kinds import ERROR, ImportKind, Outcome, Row, import_kind
from imports.models import ImportJob
from imports.reading import chunks, decide_outcomes, raw_rows, read_rows, repeated_error
from imports.rows import cell_text, import_rows_drop, import_rows_keep, import_rows_mark
from imports.storage import import_file_open

PROBLEMS_SHOWN = 200


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
            reasons={n: repeated_error(rows, n) for rows in tally.repeated.values() for n in rows},
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
    with closing(read_ahead(chunks(read_rows(kind, job.shop, job, file, repeated={})))) as batches:
        for batch in batches:
            if tally.total + len(batch) > settings.IMPORT_MAX_ROWS:
                raise SpreadsheetError(
                    _("The file has more than %(limit)s rows; one import takes at most that many: split it into "
                      "several files.") % {"limit": settings.IMPORT_MAX_ROWS}
                )  # fmt: skip
            outcomes = decide_outcomes(kind, batch, lambda good: kind.preview(job.shop, good))
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
        _problem(kind, Row(number, cells), Outcome(ERROR, repeated_error(repeated[key_of[number]], number)))
        for number, cells in raw_rows(kind, job, file)
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
