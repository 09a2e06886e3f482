"""The first sheet of an .xlsx, at the XML level: finding it, scanning it as a stream for
formulas and cells beyond the columns we read (calamine would make a dense grid of them),
and reading a sheet too large for calamine as a stream with the standard library's expat.
``core.spreadsheets`` decides which reader a file gets."""

import posixpath
import re
import zipfile
from array import array
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

from django.utils.translation import gettext as _

from core.spreadsheet_limits import MAX_SHEET_BYTES, RowCounter, RowSpan, SpreadsheetError
from core.spreadsheet_limits import bomb_error as _bomb_error

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


def first_sheet_path(archive: zipfile.ZipFile) -> str:
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


def scan_first_sheet(archive: zipfile.ZipFile, path: str) -> None:
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


def streamed_rows(archive: zipfile.ZipFile, path: str) -> Iterator[tuple[int, list]]:
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
