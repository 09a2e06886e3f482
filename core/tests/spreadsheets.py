"""Spreadsheet files for tests, as the bytes an upload carries: one way to write an .xlsx or
a .csv, one way to read a downloaded .xlsx back, and one way to rewrite a part of an .xlsx
(for files broken or lying on purpose)."""

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence

from openpyxl import Workbook, load_workbook

SHEET = "xl/worksheets/sheet1.xml"


def xlsx_bytes(
    rows: Iterable[Sequence] = (),
    *,
    headers: Sequence | None = None,
    fill: Callable | None = None,
    write_only: bool = False,
) -> bytes:
    """An .xlsx of one sheet: ``headers`` (if any), then ``rows``; ``fill(sheet)`` may add
    what rows cannot say (a cell far away, a style). A write-only workbook is saved as
    openpyxl streams it (inline strings instead of shared ones)."""
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("Sheet") if write_only else workbook.active
    for row in [headers] if headers else []:
        sheet.append(list(row))
    for row in rows:
        sheet.append(list(row))
    if fill:
        fill(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(
    rows: Iterable[Sequence], *, headers: Sequence | None = None, encoding: str = "utf-8", delimiter: str = ","
) -> bytes:
    """A .csv as Excel writes one (CRLF line ends), in ``encoding`` ("utf-8-sig" adds the BOM
    Excel puts first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if headers:
        writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_sheet(content: bytes):
    """The first sheet of a downloaded .xlsx (openpyxl's worksheet, for its cells and formats)."""
    return load_workbook(io.BytesIO(content)).active


def xlsx_rows(content: bytes) -> list[tuple]:
    """The values of every row of a downloaded .xlsx's first sheet."""
    return list(xlsx_sheet(content).values)


def xlsx_rewritten(content: bytes, change: Callable[[bytes], bytes], *, part: str = SHEET) -> bytes:
    """The .xlsx with one part (the first sheet unless told) passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data) if item.filename == part else data)
    return buffer.getvalue()
