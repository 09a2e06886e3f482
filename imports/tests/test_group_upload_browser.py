"""Headless Chromium and a real Celery worker: a staff user adds a phone list to a group."""

import pytest

from core.tests.spreadsheets import xlsx_bytes
from members.models import CustomerGroupMember
from members.services import group_create
from members.tests.factories import CustomerFactory
from shops.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_upload_a_phone_list_confirm_it_and_find_the_customers_in_the_group(
    page, shop, staff, celery_worker_process, tmp_path, artifacts_dir
):
    CustomerFactory(shop=shop, name="Nguyễn Thị Mai", phone="+84912345678")
    CustomerFactory(shop=shop, name="Trần Văn Nam", phone="+84382345678")
    group = group_create(shop=shop, name="Khách hội chợ", kind="static")
    listed = tmp_path / "hoi-cho.xlsx"
    listed.write_bytes(xlsx_bytes([["HoTen", "SoDienThoai"], ["Mai", "0912 345 678"], ["Nam", "0168 234 5678"],
                             ["Lạ", "0909 000 111"]]))  # fmt: skip
    log_in(page, "nv.hoamai")
    page.wait_for_url("**/overview/")

    page.goto(f"/members/groups/{group.pk}/")
    page.set_input_files("input[type=file]", str(listed))
    page.get_by_role("button", name="Tải danh sách lên").click()
    page.wait_for_url("**/members/imports/*/")
    page.locator("#import-preview").wait_for(timeout=30_000)  # the worker read the list
    assert page.locator('#import-preview [data-outcome="matched"]').inner_text() == "2"
    assert "0909 000 111" in page.locator("#import-rows").inner_text()
    page.screenshot(path=str(artifacts_dir / "group-upload-preview.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Xác nhận nhập").click()
    page.locator("#import-done").wait_for(timeout=60_000)
    page.get_by_role("link", name="Quay lại Khách hội chợ").click()

    body = page.locator("main").inner_text()
    assert "Nguyễn Thị Mai" in body and "Trần Văn Nam" in body
    assert CustomerGroupMember.objects.filter(group=group).count() == 2
