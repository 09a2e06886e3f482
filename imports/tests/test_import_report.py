"""The import report (.xlsx of every row): cells as typed are text without a visible
apostrophe, what they were read as is a phone in text and an amount as a number, and a
matched row names the customer, who keeps the shop's name."""

import pytest

from core.tests.spreadsheets import xlsx_bytes, xlsx_sheet
from imports import analysis, services
from loyalty.tests.test_opening_import import HEADERS, confirm_and_run, upload, xlsx
from members.models import Customer
from members.tests.factories import CustomerFactory
from shops.exports import export_run
from shops.models import ExportJob

pytestmark = pytest.mark.django_db


def report(owner_client, job):
    """The report as staff download it: (header, rows) of the sheet, and the sheet."""
    owner_client.post(f"/members/imports/{job.pk}/report/")
    export = ExportJob.objects.latest("pk")
    export_run(job_id=export.pk)  # the worker
    sheet = xlsx_sheet(owner_client.get(f"/exports/{export.pk}/download/").getvalue())
    header, *rows = sheet.values
    return header, rows, sheet


def test_a_matched_row_names_the_customer_who_keeps_the_shops_name(owner_client, shop, owner):
    nam = CustomerFactory(shop=shop, phone="+84382345678", name="Trần Văn Nam")
    job = confirm_and_run(upload(shop, owner, xlsx([["Nam Nguyễn", "0168 234 5678", "", "1.500.000"]])), owner)

    header, rows, _sheet = report(owner_client, job)

    nam.refresh_from_db()
    assert nam.name == "Trần Văn Nam" and nam.opening_revenue == 1_500_000
    assert header == ("Dòng", *HEADERS, "DienThoai (hiểu là)", "DTDauKy (hiểu là)", "Kết quả", "Lý do", "Cần kiểm tra")
    (row,) = rows
    assert row[1:7] == ("Nam Nguyễn", "0168 234 5678", None, "1.500.000", "0382 345 678", 1_500_000)
    assert row[8] == "Cộng 1.500.000 ₫ cho khách hàng đã có Trần Văn Nam."
    assert "Trần Văn Nam" in row[9] and row[9].startswith("Tên khác")


def test_cells_are_text_without_an_apostrophe_and_amounts_are_whole_numbers(owner_client, shop, owner):
    job = upload(
        shop,
        owner,
        xlsx(
            [["Mai", "+84 912 345 678", "", 2_000_000], ["Âm", "0933333333", "", -5000], ["@Lan", "0944444444", "", 0]]
        ),
    )

    _header, rows, sheet = report(owner_client, job)

    assert [row[1:7] for row in rows] == [
        ("Mai", "+84 912 345 678", None, "2000000", "0912 345 678", 2_000_000),
        ("Âm", "0933333333", None, "-5000", None, None),
        ("@Lan", "0944444444", None, "0", "0944 444 444", 0),
    ]
    assert rows[1][8] == "DTDauKy: “-5000” là số âm: số tiền phải từ 0 trở lên."
    phone, typed_amount, read_amount = sheet["C2"], sheet["E3"], sheet["G2"]
    assert phone.data_type == "s" and phone.quotePrefix  # text Excel keeps as text, shown as typed
    assert typed_amount.data_type == "s" and sheet["F2"].data_type == "s"  # the phone as read: text
    assert read_amount.data_type == "n" and isinstance(read_amount.value, int)
    assert sheet["B4"].data_type == "s" and sheet["B4"].quotePrefix  # never a formula
    assert not any(str(value).startswith("'") for row in rows for value in row if value is not None)


def test_the_preview_report_and_the_points_report_read_the_same_way(owner_client, shop, owner):
    from loyalty.membership import members_activate

    mai = CustomerFactory(shop=shop, phone="+84912345678", name="Mai")
    members_activate(shop=shop, actor=None, customer_ids=[mai.pk])
    job = services.import_upload(
        shop=shop,
        actor=owner,
        ip=None,
        kind="points",
        name="diem.xlsx",
        content=xlsx_bytes(
            [["0912345678", "Tặng", 5000], ["0912345678", "Trừ", -5000]],
            headers=["SoDienThoai", "NoiDungDieuChinh", "DiemDieuChinh"],
        ),
    )
    analysis.import_analyse(job_id=job.pk)

    header, rows, _sheet = report(owner_client, job)

    assert header[4:6] == ("SoDienThoai (hiểu là)", "DiemDieuChinh (hiểu là)")
    assert [row[1:6] for row in rows] == [
        ("0912345678", "Tặng", "5000", "0912 345 678", 5000),
        ("0912345678", "Trừ", "-5000", "0912 345 678", -5000),
    ]
    assert Customer.objects.get().points_balance == 0  # a preview writes nothing
