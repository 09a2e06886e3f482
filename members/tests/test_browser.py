"""Headless Chromium: the member pages as staff use them."""

import pytest
from playwright.sync_api import expect

from core.tests.spreadsheets import xlsx_rows
from members.models import CustomerGroup
from members.tests.factories import CustomerFactory
from shops.exports import export_run
from shops.models import ExportJob
from shops.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def members(shop):
    return [
        CustomerFactory(shop=shop, name="Nguyễn Thị Mai", phone="+84382345678", city="Hà Nội", total_spent=6_000_000),
        CustomerFactory(shop=shop, name="Trần Văn Nam", phone="+84912345678", city="Huế", total_spent=200_000),
        CustomerFactory(shop=shop, name="Lê Thị Hoa", phone="+84987654321", city="Hà Nội", total_spent=900_000),
    ]


def test_search_by_an_old_eleven_digit_phone_lands_on_the_member(page, staff, members, artifacts_dir):
    log_in(page, "nv.hoamai")
    page.wait_for_url("**/overview/")
    page.goto("/members/")

    page.get_by_label("Tìm kiếm").fill("0168 234 5678")
    page.get_by_label("Tìm kiếm").press("Enter")
    page.wait_for_url("**/members/?*")
    rows = page.locator("table.members tbody tr")
    assert rows.count() == 1
    rows.first.get_by_role("link").click()

    page.wait_for_url("**/members/*/")
    assert page.locator("h1.page-title").inner_text() == "Nguyễn Thị Mai"
    assert page.get_by_text("0382 345 678").first.is_visible()
    page.screenshot(path=str(artifacts_dir / "member-page.png"), full_page=True)


def test_build_a_rule_group_and_watch_its_count_change(page, staff, shop, members, artifacts_dir):
    log_in(page, "nv.hoamai")
    page.wait_for_url("**/overview/")
    page.goto("/members/groups/")
    page.get_by_label("Tên nhóm").fill("Khách Hà Nội chi nhiều")
    page.get_by_label("Theo điều kiện").check()
    page.get_by_role("button", name="Tạo nhóm").click()
    page.wait_for_url("**/members/groups/*/")
    count = page.locator("#group-count")
    assert count.inner_text() == "3"

    page.get_by_label("Tỉnh/thành phố").fill("Hà Nội")
    # Not wait_for_function: it evaluates a string, which the Content-Security-Policy refuses.
    expect(page.locator("#group-count")).to_contain_text("2 khách hàng")
    page.get_by_label("Chi tiêu từ (₫)").fill("1000000")
    expect(page.locator("#group-count")).to_contain_text("1 khách hàng")
    page.screenshot(path=str(artifacts_dir / "rule-group.png"), full_page=True)
    page.get_by_role("button", name="Lưu").click()

    page.wait_for_url("**/members/groups/*/")
    group = CustomerGroup.objects.get(shop=shop)
    assert group.rules == {"city": "Hà Nội", "spent_min": 1000000}
    assert page.locator("table").get_by_text("Nguyễn Thị Mai").is_visible()


def test_export_a_list_and_open_the_file(page, staff, members, tmp_path):
    log_in(page, "nv.hoamai")
    page.wait_for_url("**/overview/")
    page.goto("/members/?sort=-spent")
    page.get_by_role("button", name="Xuất Excel (.xlsx)").click()
    page.wait_for_url("**/exports/*/")
    job = ExportJob.objects.get(kind="members")
    assert page.get_by_text("File đang được chuẩn bị").is_visible()
    export_run(job_id=job.pk)  # what the worker does
    link = page.get_by_role("link", name="Tải về")
    link.wait_for(timeout=10_000)  # the page refreshes itself every 2 s

    with page.expect_download() as download_info:
        link.click()
    path = tmp_path / "export.xlsx"
    download_info.value.save_as(path)

    rows = xlsx_rows(path.read_bytes())
    assert [row[0] for row in rows[1:]] == ["Nguyễn Thị Mai", "Lê Thị Hoa", "Trần Văn Nam"]
