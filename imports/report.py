"""An import's template (the download staff fill in) and its report (every row of the file,
as read and what became of it, built as an export on request)."""

import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from imports.kinds import ERROR, ImportKind, Outcome, Row, import_kind
from imports.models import ImportJob
from imports.reading import chunks, decide_outcomes, read_rows
from imports.rows import cell_text, reported_value
from imports.storage import import_file_open


def template_xlsx(kind: ImportKind) -> bytes:
    """The template: exactly the kind's headers, one example row, and the phone column
    formatted as text so a spreadsheet keeps its leading zero."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(kind.title)[:31]
    sheet.append(list(kind.headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(list(kind.example))
    for index, header in enumerate(kind.headers):
        letter = chr(ord("A") + index)
        sheet.column_dimensions[letter].width = max(14, len(header) + 4)
        if header in kind.text_columns:
            for row in range(1, 2001):
                sheet[f"{letter}{row}"].number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_rows(*, job: ImportJob) -> tuple[list[str], int, Iterator[list]]:
    """Every row of the file: its cells as typed (text), what they were read as (a phone as
    text, an amount as a number), its outcome, the reason and what to check: as previewed,
    or as applied once the job is done."""
    kind = import_kind(job.kind)
    done = job.status == ImportJob.Status.DONE
    read_headers = [_("%(header)s (read as)") % {"header": header} for header, _form in kind.read_columns]
    header = [_("Row"), *kind.headers, *read_headers, _("Outcome"), _("Reason"), _("Check")]
    blank = [""] * len(kind.read_columns)

    def applied(good: list[Row]) -> list[Outcome]:
        refused = job.apply_errors
        results = iter(kind.result(job.shop, job, [row for row in good if str(row.number) not in refused]))
        return [
            Outcome(ERROR, refused[str(row.number)]) if str(row.number) in refused else next(results) for row in good
        ]

    def rows() -> Iterator[list]:
        decide = applied if done else (lambda good: kind.preview(job.shop, good))
        with import_file_open(job_id=job.pk) as file:
            for batch in chunks(read_rows(kind, job.shop, job, file, job.repeated_keys)):
                for row, outcome in zip(batch, decide_outcomes(kind, batch, decide), strict=True):
                    cells = [cell_text(row.cells.get(h)) for h in kind.headers]
                    read = blank if row.error else _read_cells(kind, row)
                    label = kind.label(outcome.code, applied=done)
                    yield [row.number, *cells, *read, label, outcome.reason, outcome.flag]

    return header, job.rows_total, rows()


def _read_cells(kind: ImportKind, row: Row) -> list:
    return [
        reported_value(form, value) for (_h, form), value in zip(kind.read_columns, kind.read_values(row), strict=True)
    ]
