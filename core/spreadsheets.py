"""Reading what staff upload: .xlsx (python-calamine) or .csv (UTF-8, with or without BOM),
with limits that keep a bad file from hurting the server.

Before calamine sees an .xlsx, the zip's declared sizes are checked (a zip bomb is refused
unopened) and the first sheet's XML is scanned as a stream: calamine holds a sheet as a
dense grid, so one stray value in cell XFD1048576 would ask for billions of cells. Cells
beyond the columns we read, and formulas (we want the values people see, not what Excel
would compute), are refused with the cell's address.
"""

import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024  # what the .xlsx's zip says it holds, checked before parsing
MAX_COMPRESSION_RATIO = 200  # spreadsheet XML packs 10-50×; a bomb packs thousands×
MAX_COLUMNS = 8  # A-H: a template's columns and a few notes beside them
_SCAN_CHUNK = 4 * 1024 * 1024

_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
# A cell with content (not self-closing: styled empty cells are harmless) beyond column H.
_WIDE_CELL = re.compile(
    rb'<(?:\w+:)?c\s[^>]*?\br="(?:[A-Z]{2,}|[%s-Z])[0-9]+"[^>]*(?<!/)>' % bytes([ord("A") + MAX_COLUMNS])
)

RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DOC_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


class SpreadsheetError(ValueError):
    pass


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
        raise SpreadsheetError(_("The file is empty."))


def read_numbered_rows(*, name: str, content: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> Iterator[tuple[int, list]]:
    """(row number as the spreadsheet shows it, cell values) for each row of the first
    sheet, values as str, float, int, bool or date. Raises SpreadsheetError for a file that
    cannot be read, before the first row."""
    check_upload(name=name, size=len(content), max_bytes=max_bytes)
    if name.lower().endswith(".xlsx"):
        return _xlsx_rows(content)
    return _csv_rows(content)


def read_rows(*, name: str, content: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> Iterator[list]:
    """The rows of the first sheet, each a list of cell values."""
    return (cells for _number, cells in read_numbered_rows(name=name, content=content, max_bytes=max_bytes))


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list]]:
    from python_calamine import CalamineWorkbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise SpreadsheetError(_("This is not a valid .xlsx file: open it in Excel and save it again.")) from error
    declared = sum(info.file_size for info in members)
    packed = sum(info.compress_size for info in members) or 1
    if declared > MAX_UNZIPPED_BYTES or declared / packed > MAX_COMPRESSION_RATIO:
        raise SpreadsheetError(_("This .xlsx file unpacks to far more than it should: it is refused."))
    _scan_first_sheet(archive)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
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


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The zip member holding the workbook's first sheet (the one calamine reads)."""
    try:
        for small in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            if archive.getinfo(small).file_size > 5 * 2**20:
                raise SpreadsheetError(_("This .xlsx file cannot be read: open it in Excel and save it again."))
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError) as error:
        raise SpreadsheetError(_("This is not a valid .xlsx file: open it in Excel and save it again.")) from error
    sheet = workbook.find(f"{MAIN_NS}sheets/{MAIN_NS}sheet")
    relation_id = sheet.get(f"{DOC_REL_NS}id") if sheet is not None else None
    for relation in relations.iter(f"{RELS_NS}Relationship"):
        if relation.get("Id") == relation_id:
            target = relation.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    raise SpreadsheetError(_("This .xlsx file has no sheet: open it in Excel and save it again."))


def _scan_first_sheet(archive: zipfile.ZipFile) -> None:
    """Refuse formulas and values beyond the columns we read, naming the first such cell."""
    try:
        stream = archive.open(_first_sheet_path(archive))
    except KeyError as error:
        raise SpreadsheetError(_("This .xlsx file has no sheet: open it in Excel and save it again.")) from error
    tail = b""
    with stream:
        while True:
            try:
                chunk = stream.read(_SCAN_CHUNK)
            except (zipfile.BadZipFile, EOFError, OSError) as error:
                raise SpreadsheetError(_("This .xlsx file is damaged: open it in Excel and save it again.")) from error
            if not chunk:
                return
            data = tail + chunk
            formula = _FORMULA.search(data)
            if formula:
                raise SpreadsheetError(
                    _(
                        "Cell %(cell)s holds a formula. Replace formulas with their values (copy the cells, then "
                        "Paste Special › Values) and upload the file again."
                    )
                    % {"cell": _cell_before(data, formula.start())}
                )
            wide = _WIDE_CELL.search(data)
            if wide:
                reference = _CELL_REF.search(data, wide.start())
                raise SpreadsheetError(
                    _(
                        "Cell %(cell)s holds a value, but only columns A to %(last)s are read: delete the extra "
                        "columns and upload the file again."
                    )
                    % {"cell": (reference[1] + reference[2]).decode(), "last": chr(ord("A") + MAX_COLUMNS - 1)}
                )
            tail = data[-512:]


def _cell_before(data: bytes, position: int) -> str:
    start = data.rfind(b"<c ", 0, position)
    found = _CELL_REF.search(data, start) if start >= 0 else None
    return (found[1] + found[2]).decode() if found else "?"


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpreadsheetError(_("The CSV file is not UTF-8: in Excel, save it as “CSV UTF-8”.")) from error
    if "\x00" in text[:4096]:
        raise SpreadsheetError(
            _("This file is not a CSV text file: upload an Excel file (.xlsx) or a CSV file (.csv).")
        )
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return enumerate(csv.reader(io.StringIO(text), dialect), start=1)
