"""The streaming .xlsx reader, used for sheets too large to hold in memory, reads what
calamine reads, and refuses what the calamine path refuses."""

import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from core import spreadsheets
from core.spreadsheets import SpreadsheetError, read_numbered_rows
from core.tests.spreadsheets import xlsx_bytes, xlsx_rewritten


def rows(content: bytes, *, streamed: bool, monkeypatch) -> list[tuple[int, list]]:
    """The non-empty rows, without trailing empty cells (calamine pads rows to the sheet's
    width and includes empty rows; the stream yields the rows the file holds)."""
    monkeypatch.setattr(spreadsheets, "CALAMINE_MAX_SHEET_BYTES", -1 if streamed else 2**40)
    found = []
    for number, cells in read_numbered_rows(name="a.xlsx", content=content):
        cells = list(cells)
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            found.append((number, cells))
    return found


def fill_shared(sheet):
    sheet.append(["HoTen", "DienThoai", "Email", "DTDauKy"])
    sheet.append(["Nguyễn Thị Mai", "0912345678", "mai@example.vn", 1_500_000])
    sheet.append(["A & B <c>", 912345679, "", 1500000.5])
    sheet.append([])  # an empty row between
    sheet.append(["Lê Văn Tám", "+84 912 345 680", None, "1.500.000 ₫"])
    sheet["B6"] = True
    sheet["A7"] = CellRichText(["Trần ", TextBlock(InlineFont(b=True), "Văn"), " Nam"])
    sheet["D7"] = 0
    sheet["C8"] = "  spaces kept  "


@pytest.mark.parametrize("write_only", [False, True], ids=["shared strings", "inline strings"])
def test_the_stream_reads_what_calamine_reads(monkeypatch, write_only):
    if write_only:

        def fill(sheet):
            for row in (["HoTen", "DienThoai"], ["Nguyễn Thị Mai", "0912345678"], ["A & B <c>", 912345679.0]):
                sheet.append(row)

    else:
        fill = fill_shared
    content = xlsx_bytes(fill=fill, write_only=write_only)

    streamed = rows(content, streamed=True, monkeypatch=monkeypatch)

    assert streamed == rows(content, streamed=False, monkeypatch=monkeypatch)
    assert streamed[1] == (
        2,
        ["Nguyễn Thị Mai", "0912345678"] + (["mai@example.vn", 1_500_000] if not write_only else []),
    )


def test_the_stream_reads_rich_text_gaps_and_row_numbers_as_shown(monkeypatch):
    streamed = dict(rows(xlsx_bytes(fill=fill_shared), streamed=True, monkeypatch=monkeypatch))

    assert streamed[3] == ["A & B <c>", 912345679, "", 1500000.5]
    assert 4 not in streamed  # the empty row is not there, and the next keeps its number
    assert streamed[5] == ["Lê Văn Tám", "+84 912 345 680", "", "1.500.000 ₫"]
    assert streamed[6] == ["", True]
    assert streamed[7] == ["Trần Văn Nam", "", "", 0]
    assert streamed[8] == ["", "", "  spaces kept  "]


def refused(content, monkeypatch) -> str:
    monkeypatch.setattr(spreadsheets, "CALAMINE_MAX_SHEET_BYTES", -1)
    with pytest.raises(SpreadsheetError) as refusal:
        list(read_numbered_rows(name="a.xlsx", content=content))
    return str(refusal.value)


def test_the_stream_refuses_a_formula_naming_its_cell(monkeypatch):
    def fill(sheet):
        sheet.append(["HoTen", "DTDauKy"])
        sheet["B5"] = "=1+2"

    message = refused(xlsx_bytes(fill=fill), monkeypatch)
    assert "B5" in message and "công thức" in message


def test_the_stream_refuses_a_value_beyond_the_columns_it_reads(monkeypatch):
    def fill(sheet):
        sheet.append(["HoTen", "DTDauKy"])
        sheet["AA3"] = "ghi chú"
        sheet["XFD9"].style = "Comma"  # a styled empty cell far away is harmless

    message = refused(xlsx_bytes(fill=fill), monkeypatch)
    assert "AA3" in message and "A đến H" in message


def test_the_stream_refuses_broken_xml(monkeypatch):
    content = xlsx_rewritten(xlsx_bytes(fill=fill_shared), lambda data: data.replace(b"</sheetData>", b"<row><c>"))

    assert "bị hỏng" in refused(content, monkeypatch)
