import datetime
import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.tests.factories import CustomerFactory
from messaging.models import Message, MessagingSettings
from messaging.services import message_queue, outbox_send, unsubscribe_token
from messaging.tests.factories import MessageFactory
from messaging.tests.servers import APP_PASSWORD, APP_PASSWORD_AS_SHOWN, GMAIL, MailServer
from shops.models import ActivityEntry, ActivityKind


def email_form(mail_server, **fields):
    values = {
        "form": "email",
        "action": "save",
        "email-smtp_host": "127.0.0.1",
        "email-smtp_port": mail_server.port,
        "email-smtp_security": "none",
        "email-smtp_username": GMAIL,
        "email-smtp_password": APP_PASSWORD_AS_SHOWN,
        "email-from_email": "",
        "email-from_name": "Thời trang Hoa Mai",
        "email-test_to": "chu.shop@example.vn",
    }
    return {**values, **fields}


def test_an_owner_saves_the_gmail_settings_and_the_app_password_is_never_shown_again(owner_client, shop, mail_server):
    response = owner_client.post("/settings/messaging/", email_form(mail_server), follow=True)

    page = response.content.decode()
    config = MessagingSettings.objects.get(shop=shop)
    assert "Đã lưu cấu hình." in page
    assert (config.smtp_username, config.smtp_password, config.sender_address) == (GMAIL, APP_PASSWORD, GMAIL)
    with connection.cursor() as cursor:
        cursor.execute("SELECT smtp_password FROM messaging_messagingsettings WHERE id = %s", [config.pk])
        stored = cursor.fetchone()[0]
    assert APP_PASSWORD not in stored and stored
    assert APP_PASSWORD not in page and "qwer tyui" not in page
    assert "Đã lưu mật khẩu ứng dụng." in page
    entry = ActivityEntry.objects.get(kind=ActivityKind.MESSAGING_SETTINGS_CHANGED)
    assert APP_PASSWORD not in str(entry.after) and "smtp_password" in entry.after


def test_messages_held_for_missing_settings_go_out_once_they_are_saved(
    owner_client, shop, mail_server, django_capture_on_commit_callbacks
):
    lan = CustomerFactory(shop=shop, email="lan@example.vn")
    message_queue(shop=shop, customer=lan, channel="email", source="s1", source_label="x", subject="a", body="b")
    outbox_send(shop_id=shop.pk, channel="email")  # not set up: held for ten minutes
    assert Message.objects.get().next_attempt_at > timezone.now()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        owner_client.post("/settings/messaging/", email_form(mail_server))
    outbox_send(shop_id=shop.pk, channel="email")  # what the callback's task does

    assert len(callbacks) == 1
    assert [m["To"] for m in mail_server.received] == ["lan@example.vn"]


def test_changing_only_the_sender_name_does_not_hurry_waiting_messages(owner_client, shop, mail_server, email_ready):
    lan = CustomerFactory(shop=shop, email="lan@example.vn")
    message = message_queue(shop=shop, customer=lan, channel="email", source="s1", source_label="x", subject="a",
                            body="b").message  # fmt: skip
    later = timezone.now() + datetime.timedelta(minutes=25)
    Message.objects.filter(pk=message.pk).update(next_attempt_at=later)  # a 4xx backoff

    owner_client.post("/settings/messaging/", email_form(mail_server, **{"email-from_name": "Hoa Mai shop",
                                                                         "email-smtp_password": ""}))  # fmt: skip

    message.refresh_from_db()
    assert MessagingSettings.objects.get(shop=shop).from_name == "Hoa Mai shop"
    assert message.next_attempt_at == later


def test_an_empty_password_keeps_the_saved_one(owner_client, shop, mail_server):
    owner_client.post("/settings/messaging/", email_form(mail_server))

    owner_client.post("/settings/messaging/", email_form(mail_server, **{"email-smtp_password": "",
                                                                         "email-from_name": "Hoa Mai"}))  # fmt: skip

    config = MessagingSettings.objects.get(shop=shop)
    assert (config.smtp_password, config.from_name) == (APP_PASSWORD, "Hoa Mai")


def test_a_test_send_with_a_wrong_password_says_what_to_do_and_saves_nothing(owner_client, shop, mail_server):
    form = email_form(mail_server, action="test", **{"email-smtp_password": "qwer tyui opas dfgz"})

    page = owner_client.post("/settings/messaging/", form).content.decode()

    assert "Máy chủ thư không chấp nhận địa chỉ hoặc mật khẩu (535 5.7.8" in page
    assert "Xác minh 2 bước" in page
    assert not MessagingSettings.objects.filter(shop=shop, smtp_username=GMAIL).exists()
    assert 'value="Thời trang Hoa Mai"' in page  # what was typed is kept


