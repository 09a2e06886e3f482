"""Reading what staff upload: .xlsx (python-calamine) or .csv (UTF-8, with or without BOM),
with limits that keep a bad file from hurting the server."""

import csv
import io
import zipfile
from collections.abc import Iterator

from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # what the .xlsx's zip says it holds, checked before parsing


class SpreadsheetError(ValueError):
    pass


def read_rows(*, name: str, content: bytes) -> Iterator[list]:
    """The rows of the first sheet, each a list of cell values (str, float, int, date...)."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise SpreadsheetError(
            _("The file is larger than %(size)d MB: split it into smaller files.") % {"size": MAX_UPLOAD_BYTES // 2**20}
        )
    lower = name.lower()
    if lower.endswith(".xlsx"):
        return _xlsx_rows(content)
    if lower.endswith(".csv"):
        return _csv_rows(content)
    if lower.endswith(".xls"):
        raise SpreadsheetError(
            _("Old .xls files are not accepted: open it in Excel and use File › Save As › Excel Workbook (.xlsx).")
        )
    raise SpreadsheetError(_("Upload an Excel file (.xlsx) or a CSV file (.csv)."))


def _xlsx_rows(content: bytes) -> Iterator[list]:
    from python_calamine import CalamineWorkbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        declared = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise SpreadsheetError(_("This is not a valid .xlsx file: open it in Excel and save it again.")) from error
    if declared > MAX_UNZIPPED_BYTES:
        raise SpreadsheetError(_("This .xlsx file unpacks to far more than it should: it is refused."))
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet = workbook.get_sheet_by_index(0)
        return iter(sheet.to_python(skip_empty_area=True))
    except Exception as error:  # calamine raises its own types for broken files
        raise SpreadsheetError(_("This .xlsx file cannot be read: open it in Excel and save it again.")) from error


def _csv_rows(content: bytes) -> Iterator[list]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpreadsheetError(_("The CSV file is not UTF-8: in Excel, save it as “CSV UTF-8”.")) from error
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return iter(csv.reader(io.StringIO(text), dialect))
