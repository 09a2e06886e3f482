"""The bounds of the upload reader: a bomb dressed as an ordinary file is refused unread,
false sizes do not help, and a sheet of blank rows is refused as what it is, early."""

import io
import zipfile

import pytest

from core import spreadsheet_limits, spreadsheets, xlsx_sheet
from core.spreadsheets import SpreadsheetError, read_numbered_rows
from core.tests.bombs import padded_blank_rows_bomb, patch_declared_size, with_sheet
from core.tests.spreadsheets import SHEET, xlsx_bytes

BOMB = "File .xlsx này khi giải nén lớn bất thường"
BLANK = "Trang tính có hơn 100.000 dòng trống liền nhau"


@pytest.fixture(params=[False, True], ids=["calamine", "streamed"])
def streamed(request, monkeypatch):
    monkeypatch.setattr(spreadsheets, "CALAMINE_MAX_SHEET_BYTES", -1 if request.param else 2**40)
    return request.param


def read(content: bytes, name: str = "ds.xlsx") -> list[tuple[int, list]]:
    """The rows with a value, without their empty cells."""
    found = [(n, [cell for cell in cells if cell != ""]) for n, cells in read_numbered_rows(name=name, content=content)]
    return [(number, cells) for number, cells in found if cells]


def test_a_sheet_of_blank_rows_padded_to_an_ordinary_ratio_is_refused_before_a_byte_is_inflated(monkeypatch):
    content = padded_blank_rows_bomb(("DienThoai",))
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert sum(i.file_size for i in archive.infolist()) / len(content) < spreadsheet_limits.MAX_COMPRESSION_RATIO

    def no_reading(*args):
        raise AssertionError("the sheet was inflated")

    monkeypatch.setattr(xlsx_sheet, "_chunks", no_reading)
    monkeypatch.setattr(spreadsheet_limits, "check_inflated", no_reading)
    with pytest.raises(SpreadsheetError, match=BOMB):
        read(content)


def test_a_sheet_declaring_less_than_it_holds_is_refused_as_a_bomb():
    def rows(stream):
        for number in range(2, 3002):
            stream.write(
                b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>09%08d</t></is></c></row>' % (number, number, number)
            )

    content = with_sheet(("DienThoai",), rows)
    sheet = zipfile.ZipFile(io.BytesIO(content)).read(SHEET)
    lied = patch_declared_size(content, SHEET, size=sheet.index(b'<row r="3"'))

    with pytest.raises(SpreadsheetError, match=BOMB):
        read(lied)


def test_what_is_inflated_is_bounded_whatever_the_zip_declares(monkeypatch):
    """The stream counts what it inflates (here the bound is lowered below an honest sheet)."""
    monkeypatch.setattr(spreadsheets, "CALAMINE_MAX_SHEET_BYTES", -1)
    monkeypatch.setattr(xlsx_sheet, "MAX_SHEET_BYTES", 10_000)
    content = with_sheet(("DienThoai",), lambda stream: [stream.write(b'<row><c t="n"><v>1</v></c></row>' * 1000)])

    with pytest.raises(SpreadsheetError, match=BOMB):
        read(content)


def styled_blank_rows(first: int, count: int):
    def rows(stream):
        stream.write(b'<row r="2"><c r="A2" t="inlineStr"><is><t>0912345678</t></is></c></row>')
        for number in range(first, first + count):
            stream.write(b'<row r="%d"><c r="A%d" s="1"/><c r="B%d" s="1"/></row>' % (number, number, number))
        stream.write(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>0987654321</t></is></c></row>' % (
            first + count, first + count))  # fmt: skip

    return rows


def test_a_long_run_of_blank_rows_is_refused_as_blank_rows_with_the_row_named(streamed):
    content = with_sheet(("DienThoai",), styled_blank_rows(3, 150_000))

    with pytest.raises(SpreadsheetError, match=BLANK) as refused:
        read(content)
    assert "100.003" in str(refused.value)  # the first row past the bound: where to look