def test_a_test_send_with_good_settings_arrives_before_anything_is_saved(owner_client, shop, mail_server):
    page = owner_client.post("/settings/messaging/", email_form(mail_server, action="test")).content.decode()

    assert "Đã gửi email thử đến chu.shop@example.vn. Cấu hình chưa được lưu" in page
    (test,) = mail_server.received
    assert test["To"] == "chu.shop@example.vn"
    assert not MessagingSettings.objects.filter(shop=shop, smtp_username=GMAIL).exists()
    # What was typed stays on the page; the password does not, in any form.
    assert f'value="{GMAIL}"' in page and f'value="{mail_server.port}"' in page
    assert APP_PASSWORD not in page and "_kept" not in page
    assert "Mật khẩu ứng dụng vừa gửi thử được giữ lại" in page

    saved = owner_client.post("/settings/messaging/", email_form(mail_server, **{"email-smtp_password": ""}),
                              follow=True)  # fmt: skip

    assert "Đã lưu cấu hình." in saved.content.decode()
    config = MessagingSettings.objects.get(shop=shop)
    assert (config.smtp_host, config.smtp_port, config.smtp_username, config.smtp_password) == (
        "127.0.0.1", mail_server.port, GMAIL, APP_PASSWORD)  # fmt: skip


def test_a_saved_password_is_not_sent_to_a_server_typed_since(owner_client, shop, mail_server, email_ready):
    elsewhere = MailServer().start()
    try:
        moved = email_form(mail_server, action="test", **{"email-smtp_password": "", "email-smtp_port": elsewhere.port})

        tested = owner_client.post("/settings/messaging/", moved).content.decode()
        saved = owner_client.post("/settings/messaging/", {**moved, "action": "save"}).content.decode()
    finally:
        elsewhere.stop()

    assert "Hãy nhập lại mật khẩu ứng dụng" in tested and "Hãy nhập lại mật khẩu ứng dụng" in saved
    assert elsewhere.logins == 0
    assert MessagingSettings.objects.get(shop=shop).smtp_port == mail_server.port


def test_a_tested_password_is_not_sent_to_a_server_typed_after_the_test(owner_client, shop, mail_server):
    elsewhere = MailServer().start()
    try:
        owner_client.post("/settings/messaging/", email_form(mail_server, action="test"))
        moved = {"email-smtp_password": "", "email-smtp_port": elsewhere.port}

        page = owner_client.post("/settings/messaging/", email_form(mail_server, action="test", **moved)).content
    finally:
        elsewhere.stop()

    assert "Hãy nhập lại mật khẩu ứng dụng" in page.decode()
    assert elsewhere.logins == 0


def test_a_tested_password_is_not_kept_for_long(owner_client, shop, mail_server):
    owner_client.post("/settings/messaging/", email_form(mail_server, action="test"))
    session = owner_client.session
    entry = session["messaging.kept.email"]
    session["messaging.kept.email"] = {**entry, "at": entry["at"] - 16 * 60}
    session.save()

    page = owner_client.post("/settings/messaging/", email_form(mail_server, **{"email-smtp_password": ""}))

    assert "Hãy nhập lại mật khẩu ứng dụng" in page.content.decode()
    assert not MessagingSettings.objects.filter(shop=shop, smtp_username=GMAIL).exists()
    assert APP_PASSWORD not in str(dict(owner_client.session))  # only ever kept encrypted


def test_a_gmail_app_password_of_the_wrong_length_is_refused_with_its_length(owner_client, shop):
    form = {"form": "email", "action": "save", "email-smtp_host": "smtp.gmail.com", "email-smtp_port": 587,
            "email-smtp_security": "starttls", "email-smtp_username": GMAIL,
            "email-smtp_password": "matkhau123"}  # fmt: skip

    page = owner_client.post("/settings/messaging/", form).content.decode()

    assert "Mật khẩu ứng dụng Gmail có 16 chữ cái (mật khẩu này có 10)" in page


def test_an_owner_tests_and_saves_the_vietguys_account(owner_client, shop, vietguys):
    form = {"form": "sms", "action": "test", "sms-sms_username": "hoamai", "sms-sms_password": "vg-secret",
            "sms-sms_brandname": "HOAMAI", "sms-sms_part_price": "800", "sms-test_phone": "0168 234 5678"}  # fmt: skip

    tested = owner_client.post("/settings/messaging/", form).content.decode()
    saved = owner_client.post("/settings/messaging/", {**form, "action": "save"}, follow=True).content.decode()

    (request,) = vietguys.requests
    assert (request["phone"], request["from"]) == ("84382345678", "HOAMAI")
    assert "Đã gửi SMS thử đến +84382345678" in tested
    assert "Đã lưu cấu hình." in saved and "vg-secret" not in saved
    assert MessagingSettings.objects.get(shop=shop).sms_ready


def test_staff_cannot_open_the_messaging_settings(staff_client):
    assert staff_client.get("/settings/messaging/").status_code == 403


