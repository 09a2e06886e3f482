"""Every row of an import's preview, kept for its pages: what each row was read as (the
phone normalised, the amount parsed), what it will do and why, and what deserves a look
before confirming (a name unlike the matched customer's).

The analysis writes a batch's rows as it previews the batch (COPY on PostgreSQL), so the
page never reads the file: a web request parses no spreadsheet, and page 5,000 of a million
rows costs what page 1 does (the rows are paged by their row number, on the primary key
that leads with the job and the outcome). The rows go once the job no longer needs a
preview. (``cell_text`` lives here, as the one way a cell is shown as typed.)
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from core.db import insert_rows, values_table
from core.formatting import format_int, format_vnd
from imports.models import ImportJob, ImportRow
from members.phones import format_phone_national

if TYPE_CHECKING:
    from imports.kinds import ImportKind, Outcome, Row

PAGE_SIZE = 100
FLAGGED = "flagged"  # the filter of rows with a flag; never an outcome's code

# How a value a kind read is shown on the page, and written in the report (a phone as
# text, so that a spreadsheet keeps its leading zero; an amount as a number cell).
_SHOWN = {"phone": format_phone_national, "vnd": lambda v: format_vnd(int(v)), "int": lambda v: format_int(int(v))}
_REPORTED = {"phone": format_phone_national, "vnd": int, "int": int}
_NOT_SIGNIFICANT = re.compile(r"[\W_]+")


def shown_value(form: str, value: Any) -> str:
    return "" if value is None or value == "" else _SHOWN[form](value)


def reported_value(form: str, value: Any) -> Any:
    return "" if value is None or value == "" else _REPORTED[form](value)


def cell_text(value: Any) -> str:
    """A cell as the person typed it: a whole number without ".0", no surrounding spaces."""
    if type(value) is str:  # most cells: first, as this runs for every cell of every row
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _joined(values) -> str:
    return ImportRow.SEPARATOR.join(str(value).replace(ImportRow.SEPARATOR, " ") for value in values)


def _split(text: str) -> list[str]:
    return text.split(ImportRow.SEPARATOR) if text else []


def import_rows_keep(
    *, job: ImportJob, kind: "ImportKind", batch: Sequence["Row"], outcomes: Sequence["Outcome"]
) -> None:
    """Keep a previewed batch for the preview's pages (a repeat of the analysis first drops
    what an earlier run kept: ``import_rows_drop``)."""
    rows = [
        (
            outcome.code,
            row.number,
            _joined(cell_text(row.cells.get(header)) for header in kind.headers),
            "" if row.error else _joined(kind.read_values(row)),
            outcome.reason,
            outcome.flag,
        )
        for row, outcome in zip(batch, outcomes, strict=True)
    ]
    if connection.vendor != "postgresql":
        insert_rows(ImportRow, ["outcome", "number", "cells", "read", "reason", "flag"], rows, same={"job": job.pk})
        return
    # COPY: a million rows through INSERT … SELECT FROM unnest(…) took 35 s of a 140 s
    # preview, most of it building and parsing the arrays' text.
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {_TABLE} ({_COLUMNS}) FROM STDIN") as copy:
        for values in rows:
            copy.write_row((job.pk, *values))


_TABLE = connection.ops.quote_name(ImportRow._meta.db_table)
_COLUMNS = ", ".join(
    connection.ops.quote_name(ImportRow._meta.get_field(name).column)
    for name in ("job", "outcome", "number", "cells", "read", "reason", "flag")
)


def import_rows_mark(*, job: ImportJob, kind: "ImportKind", reasons: dict[int, str], code: str) -> None:
    """Give these rows (number -> reason) the outcome ``code``: the rows of a key the file
    repeats, known only once the whole file is read. (The outcome leads the primary key
    after the job: naming the outcomes a row may have lets each row be found on it.)"""
    fields = [ImportRow._meta.get_field("number"), ImportRow._meta.get_field("reason")]
    items = sorted(reasons.items())
    others = [other for other in kind.outcome_labels if other != code]
    with connection.cursor() as cursor:
        for start in range(0, len(items), 5_000):
            values, params, (number, reason) = values_table(fields, items[start : start + 5_000])
            cursor.execute(
                f"UPDATE {_TABLE} SET outcome = %s, reason = {reason}, flag = '' FROM {values} "
                f"WHERE {_TABLE}.job_id = %s AND {_TABLE}.outcome IN ({', '.join(['%s'] * len(others))}) "
                f"AND {_TABLE}.number = {number}",
                [code, *params, job.pk, *others],
            )


def import_rows_drop(*, job_id: int) -> None:
    """The preview's rows, gone: the job is being analysed again, confirmed or cancelled.
    On PostgreSQL in batches, so a million rows do not make one long transaction."""
    if connection.vendor != "postgresql":
        ImportRow.objects.filter(job_id=job_id).delete()
        return
    with connection.cursor() as cursor:
        while True:
            with transaction.atomic():
                cursor.execute(
                    f"DELETE FROM {_TABLE} WHERE ctid IN (SELECT ctid FROM {_TABLE} WHERE job_id = %s LIMIT 50000)",
                    [job_id],
                )
                if not cursor.rowcount:
                    return


@dataclass
class Cell:
    typed: str
    read: str = ""  # what it was read as, where the kind read it

    @property
    def changed(self) -> bool:
        """Whether reading it changed more than spacing and punctuation ("0168 123 4567"
        became "038 123 4567"; "1500000" as "1.500.000 ₫" did not)."""
        if not self.read:
            return False
        return _NOT_SIGNIFICANT.sub("", self.typed.casefold()) != _NOT_SIGNIFICANT.sub("", self.read.casefold())


@dataclass
class PreviewPage:
    rows: list[dict]
    shown: str  # the filter: an outcome's code, FLAGGED or "" for every row
    total: int  # rows that pass the filter
    flagged: int  # rows with something to check, whatever the filter
    after: int | None  # the cursor of the next page, if there is one
    before: int | None  # the cursor of the previous page, if there is one


def preview_page(
    *, job: ImportJob, kind: "ImportKind", shown: str, after: int = 0, before: int | None = None
) -> PreviewPage:
    """One page of the preview's rows, by row number: those after ``after`` or, going
    back, those before ``before``. Every row is the merge of each outcome's page, each
    read in order on the primary key."""
    rows = ImportRow.objects.filter(job=job)
    flagged = rows.exclude(flag="").count()  # on a partial index of the flagged rows only
    if shown == FLAGGED:
        sources, total = [rows.exclude(flag="")], flagged
    elif shown in kind.outcome_labels:
        sources, total = [rows.filter(outcome=shown)], job.preview.get(shown, 0)
    else:
        shown, total = "", job.rows_total
        sources = [rows.filter(outcome=code) for code, count in sorted(job.preview.items()) if count]
    fields = ("number", "outcome", "cells", "read", "reason", "flag")
    if before is not None:
        found = sorted(
            (
                values
                for source in sources
                for values in source.filter(number__lt=before).order_by("-number").values_list(*fields)[: PAGE_SIZE + 1]
            ),
            reverse=True,
        )[: PAGE_SIZE + 1]
        more_before, found = len(found) > PAGE_SIZE, found[:PAGE_SIZE][::-1]
        more_after = True
    else:
        found = sorted(
            values
            for source in sources
            for values in source.filter(number__gt=after).order_by("number").values_list(*fields)[: PAGE_SIZE + 1]
        )[: PAGE_SIZE + 1]
        more_after, found = len(found) > PAGE_SIZE, found[:PAGE_SIZE]
        more_before = bool(after) and any(source.filter(number__lte=after).exists() for source in sources)
    return PreviewPage(
        rows=[_shown_row(kind, *values) for values in found],
        shown=shown,
        total=total,
        flagged=flagged,
        after=found[-1][0] if found and more_after else None,
        before=found[0][0] if found and more_before else None,
    )


def _shown_row(kind: "ImportKind", number: int, outcome: str, cells: str, read: str, reason: str, flag: str) -> dict:
    read_by_header = {
        header: shown_value(form, value) for (header, form), value in zip(kind.read_columns, _split(read), strict=False)
    }
    return {
        "number": number,
        "outcome": outcome,
        "label": kind.label(outcome, applied=False),  # a preview: what will be done
        "cells": [
            Cell(typed, read_by_header.get(header, ""))
            for header, typed in zip(kind.headers, _split(cells), strict=False)
        ],
        "reason": reason,
        "flag": flag,
    }
