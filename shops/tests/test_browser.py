"""Headless Chromium against a live server: what a person sees."""

import pytest

from shops.tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto("/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_an_owner_logs_in_and_sees_the_vietnamese_shell(page, owner, artifacts_dir):
    log_in(page, "chu.hoamai")

    page.wait_for_url("**/overview/")
    sidebar = page.locator("aside.sidebar")
    for label in ("Cấu hình hệ thống", "Nhật ký hoạt động", "Tích điểm và hạng (Loyalty)", "Tin nhắn", "Tổng quan",
                  "Hồ sơ thành viên", "Nhóm khách hàng", "Chiến dịch"):  # fmt: skip
        assert sidebar.get_by_text(label, exact=True).is_visible(), label
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", name="Tổng số thành viên").is_visible()
    page.screenshot(path=str(artifacts_dir / "shell-vi.png"), full_page=True)

    sidebar.get_by_text("Nhật ký hoạt động").click()
    page.wait_for_url("**/settings/activity/")
    assert page.locator("table.activity").get_by_text("Mai Trần đã đăng nhập.").is_visible()


def test_a_user_of_another_shop_cannot_open_the_first_shops_pages(page, owner, staff, other_owner):
    log_in(page, "chu.senvang")
    page.wait_for_url("**/overview/")
    assert page.locator(".brand-name").inner_text() == "Mỹ phẩm Sen Vàng"

    response = page.goto(f"/settings/staff/{staff.pk}/")

    assert response.status == 404
    assert page.get_by_text("Không tìm thấy").is_visible()
    assert "Lan" not in page.content()


def test_the_menu_opens_on_a_phone(page, owner, artifacts_dir):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "chu.hoamai")
    page.wait_for_url("**/overview/")
    menu_link = page.locator("aside.sidebar").get_by_text("Hồ sơ thành viên")
    assert not menu_link.is_visible() or menu_link.bounding_box()["x"] < 0

    page.locator("label.nav-button").click()

    page.wait_for_timeout(300)  # the slide-in transition
    assert menu_link.bounding_box()["x"] >= 0
    page.screenshot(path=str(artifacts_dir / "shell-phone.png"))
