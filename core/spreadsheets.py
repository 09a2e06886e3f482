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
import posixpath
import re
import zipfile
from array import array
from collections.abc import Iterator
from typing import Any, BinaryIO
from xml.etree import ElementTree
from xml.parsers import expat

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.spreadsheet_limits import (
    MAX_SHEET_BYTES,
    RowCounter,
    RowSpan,
    SpreadsheetError,
    bounded,
    check_declared,
    check_inflated,
    numbered_csv_rows,
)
from core.spreadsheet_limits import bomb_error as _bomb_error

__all__ = ["SpreadsheetError", "check_upload", "read_numbered_rows", "read_rows"]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Also what the upload forms say (Django's own words name no file and no way out).
EMPTY_FILE = gettext_lazy(
    "The file you chose is empty (0 bytes): open it in Excel, check that your data is in it, save it and choose it "
    "again."
)
MAX_COLUMNS = 8  # A-H: a template's columns and a few notes beside them
# calamine holds a whole sheet in memory (about 1.6 times its XML); a larger sheet is read
# as a stream instead (``_streamed_rows``): slower, in memory that does not grow with it.
CALAMINE_MAX_SHEET_BYTES = 64 * 1024 * 1024
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
    sheet_path = _first_sheet_path(archive)
    try:
        sheet_size = archive.getinfo(sheet_path).file_size
    except KeyError as error:
        raise SpreadsheetError(_("This .xlsx file has no sheet: open it in Excel and save it again.")) from error
    strings_size = sum(info.file_size for info in members if info.filename == "xl/sharedStrings.xml")
    if max(sheet_size, strings_size) > CALAMINE_MAX_SHEET_BYTES:  # calamine holds all its strings too
        return _streamed_rows(archive, sheet_path)
    _scan_first_sheet(archive, sheet_path)
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


def _chunks(archive: zipfile.ZipFile, path: str) -> Iterator[bytes]:
    try:
        stream = archive.open(path)
    except KeyError as error:
        raise SpreadsheetError(_("This .xlsx file has no sheet: open it in Excel and save it again.")) from error
    inflated = 0
    with stream:
        while True:
            try:
                chunk = stream.read(_SCAN_CHUNK)
            except (zipfile.BadZipFile, EOFError, OSError) as error:
                raise SpreadsheetError(_("This .xlsx file is damaged: open it in Excel and save it again.")) from error
            if not chunk:
                return
            inflated += len(chunk)
            if inflated > MAX_SHEET_BYTES:  # what is inflated, whatever the zip declared
                raise _bomb_error()
            yield chunk


def _formula_error(cell: str) -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "Cell %(cell)s holds a formula. Replace formulas with their values (copy the cells, then Paste Special "
            "› Values) and upload the file again."
        )
        % {"cell": cell}
    )


def _wide_error(cell: str) -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "Cell %(cell)s holds a value, but only columns A to %(last)s are read: delete the extra columns and "
            "upload the file again."
        )
        % {"cell": cell, "last": chr(ord("A") + MAX_COLUMNS - 1)}
    )


def _scan_first_sheet(archive: zipfile.ZipFile, path: str) -> None:
    """Refuse formulas and values beyond the columns we read, naming the first such cell, and
    rows numbered far past the rows the sheet holds (calamine's grid would hold them all)."""
    tail, span = b"", RowSpan()
    for chunk in _chunks(archive, path):
        span.add(chunk)
        data = tail + chunk
        formula = _FORMULA.search(data)
        if formula:
            raise _formula_error(_cell_before(data, formula.start()))
        wide = _WIDE_CELL.search(data)
        if wide:
            reference = _CELL_REF.search(data, wide.start())
            raise _wide_error((reference[1] + reference[2]).decode() if reference else "?")
        tail = data[-512:]
    span.check()


def _cell_before(data: bytes, position: int) -> str:
    start = data.rfind(b"<c ", 0, position)
    found = _CELL_REF.search(data, start) if start >= 0 else None
    return (found[1] + found[2]).decode() if found else "?"


# The streaming reader ------------------------------------------------------------------------