def test_rows_a_sheet_skips_count_as_blank_rows(streamed):
    def rows(stream):
        stream.write(b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>0912345678</t></is></c></row>')

    with pytest.raises(SpreadsheetError, match=BLANK):
        read(with_sheet(("DienThoai",), rows))


def test_blank_rows_under_the_bound_are_passed_over(streamed):
    """Our own template formats 2,000 rows of its phone column."""
    content = with_sheet(("DienThoai",), styled_blank_rows(3, 2_000))

    assert read(content) == [(1, ["DienThoai"]), (2, ["0912345678"]), (2003, ["0987654321"])]


def test_a_csv_of_blank_lines_is_refused_as_blank_rows():
    content = b"DienThoai\r\n" + b",\r\n" * 200_000 + b"0912345678\r\n"

    with pytest.raises(SpreadsheetError, match=BLANK):
        read(content, name="ds.csv")


def test_an_empty_file_says_what_to_do():
    with pytest.raises(SpreadsheetError, match="File bạn chọn không có dữ liệu"):
        read(b"", name="ds.csv")


def test_a_csv_cell_too_long_to_read_is_refused_by_its_row():
    content = b"DienThoai\r\n0912345678\r\n" + b"x" * 200_000 + b"\r\n"

    with pytest.raises(SpreadsheetError, match="Dòng 3 của file CSV không đọc được"):
        read(content, name="ds.csv")


def test_a_few_rows_numbered_far_apart_are_refused_before_calamine_builds_a_grid_down_to_the_last(monkeypatch):
    monkeypatch.setattr(spreadsheets, "CALAMINE_MAX_SHEET_BYTES", 2**40)

    def rows(stream):
        for number in range(90_000, 1_048_577, 90_000):
            stream.write(b'<row r="%d"><c r="H%d"><v>1</v></c></row>' % (number, number))

    content = with_sheet(("DienThoai",), rows)
    monkeypatch.setattr("python_calamine.CalamineWorkbook.from_filelike", lambda *args: pytest.fail("calamine ran"))

    with pytest.raises(SpreadsheetError, match=BLANK):
        read(content)


def test_large_shared_strings_are_read_by_the_stream_not_held_by_calamine(monkeypatch):
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["0912345678"]], headers=["DienThoai"])))
    unused = b"".join(b"<si><t>%d</t></si>" % n for n in range(20_000))
    rewritten = io.BytesIO()
    with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item.filename))
        namespace = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        target.writestr("xl/sharedStrings.xml", b'<sst xmlns="%s">%s</sst>' % (namespace, unused))
    sizes = {info.filename: info.file_size for info in zipfile.ZipFile(rewritten).infolist()}
    assert sizes[SHEET] < 10_000 < sizes["xl/sharedStrings.xml"]
    monkeypatch.setattr(spreadsheets, "CALAMINE_MAX_SHEET_BYTES", 10_000)
    monkeypatch.setattr("python_calamine.CalamineWorkbook.from_filelike", lambda *args: pytest.fail("calamine ran"))

    assert read(rewritten.getvalue()) == [(1, ["DienThoai"]), (2, ["0912345678"])]


def test_a_sheet_of_more_rows_than_excel_allows_is_refused_whichever_reader(streamed, monkeypatch):
    """Blank rows in runs under the bound, between single values: it is the count that stops it."""
    monkeypatch.setattr(spreadsheet_limits, "MAX_MEMBER_RATIO", 10**6)
    monkeypatch.setattr(spreadsheet_limits, "MAX_COMPRESSION_RATIO", 10**6)
    run = b"<row/>" * 49_999 + b'<row><c t="inlineStr"><is><t>0912345678</t></is></c></row>'
    content = with_sheet(("DienThoai",), lambda stream: [stream.write(run) for _ in range(22)])

    with pytest.raises(SpreadsheetError, match="Trang tính có nhiều dòng hơn mức Excel cho phép"):
        read(content)
