"""Writing spreadsheets for staff: openpyxl's write-only mode, so memory stays flat."""

from collections.abc import Iterable, Sequence
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# What a spreadsheet might take for the start of a formula when the cell is edited or the
# sheet saved as CSV (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(sheet, value):
    """A value as a cell: text stays a text cell, never a formula. Text that looks like one
    ("=…", "+84…", "-5000") gets Excel's quote prefix, the style Excel itself gives a value
    typed after an apostrophe: shown as typed, no apostrophe, and kept as text when edited."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl takes a value that starts with "=" for a formula
    cell.quotePrefix = True
    return cell


def write_xlsx_to(
    out: IO[bytes], *, title: str, header: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] = ()
) -> int:
    """Write the workbook into ``out`` (a temporary file for a large export: a million rows
    make tens of MB); how many data rows it holds."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
        count += 1
    workbook.save(out)
    return count
