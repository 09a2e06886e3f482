"""Headless Chromium and a real Celery worker: the opening-balance import end to end."""

import pytest
from openpyxl import load_workbook

from conftest import wait_for
from core.tests.spreadsheets import csv_bytes
from members.models import Customer
from members.tests.factories import CustomerFactory
from shops.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_download_fill_upload_preview_confirm_and_see_the_member(
    page, owner, celery_worker_process, tmp_path, artifacts_dir
):
    log_in(page, "chu.hoamai")
    page.wait_for_url("**/overview/")
    page.goto("/members/opening-balances/")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải file mẫu").click()
    template = tmp_path / "mau.xlsx"
    download_info.value.save_as(template)
    workbook = load_workbook(template)
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == ["HoTen", "DienThoai", "Email", "DTDauKy"]
    sheet.delete_rows(2)
    for index in range(40):
        sheet.append([f"Khách Số {index}", f"09123450{index:02d}", "", "2.000.000"])
    sheet.append(["Nguyễn Thị Mai", "0912 345 678", "mai@example.vn", "6.000.000 ₫"])
    sheet.append(["Số Sai", "12345", "", 1])
    filled = tmp_path / "dau-ky.xlsx"
    workbook.save(filled)

    page.set_input_files("input[type=file]", str(filled))
    page.get_by_role("button", name="Tải lên và xem trước").click()
    page.wait_for_url("**/members/imports/*/")
    page.locator("#import-preview").wait_for(timeout=30_000)  # the worker read the file
    assert page.locator('#import-preview [data-outcome="new"]').inner_text() == "41"
    assert page.locator('#import-preview [data-outcome="error"]').inner_text() == "1"
    assert "12345" in page.locator('#import-rows tr[data-outcome="error"]').inner_text()
    page.screenshot(path=str(artifacts_dir / "import-preview.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Xác nhận nhập").click()
    page.locator("#import-done").wait_for(timeout=60_000)
    assert page.locator(".progress").first.get_attribute("aria-valuenow") == "100"
    assert page.locator('#import-result [data-outcome="new"]').inner_text() == "41"
    page.screenshot(path=str(artifacts_dir / "import-done.png"), full_page=True)

    page.get_by_role("button", name="Tải báo cáo (.xlsx)").click()
    page.wait_for_url("**/exports/*/")
    link = page.get_by_role("link", name="Tải về")
    link.wait_for(timeout=30_000)
    with page.expect_download() as download_info:
        link.click()
    report = tmp_path / "report.xlsx"
    download_info.value.save_as(report)
    rows = list(load_workbook(report).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 42 and rows[0][0] == "Dòng"
    assert rows[-1][7] == "Lỗi" and rows[-2][7] == "Khách hàng mới"
    assert rows[-2][5:7] == ("0912 345 678", 6_000_000)  # as read: the phone as text, the amount a number

    mai = wait_for(lambda: Customer.objects.filter(phone="+84912345678").first())
    page.goto(f"/members/{mai.pk}/")
    body = page.locator("main").inner_text()
    assert "6.000.000 ₫" in body and "Bạc" in body
    page.screenshot(path=str(artifacts_dir / "import-member.png"), full_page=True)


def test_the_preview_shows_each_row_as_read_and_flags_a_name_unlike_the_customers(
    page, owner, shop, celery_worker_process, tmp_path, artifacts_dir
):
    CustomerFactory(shop=shop, phone="+84912000111", name="Lê Thị Hoa")  # e.g. synced from Haravan
    filled = tmp_path / "dau-ky.csv"
    rows = [
        ["Trần Văn Nam", "0168 234 5678", "", "1500000"],  # a pre-2018 prefix
        ["Hoa Nguyễn", "0912 000 111", "", "2.000.000 ₫"],  # Lê Thị Hoa's phone, another name
        ["Số Sai", "12345", "", "1"],
    ]
    filled.write_bytes(csv_bytes(rows, headers=["HoTen", "DienThoai", "Email", "DTDauKy"]))
    log_in(page, "chu.hoamai")
    page.wait_for_url("**/overview/")
    page.goto("/members/opening-balances/")

    page.set_input_files("input[type=file]", str(filled))
    page.get_by_role("button", name="Tải lên và xem trước").click()
    page.locator("#import-rows").wait_for(timeout=30_000)  # the worker read every row

    rows = page.locator("#import-rows tbody tr")
    assert rows.count() == 3
    legacy, matched, wrong = (rows.nth(index) for index in range(3))
    assert "0168 234 5678 → 0382 345 678" in legacy.inner_text()
    assert "1.500.000 ₫" in legacy.inner_text() and "Khách hàng mới" in legacy.inner_text()
    assert "2.000.000 ₫" in matched.inner_text() and "Cộng cho khách hàng đã có" in matched.inner_text()
    assert "Tên khác" in matched.inner_text() and "Lê Thị Hoa" in matched.inner_text()
    assert matched.get_attribute("class") == "flagged"
    assert "Lỗi" in wrong.inner_text() and "12345" in wrong.inner_text()
    assert "1 dòng có tên khác" in page.locator("#import-flagged").inner_text()
    page.screenshot(path=str(artifacts_dir / "import-preview-rows.png"), full_page=True)

    page.locator('#import-row-filter a[data-show="flagged"]').click()
    page.wait_for_url("**/?show=flagged")
    assert page.locator("#import-rows tbody tr").count() == 1
    assert "Hoa Nguyễn" in page.locator("#import-rows tbody").inner_text()
    assert not Customer.objects.filter(phone="+84382345678").exists()  # nothing written before confirming
