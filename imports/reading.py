"""Reading an import's file: its rows as the kind reads them, a batch at a time. A row is
read the same way by the analysis, the commit and the report."""

from collections.abc import Iterator, Sequence
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from core.spreadsheets import SpreadsheetError, read_numbered_rows
from imports.kinds import ERROR, ImportKind, Outcome, Row, RowError
from imports.models import ImportJob
from shops.models import Shop

BATCH_SIZE = 5_000


def _is_empty(cells: Sequence[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def raw_rows(kind: ImportKind, job: ImportJob, file: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
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


def repeated_error(rows: list[int], number: int) -> str:
    others = ", ".join(str(n) for n in rows if n != number)
    return _("This phone is also on row %(rows)s of this file; each phone may appear once.") % {"rows": others}


def read_rows(
    kind: ImportKind,
    shop: Shop,
    job: ImportJob,
    file: IO[bytes],
    repeated: dict[str, list[int]],
    after: int = 0,
    applying: bool = False,
) -> Iterator[Row]:
    """Each row after ``after``, read once; a key the analysis found repeated is an error."""
    for number, cells in raw_rows(kind, job, file):
        if number <= after:
            continue
        row = _read(kind, shop, number, cells)
        if not row.error and row.key in repeated:
            row.error = repeated_error(repeated[row.key], number)
        if applying and not row.error:
            row.value = kind.complete(row.value)
        yield row


def chunks(rows: Iterator[Row]) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def decide_outcomes(kind: ImportKind, rows: list[Row], decide) -> list[Outcome]:
    """Errors as they are; the well-formed rows as ``decide`` says."""
    good = [row for row in rows if not row.error]
    decided = iter(decide(good) if good else [])
    return [Outcome(ERROR, row.error) if row.error else next(decided) for row in rows]
