"""Headless Chromium: what the shell and its forms look like to a shop owner."""

import pytest

from shops.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_load_without_a_missing_file_and_show_the_icon(page, owner):
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
    log_in(page, "chu.hoamai")
    page.wait_for_url("**/overview/")
    page.goto("/settings/haravan/")
    page.wait_for_load_state("networkidle")

    assert missing == []
    icon = page.evaluate("fetch(document.querySelector('link[rel=icon]').href).then((r) => r.status)")
    assert icon == 200
    assert page.evaluate("document.querySelector('.brand-mark').naturalWidth") > 0  # the logo drew


def test_a_disabled_button_looks_disabled_and_says_why(page, owner):
    log_in(page, "chu.hoamai")
    page.wait_for_url("**/overview/")
    page.goto("/settings/haravan/")

    check = page.get_by_role("button", name="Kiểm tra kết nối")
    save = page.get_by_role("button", name="Lưu")
    assert check.is_disabled()
    style = "(el) => { const s = getComputedStyle(el); return [s.cursor, s.color, s.backgroundColor]; }"
    disabled, enabled = check.evaluate(style), save.evaluate(style)
    assert disabled[0] == "not-allowed" and disabled[1:] != enabled[1:]
    reason = page.locator(f"#{check.get_attribute('aria-describedby')}")
    assert reason.is_visible() and "mã truy cập" in reason.inner_text()


def test_a_date_typed_loosely_becomes_dd_mm_yyyy(page, owner):
    log_in(page, "chu.hoamai")
    page.wait_for_url("**/overview/")

    start = page.get_by_label("Từ ngày")
    start.fill("1/3/2026")
    start.blur()

    assert start.input_value() == "01/03/2026"
    assert start.get_attribute("type") == "text" and start.get_attribute("placeholder") == "dd/mm/yyyy"