def test_staff_send_an_email_from_the_member_page_and_see_it_there(
    staff_client, shop, staff, email_ready, mail_server, django_capture_on_commit_callbacks
):
    lan = CustomerFactory(shop=shop, name="Nguyễn Thị Lan", email="lan@example.vn")
    form = {"channel": "email", "subject": "Cảm ơn chị", "body": "Cảm ơn chị Lan đã ghé shop.", "request_key": "k1"}

    with django_capture_on_commit_callbacks(execute=False):
        first = staff_client.post(f"/members/{lan.pk}/message/", form, follow=True)
        twice = staff_client.post(f"/members/{lan.pk}/message/", form, follow=True)
    outbox_send(shop_id=shop.pk, channel="email")
    page = staff_client.get(f"/members/{lan.pk}/").content.decode()

    assert "Tin nhắn đang được gửi" in first.content.decode()
    assert "Tin nhắn này đã được ghi nhận; không gửi lần hai." in twice.content.decode()
    assert len(mail_server.received) == 1
    assert "Cảm ơn chị Lan đã ghé shop." in page
    assert re.search(r'class="status ok">Đã gửi<', page)
    assert "Gửi từ trang thành viên · Lan Nguyễn" in page
    entry = ActivityEntry.objects.get(kind=ActivityKind.MESSAGE_QUEUED)
    assert (entry.target_id, entry.actor) == (str(lan.pk), staff)


def test_a_message_without_a_subject_is_refused_and_keeps_what_was_typed(staff_client, shop):
    lan = CustomerFactory(shop=shop, email="lan@example.vn")
    form = {"channel": "email", "subject": "", "body": "Nội dung dài đã gõ", "request_key": "k2"}

    page = staff_client.post(f"/members/{lan.pk}/message/", form).content.decode()

    assert "Email cần có tiêu đề." in page
    assert "Nội dung dài đã gõ" in page
    assert not Message.objects.exists()
    # The page is shown at the message's address: the contact form still posts to its own.
    assert f'<form method="post" action="/members/{lan.pk}/" novalidate>' in page


def test_an_sms_can_go_without_marks_and_shows_its_parts(staff_client, shop, sms_ready, vietguys,
                                                          django_capture_on_commit_callbacks):  # fmt: skip
    lan = CustomerFactory(shop=shop)
    body = "Chúc mừng sinh nhật chị Lan! Thời trang Hoa Mai tặng chị mã giảm giá 10% cho đơn hàng tiếp theo."
    form = {"channel": "sms", "body": body + "\r\nHoa Mai", "without_marks": "on", "request_key": "k3"}

    with django_capture_on_commit_callbacks(execute=False):
        staff_client.post(f"/members/{lan.pk}/message/", form)
    outbox_send(shop_id=shop.pk, channel="sms")

    message = Message.objects.get()
    assert message.body.startswith("Chuc mung sinh nhat chi Lan! Thoi trang Hoa Mai")
    assert message.body.endswith("tiep theo.\nHoa Mai")  # one line break, one character
    assert (message.sms_parts, vietguys.requests[0]["type"]) == (1, "0")


def test_another_shops_member_cannot_be_messaged(staff_client, other_shop):
    stranger = CustomerFactory(shop=other_shop, email="x@example.vn")
    form = {"channel": "email", "subject": "a", "body": "b", "request_key": "k4"}

    assert staff_client.post(f"/members/{stranger.pk}/message/", form).status_code == 404
    assert not Message.objects.exists()


def test_the_member_page_runs_as_many_queries_with_many_messages_as_with_one(staff_client, shop, staff):
    lan = CustomerFactory(shop=shop, email="lan@example.vn")

    def queries(count):
        MessageFactory.create_batch(count, shop=shop, customer=lan, subject="a", body="b", created_by=staff)
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(f"/members/{lan.pk}/").status_code == 200
        return len(captured)

    assert queries(1) == queries(30)


def test_a_customer_unsubscribes_from_the_link_in_an_email(client, shop):
    lan = CustomerFactory(shop=shop, email="lan@example.vn")
    url = f"/unsubscribe/{unsubscribe_token(lan.pk)}/"
    one_click = Client(enforce_csrf_checks=True)  # mail programs post without a session or CSRF token

    asked = client.get(url).content.decode()
    done = one_click.post(url, {"List-Unsubscribe": "One-Click"}).content.decode()
    again = one_click.post(url).content.decode()

    lan.refresh_from_db()
    assert "Ngừng nhận email từ Thời trang Hoa Mai?" in asked
    assert "Bạn sẽ không nhận email từ Thời trang Hoa Mai nữa." in done and "nữa" in again
    assert lan.accepts_email is False
    assert ActivityEntry.objects.filter(target_id=str(lan.pk), kind=ActivityKind.CUSTOMER_CHANGED).count() == 1


def test_a_forged_unsubscribe_link_is_not_found(client, shop):
    lan = CustomerFactory(shop=shop, email="lan@example.vn")
    token = unsubscribe_token(lan.pk)
    forged = f"{lan.pk + 1}:{token.split(':', 1)[1]}"

    assert client.post(f"/unsubscribe/{forged}/").status_code == 404
    lan.refresh_from_db()
    assert lan.accepts_email is True
