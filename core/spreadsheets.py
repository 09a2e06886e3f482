"""Reading what staff upload: .xlsx (python-calamine) or .csv (UTF-8, with or without BOM),
with limits that keep a bad file from hurting the server.

Before calamine sees an .xlsx, the zip's declared sizes are checked (a zip bomb is refused
unopened), every member is inflated once to check it holds what it declares, and the first
sheet's XML is scanned as a stream: calamine holds a sheet as a
dense grid, so one stray value in cell XFD1048576 would ask for billions of cells. Cells
beyond the columns we read, and formulas (we want the values people see, not what Excel
would compute), are refused with the cell's address. A sheet too large to hold in memory
is read as a stream with the standard library's expat instead, with the same checks. Either
way a run of blank rows stops the reading (``core.spreadsheet_limits``).
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.spreadsheet_limits import (
    SpreadsheetError,
    bounded,
    check_declared,
    check_inflated,
    numbered_csv_rows,
)
from core.xlsx_sheet import first_sheet_path, scan_first_sheet, streamed_rows

__all__ = ["SpreadsheetError", "check_upload", "read_numbered_rows", "read_rows"]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Also what the upload forms say (Django's own words name no file and no way out).
EMPTY_FILE = gettext_lazy(
    "The file you chose is empty (0 bytes): open it in Excel, check that your data is in it, save it and choose it "
    "again."
)
# calamine holds a whole sheet in memory (about 1.6 times its XML); a larger sheet is read
# as a stream instead (``core.xlsx_sheet.streamed_rows``): slower, in memory that does not grow with it.
CALAMINE_MAX_SHEET_BYTES = 64 * 1024 * 1024


def check_upload(*, name: str, size: int, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """What can be told from the name and the size alone."""
    if size > max_bytes:
        raise SpreadsheetError(
            _("The file is larger than %(size)d MB: split it into smaller files.") % {"size": max_bytes // 2**20}
        )
    lower = name.lower()
    if lower.endswith(".xls"):
        raise SpreadsheetError(
            _("Old .xls files are not accepted: open it in Excel and use File › Save As › Excel Workbook (.xlsx).")
        )
    if not lower.endswith((".xlsx", ".csv")):
        raise SpreadsheetError(_("Upload an Excel file (.xlsx) or a CSV file (.csv)."))
    if size == 0:
        raise SpreadsheetError(str(EMPTY_FILE))


def read_numbered_rows(
    *, name: str, content: bytes | BinaryIO, max_bytes: int = MAX_UPLOAD_BYTES
) -> Iterator[tuple[int, list]]:
    """(row number as the spreadsheet shows it, cell values) for each row of the first
    sheet, values as str, float, int, bool or date. ``content``: the bytes, or a seekable
    file, read as a stream (a CSV is decoded as it is read, never held whole). Raises
    SpreadsheetError for a file that cannot be read, before the first row (a CSV's bytes
    that are not UTF-8 further down: when they are reached)."""
    stream = io.BytesIO(content) if isinstance(content, bytes | bytearray | memoryview) else content
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    check_upload(name=name, size=size, max_bytes=max_bytes)
    if name.lower().endswith(".xlsx"):
        return bounded(_xlsx_rows(stream))
    return bounded(_csv_rows(stream))


def read_rows(*, name: str, content: bytes | BinaryIO, max_bytes: int = MAX_UPLOAD_BYTES) -> Iterator[list]:
    """The rows of the first sheet, each a list of cell values."""
    return (cells for _number, cells in read_numbered_rows(name=name, content=content, max_bytes=max_bytes))


def _xlsx_rows(content: BinaryIO) -> Iterator[tuple[int, list]]:
    from python_calamine import CalamineWorkbook

    try:
        archive = zipfile.ZipFile(content)
        members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise SpreadsheetError(_("This is not a valid .xlsx file: open it in Excel and save it again.")) from error
    check_declared(members)
    sheet_path = first_sheet_path(archive)
    try:
        sheet_size = archive.getinfo(sheet_path).file_size
    except KeyError as error:
        raise SpreadsheetError(_("This .xlsx file has no sheet: open it in Excel and save it again.")) from error
    strings_size = sum(info.file_size for info in members if info.filename == "xl/sharedStrings.xml")
    if max(sheet_size, strings_size) > CALAMINE_MAX_SHEET_BYTES:  # calamine holds all its strings too
        return streamed_rows(archive, sheet_path)
    scan_first_sheet(archive, sheet_path)
    check_inflated(content, members)  # a false declared size is a bomb, whatever calamine makes of it
    try:
        content.seek(0)
        workbook = CalamineWorkbook.from_filelike(content)
        sheet = workbook.get_sheet_by_index(0)
        first_row = sheet.start[0] + 1 if sheet.start else 1
        rows = sheet.iter_rows()
    except Exception as error:  # calamine raises its own types for broken files
        raise SpreadsheetError(_("This .xlsx file cannot be read: open it in Excel and save it again.")) from error
    return _guarded(first_row, rows)


def _guarded(first_row: int, rows: Iterator[list]) -> Iterator[tuple[int, list]]:
    """Number the rows; a failure inside calamine while reading (a Rust panic arrives as a
    BaseException) becomes a SpreadsheetError instead of killing the job silently."""
    index = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as error:
            raise SpreadsheetError(_("This .xlsx file cannot be read: open it in Excel and save it again.")) from error
        yield first_row + index, row
        index += 1


def _not_utf8() -> SpreadsheetError:
    return SpreadsheetError(_("The CSV file is not UTF-8: in Excel, save it as “CSV UTF-8”."))


def _csv_rows(content: BinaryIO) -> Iterator[tuple[int, list]]:
    # Decoded as it is read: the whole file as one str (and a StringIO of it) took about
    # six times the file's size, since text with Vietnamese marks takes 2-4 bytes a letter.
    text = io.TextIOWrapper(content, encoding="utf-8-sig", newline="")
    try:
        sample = text.read(4096)
    except UnicodeDecodeError as error:
        text.detach()
        raise _not_utf8() from error
    if "\x00" in sample:
        text.detach()
        raise SpreadsheetError(
            _("This file is not a CSV text file: upload an Excel file (.xlsx) or a CSV file (.csv).")
        )
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    text.seek(0)
    return _decoded(text, numbered_csv_rows(csv.reader(text, dialect)))


def _decoded(text: io.TextIOWrapper, rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    """The numbered rows; bytes that are not UTF-8 further down refuse the file when
    reached. The file is left open for its owner (a wrapper closes what it wraps when
    collected)."""
    try:
        yield from rows
    except UnicodeDecodeError as error:
        raise _not_utf8() from error
    finally:
        text.detach()