_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Excel writes control characters as _xHHHH_ (and a literal "_x" as _x005F_)."""
    return _EXCEL_ESCAPE.sub(lambda found: chr(int(found[1], 16)), text) if "_x" in text else text


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class _SharedStrings:
    """The workbook's shared strings, kept as one UTF-8 blob and offsets: a million short
    strings take tens of MB this way, several times that as Python strings."""

    def __init__(self, archive: zipfile.ZipFile):
        self.blob = bytearray()
        self.ends = array("q")
        try:
            archive.getinfo("xl/sharedStrings.xml")
        except KeyError:
            return
        parts: list[str] = []
        depth = {"si": 0, "t": 0, "rPh": 0}

        def start(name, _attrs):
            name = _local(name)
            if name in depth:
                depth[name] += 1

        def end(name):
            name = _local(name)
            if name not in depth:
                return
            depth[name] -= 1
            if name == "si":
                self.blob += _unescape("".join(parts)).encode()
                self.ends.append(len(self.blob))
                parts.clear()

        def text(data):
            if depth["t"] and depth["si"] and not depth["rPh"]:  # phonetic runs are not the text
                parts.append(data)

        for _step in _parse(archive, "xl/sharedStrings.xml", start, end, text):
            pass

    def __getitem__(self, index: int) -> str:
        start = self.ends[index - 1] if index else 0
        return self.blob[start : self.ends[index]].decode()


def _parse(archive: zipfile.ZipFile, path: str, start, end, text) -> Iterator[None]:
    """Feed the zip member to expat a chunk at a time, pausing after each chunk so that
    the caller can take what the handlers collected."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    try:
        for chunk in _chunks(archive, path):
            parser.Parse(chunk, False)
            yield
        parser.Parse(b"", True)
    except SpreadsheetError:  # a formula or a cell too far right, named by the handlers
        raise
    except (expat.ExpatError, ValueError, IndexError) as error:  # bad XML, or a value or string index
        raise SpreadsheetError(_("This .xlsx file is damaged: open it in Excel and save it again.")) from error
    yield


def _column(reference: str, cache: dict[str, int]) -> int:
    letters = reference.rstrip("0123456789")
    index = cache.get(letters)
    if index is None:
        index = 0
        for letter in letters:
            index = index * 26 + ord(letter) - ord("A") + 1
        cache[letters] = index = index - 1
    return index


def _streamed_rows(archive: zipfile.ZipFile, path: str) -> Iterator[tuple[int, list]]:
    """The sheet's rows as calamine gives them (numbers as float, text as str, booleans,
    empty cells as ""), read as a stream: memory holds one chunk of rows at a time. A
    formula, or a value beyond the columns we read, stops the reading with the cell named."""
    strings = _SharedStrings(archive)
    done: list[tuple[int, list]] = []
    columns: dict[str, int] = {}
    state: dict[str, Any] = {
        "row": 0, "cells": [], "column": 0, "type": "n", "ref": "", "text": None, "in_value": False
    }  # fmt: skip
    counter = RowCounter()

    def start(name, attrs):
        name = _local(name)
        if name == "c":
            reference = attrs.get("r")
            state["ref"] = reference or ""
            state["column"] = _column(reference, columns) if reference else len(state["cells"])
            state["type"] = attrs.get("t", "n")
            state["text"] = None
        elif name in ("v", "t"):
            state["in_value"] = True
            if state["text"] is None:
                state["text"] = []
        elif name == "f":
            raise _formula_error(state["ref"] or "?")
        elif name == "row":
            number = attrs.get("r")
            state["row"] = int(number) if number else state["row"] + 1
            state["cells"] = []

    def end(name):
        name = _local(name)
        if name in ("v", "t"):
            state["in_value"] = False
        elif name == "c":
            parts = state["text"]
            if parts is None:
                return
            raw = "".join(parts)
            kind = state["type"]
            value: str | float | bool
            if kind == "s":
                value = strings[int(raw)]
            elif kind == "n":
                value = float(raw) if raw else ""
            elif kind == "b":
                value = raw == "1"
            else:  # inlineStr, str, e (an error such as #N/A, kept as its text)
                value = _unescape(raw)
            if value == "":
                return
            column = state["column"]
            if column >= MAX_COLUMNS:
                raise _wide_error(state["ref"])
            cells = state["cells"]
            if column >= len(cells):
                cells.extend([""] * (column + 1 - len(cells)))
            cells[column] = value
        elif name == "row":
            # Blank rows are counted, not kept: a chunk of XML holds hundreds of thousands.
            counter.add(state["row"], blank=not state["cells"])
            if state["cells"]:
                done.append((state["row"], state["cells"]))

    def text(data):
        if state["in_value"]:
            state["text"].append(data)

    for _step in _parse(archive, path, start, end, text):
        yield from done
        done.clear()


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
