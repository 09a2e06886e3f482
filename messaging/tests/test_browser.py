"""Headless Chromium: a message from the member page, as staff send it."""

import pytest

from members.tests.factories import CustomerFactory
from messaging.models import Message, MessagingSettings
from messaging.services import outbox_send
from messaging.tests.servers import APP_PASSWORD, APP_PASSWORD_AS_SHOWN, GMAIL
from shops.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_see_an_sms_shrink_without_marks_then_send_it(page, staff, shop, sms_ready, vietguys, artifacts_dir):
    sms_ready.sms_part_price = 800
    sms_ready.save()
    lan = CustomerFactory(shop=shop, name="Nguyễn Thị Lan", email="", phone="+84912345678")
    log_in(page, "nv.hoamai")
    page.wait_for_url("**/overview/")
    page.goto(f"/members/{lan.pk}/")

    page.get_by_label("SMS", exact=True).check()
    page.get_by_label("Tin nhắn", exact=True).fill(  # labels carry no trailing colon
        "Chúc mừng sinh nhật chị Lan! Thời trang Hoa Mai tặng chị mã giảm giá 10% cho đơn hàng tiếp theo."
    )
    size = page.locator("#sms-size")
    assert size.inner_text() == "96 ký tự: 2 phần tin SMS · ≈ 1.600 ₫"
    page.get_by_label("Gửi SMS không dấu").check()
    assert size.inner_text() == "96 ký tự: 1 phần tin SMS · ≈ 800 ₫"
    page.get_by_role("button", name="Gửi", exact=True).click()

    page.wait_for_url("**/members/*/#messages")
    assert page.get_by_text("Tin nhắn đang được gửi").is_visible()
    assert page.locator("#messages tbody tr").first.get_by_text("Chờ gửi").is_visible()
    outbox_send(shop_id=shop.pk, channel="sms")
    page.reload()
    row = page.locator("#messages tbody tr").first
    assert row.get_by_text("Đã gửi", exact=True).is_visible()
    assert row.get_by_text("Chuc mung sinh nhat chi Lan!").is_visible()
    assert Message.objects.get().sms_parts == 1
    page.screenshot(path=str(artifacts_dir / "member-message.png"), full_page=True)


def test_an_owner_is_told_to_make_an_app_password_then_tests_and_saves(page, owner, shop, mail_server, artifacts_dir):
    log_in(page, "chu.hoamai")
    page.wait_for_url("**/overview/")
    page.goto("/settings/messaging/")
    page.get_by_text("Cách tạo mật khẩu ứng dụng Gmail").click()
    assert page.get_by_text("Xác minh 2 bước đang Bật").is_visible()

    page.get_by_label("Máy chủ SMTP").fill("127.0.0.1")
    page.get_by_label("Cổng").fill(str(mail_server.port))
    page.get_by_label("Mã hóa").select_option("none")
    page.get_by_label("Địa chỉ Gmail (đăng nhập)").fill(GMAIL)
    page.get_by_label("Mật khẩu ứng dụng (16 chữ cái)").fill("mat-khau-gmail-thuong")
    page.get_by_label("Gửi thử đến").first.fill("chu.shop@example.vn")
    page.get_by_role("button", name="Gửi thử").first.click()

    page.wait_for_load_state()
    assert page.get_by_text("Máy chủ thư không chấp nhận địa chỉ hoặc mật khẩu (535 5.7.8").is_visible()
    page.screenshot(path=str(artifacts_dir / "messaging-settings-refused.png"), full_page=True)
    page.get_by_label("Mật khẩu ứng dụng (16 chữ cái)").fill(APP_PASSWORD_AS_SHOWN)
    page.get_by_role("button", name="Gửi thử").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("Đã gửi email thử đến chu.shop@example.vn").is_visible()
    assert [message["To"] for message in mail_server.received] == ["chu.shop@example.vn"]

    assert page.get_by_label("Máy chủ SMTP").input_value() == "127.0.0.1"  # what was typed stays

    page.get_by_role("button", name="Lưu").first.click()  # no retyping of the password
    page.wait_for_load_state()
    assert page.get_by_text("Đã lưu cấu hình.").is_visible()
    assert page.get_by_text("Đã lưu mật khẩu ứng dụng.").is_visible()
    config = MessagingSettings.objects.get(shop=shop)
    assert (config.smtp_host, config.smtp_port, config.smtp_username, config.smtp_password) == (
        "127.0.0.1", mail_server.port, GMAIL, APP_PASSWORD)  # fmt: skip
