"""The bounds that keep an uploaded spreadsheet from holding a worker: what an .xlsx's zip
may declare, what it may really inflate to, and how many rows (blank ones included) are read.

A zip bomb need not look like one overall: a sheet of blank rows that deflates 300× can be
padded with stored random bytes so that the whole file's ratio looks ordinary. So each member
is checked on its own as well as the whole. Declared sizes can lie: Python's zipfile stops
at the declared size, and the zip reader inside calamine (today) stops once it is passed, but
rather than depend on a library's version, each member calamine will read is inflated here
first, counting, and refused as a bomb as soon as it holds more than it declared (about 3%
of the time calamine then takes to read a 60 MB sheet).
"""

import csv
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from django.utils.translation import gettext as _

from core.formatting import format_int

MAX_UNZIPPED_BYTES = 512 * 1024 * 1024  # what the whole .xlsx may unpack to
# One sheet: a million rows of the columns we read is 200-300 MB of XML.
MAX_SHEET_BYTES = 384 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # the whole file: spreadsheet XML packs 10-50×, a bomb thousands×
# One member: the XML Excel and openpyxl write packs under 20× (data or styled blank rows);
# blank rows without numbers pack 300× and more. Tiny members may pack oddly: only larger ones.
MAX_MEMBER_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024
# Blank rows in a row (styled but empty, e.g. a column formatted far below the data): our own
# template has 2,000; a sheet of nothing but blank rows is refused as soon as it shows itself.
MAX_BLANK_ROWS = 100_000
EXCEL_MAX_ROWS = 1_048_576  # no sheet Excel writes holds more rows, blank or not
_CHUNK = 1024 * 1024
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s/>]")
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="([0-9]+)"')
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., name length, extra length


class SpreadsheetError(ValueError):
    """A file that cannot be read as it is (here: one past a bound); the message says what to do."""


def bomb_error() -> SpreadsheetError:
    return SpreadsheetError(_("This .xlsx file unpacks to far more than it should: it is refused."))


def damaged_error() -> SpreadsheetError:
    return SpreadsheetError(_("This .xlsx file is damaged: open it in Excel and save it again."))


def check_declared(members: list[zipfile.ZipInfo]) -> None:
    """Refuse, unopened, an archive whose declared sizes make it a bomb: in total, or one member."""
    declared = sum(info.file_size for info in members)
    packed = sum(info.compress_size for info in members) or 1
    if declared > MAX_UNZIPPED_BYTES or declared / packed > MAX_COMPRESSION_RATIO:
        raise bomb_error()
    for info in members:
        if info.file_size > MAX_SHEET_BYTES:
            raise bomb_error()
        if info.file_size > RATIO_FROM_BYTES and info.file_size / (info.compress_size or 1) > MAX_MEMBER_RATIO:
            raise bomb_error()


def check_inflated(source: BinaryIO, members: list[zipfile.ZipInfo]) -> None:
    """Inflate every member, keeping nothing, and refuse one that holds more (or less) than
    it declared: before a reader that does not stop at the declared size sees it."""
    for info in members:
        source.seek(info.header_offset)
        signature, name_length, extra_length = _LOCAL_HEADER.unpack(source.read(_LOCAL_HEADER.size))
        if signature != b"PK\x03\x04":
            raise damaged_error()
        source.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
        if info.compress_type == zipfile.ZIP_STORED:
            inflated = len(source.read(info.compress_size))
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            inflated = _inflate(source, info)
        else:  # Excel writes deflate only; other methods are not read by every reader
            raise damaged_error()
        if inflated != info.file_size:
            raise bomb_error() if inflated > info.file_size else damaged_error()


def _inflate(source: BinaryIO, info: zipfile.ZipInfo) -> int:
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    left, inflated = info.compress_size, 0
    try:
        while left and not decompressor.eof:
            data = source.read(min(_CHUNK, left))
            if not data:
                break
            left -= len(data)
            while data and not decompressor.eof:
                inflated += len(decompressor.decompress(data, _CHUNK))
                if inflated > info.file_size:  # a false header: stop here, not at the stream's end
                    return inflated
                data = decompressor.unconsumed_tail
    except zlib.error as error:
        raise damaged_error() from error
    return inflated


def _blank(cells: list) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def blank_rows_error(row: int) -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The sheet has more than %(limit)s empty rows in a row (up to row %(row)s): they are usually formatting "
            "far below the data. Select the rows below your data, delete them (Delete Sheet Rows) and upload the "
            "file again."
        )
        % {"limit": format_int(MAX_BLANK_ROWS), "row": format_int(row)}
    )


def bounded(rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    """The rows with a value, as read. A run of more than MAX_BLANK_ROWS blank rows stops the
    reading: counted as rows read and by row number (so rows a sheet skips count too), so a
    sheet of nothing but blank rows is refused after its first MAX_BLANK_ROWS, as what it is."""
    last_value_row, blank = 0, 0
    for number, cells in rows:
        if _blank(cells):
            blank += 1
            if blank > MAX_BLANK_ROWS or number - last_value_row > MAX_BLANK_ROWS + 1:
                raise blank_rows_error(number)
            continue
        if number - last_value_row > MAX_BLANK_ROWS + 1:  # the rows between were not written
            raise blank_rows_error(number)
        last_value_row, blank = number, 0
        yield number, cells


class RowSpan:
    """The rows a sheet's XML holds against the highest row number it names, chunk by chunk:
    calamine holds a sheet as a dense grid down to that row, so a dozen rows numbered
    90,000 apart would cost it the memory of a full sheet."""

    def __init__(self) -> None:
        self.rows = 0
        self.highest = 0

    def add(self, chunk: bytes) -> None:
        self.rows += len(_ROW_TAG.findall(chunk))
        self.highest = max(self.highest, max(map(int, _ROW_NUMBER.findall(chunk)), default=0))

    def check(self) -> None:
        if self.rows > EXCEL_MAX_ROWS or self.highest > EXCEL_MAX_ROWS:
            raise too_many_rows_error()
        if self.highest > self.rows + MAX_BLANK_ROWS:
            raise blank_rows_error(self.highest)


class RowCounter:
    """Every row of a sheet as the stream parses it, blank or not: no more than Excel allows,
    and no run of more than MAX_BLANK_ROWS blank ones."""

    def __init__(self) -> None:
        self.read = 0
        self.blank = 0

    def add(self, number: int, *, blank: bool) -> None:
        self.read += 1
        if self.read > EXCEL_MAX_ROWS or number > EXCEL_MAX_ROWS:
            raise too_many_rows_error()
        self.blank = self.blank + 1 if blank else 0
        if self.blank > MAX_BLANK_ROWS:
            raise blank_rows_error(number)


def too_many_rows_error() -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The sheet holds more rows than Excel allows (%(limit)s): the file is damaged or was not made by a "
            "spreadsheet program. Open it in Excel, save it again and upload it."
        )
        % {"limit": format_int(EXCEL_MAX_ROWS)}
    )


def numbered_csv_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list]]:
    """The CSV's rows, numbered; a row the csv module gives up on (a cell over its 128 KB
    limit, a quote never closed) is refused by its number instead of failing the job."""
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise SpreadsheetError(
                _(
                    "Row %(row)s of the CSV file cannot be read: a cell is far too long or a quote is never closed. "
                    "Check that row in Excel and save the file again as “CSV UTF-8”."
                )
                % {"row": number + 1}
            ) from error
        number += 1
        yield number, cells
