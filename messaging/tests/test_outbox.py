import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone, translation

from members.models import Customer
from members.tests.factories import CustomerFactory
from messaging.models import Message
from messaging.services import message_queue, outbox, outbox_due, outbox_recover, outbox_send, unsubscribe_customer_id
from messaging.tasks import send_due
from messaging.tests.servers import APP_PASSWORD_AS_SHOWN

EMAIL, SMS = Message.Channel.EMAIL, Message.Channel.SMS
Status = Message.Status


def queue(shop, customer, *, channel=EMAIL, source="campaign:1", body="Chúc mừng sinh nhật!"):
    return message_queue(
        shop=shop, customer=customer, channel=channel, source=source, source_label="Sinh nhật",
        subject="Quà sinh nhật" if channel == EMAIL else "", body=body,
    )  # fmt: skip


@pytest.fixture
def lan(shop):
    return CustomerFactory(shop=shop, name="Nguyễn Thị Lan", email="lan@example.vn", phone="+84912345678")


def send(shop, channel=EMAIL, **options):
    with translation.override("vi"):
        return outbox_send(shop_id=shop.pk, channel=channel, **options)


def test_a_message_is_delivered_once_with_a_way_to_unsubscribe(
    shop, lan, email_ready, mail_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = queue(shop, lan)
        again = queue(shop, lan)

    result = send(shop)
    send(shop)

    assert (first.created, again.created, again.message.pk) == (True, False, first.message.pk)
    assert len(callbacks) == 1  # the second queueing starts nothing
    assert result.sent == 1
    (delivered,) = mail_server.received
    assert delivered["Subject"] == "Quà sinh nhật"
    assert "Thời trang Hoa Mai" in delivered["From"]
    link = delivered["List-Unsubscribe"].strip().strip("<>")
    assert delivered["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in delivered.get_content()
    assert unsubscribe_customer_id(link.rstrip("/").rsplit("/", 1)[1]) == lan.pk
    message = Message.objects.get()
    assert (message.status, message.attempts, message.error) == (Status.SENT, 1, "")
    assert message.sent_at is not None


def test_a_customer_who_unsubscribed_after_queueing_is_not_sent_to(shop, lan, email_ready, mail_server):
    queue(shop, lan)
    lan.accepts_email = False
    lan.save()

    send(shop)

    message = Message.objects.get()
    assert mail_server.received == []
    assert message.status == Status.SKIPPED
    assert "hủy đăng ký" in message.error


def test_a_customer_without_email_gets_a_skipped_row_that_says_why(shop, email_ready):
    customer = CustomerFactory(shop=shop, email="")

    with translation.override("vi"):
        queued = queue(shop, customer)

    assert queued.message.status == Status.SKIPPED
    assert queued.message.error == "Khách hàng này chưa có địa chỉ email."


def test_a_message_left_sending_by_a_dead_worker_is_never_sent_again(shop, lan, email_ready, mail_server):
    message = queue(shop, lan).message
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    Message.objects.filter(pk=message.pk).update(status=Status.SENDING, sending_at=long_ago, attempts=1)

    with translation.override("vi"):
        send_due()  # beat: recovers, then finds nothing due
    send(shop)

    message.refresh_from_db()
    assert mail_server.received == []
    assert message.status == Status.UNKNOWN
    assert "không gửi lại" in message.error


def test_a_message_just_started_by_a_live_worker_is_left_alone(shop, lan, email_ready):
    message = queue(shop, lan).message
    Message.objects.filter(pk=message.pk).update(status=Status.SENDING, sending_at=timezone.now())

    assert outbox_recover() == 0


def test_a_batch_leased_by_a_worker_that_died_before_sending_goes_out_once(shop, lan, email_ready, mail_server):
    message = queue(shop, lan).message
    expired = timezone.now() - datetime.timedelta(minutes=1)
    Message.objects.filter(pk=message.pk).update(lease_token="dead", lease_until=expired)

    assert outbox_due() == [(shop.pk, EMAIL)]
    send(shop)

    assert len(mail_server.received) == 1
    assert Message.objects.get().status == Status.SENT


def test_a_batch_leased_by_a_live_worker_is_not_taken_twice(shop, lan, email_ready, mail_server):
    message = queue(shop, lan).message
    Message.objects.filter(pk=message.pk).update(
        lease_token="alive", lease_until=timezone.now() + datetime.timedelta(minutes=5)
    )

    assert outbox_due() == []
    send(shop)

    assert mail_server.received == []


def test_a_wrong_password_holds_every_message_until_it_is_fixed(shop, email_ready, mail_server):
    customers = [CustomerFactory(shop=shop, email=f"khach{n}@example.vn") for n in range(7)]
    for customer in customers:
        queue(shop, customer)
    email_ready.smtp_password = "sai-mat-khau-ung-dung"
    email_ready.save()

    result = send(shop, batch_size=3)
    send(shop, batch_size=3)  # beat's next run: nothing is due, so no login is tried

    waiting = list(Message.objects.order_by("pk"))
    assert mail_server.received == []
    assert (result.sent, result.waiting) == (0, 1)
    # One refused login, then every message waits: smtplib tries each login method the
    # server offers (PLAIN, LOGIN) once, where a login per message would make fourteen.
    assert mail_server.logins == 2
    assert "mật khẩu ứng dụng" in result.stopped
    assert {(m.status, m.attempts) for m in waiting} == {(Status.QUEUED, 0)}
    assert all(m.next_attempt_at > timezone.now() + datetime.timedelta(minutes=9) for m in waiting)
    assert all("535" in m.error for m in waiting)

    email_ready.smtp_password = APP_PASSWORD_AS_SHOWN
    email_ready.save()
    Message.objects.update(next_attempt_at=timezone.now())
    send(shop)

    assert sorted(m["To"] for m in mail_server.received) == [c.email for c in customers]
    assert set(Message.objects.values_list("status", flat=True)) == {Status.SENT}


def test_gmails_daily_limit_makes_the_rest_wait_an_hour(shop, email_ready, mail_server):
    for n in range(3):
        queue(shop, CustomerFactory(shop=shop, email=f"khach{n}@example.vn"))
    mail_server.refuse["khach1@example.vn"] = "550 5.4.5 Daily user sending limit exceeded"

    send(shop)

    statuses = dict(Message.objects.values_list("recipient", "status"))
    assert statuses == {"khach0@example.vn": Status.SENT, "khach1@example.vn": Status.QUEUED,
                        "khach2@example.vn": Status.QUEUED}  # fmt: skip
    later = Message.objects.filter(status=Status.QUEUED)
    assert all(m.next_attempt_at > timezone.now() + datetime.timedelta(minutes=59) for m in later)
    assert all("5.4.5" in m.error for m in later)


def test_a_refused_address_fails_alone_and_the_others_go(shop, email_ready, mail_server):
    for n in range(3):
        queue(shop, CustomerFactory(shop=shop, email=f"khach{n}@example.vn"))
    mail_server.refuse["khach1@example.vn"] = "550 5.1.1 The email account that you tried to reach does not exist"

    result = send(shop)

    assert (result.sent, result.failed) == (2, 1)
    failed = Message.objects.get(status=Status.FAILED)
    assert failed.recipient == "khach1@example.vn"
    assert "5.1.1" in failed.error


def test_a_temporary_refusal_is_retried_with_backoff_then_given_up(shop, lan, email_ready, mail_server, settings):
    settings.MESSAGING_MAX_ATTEMPTS = 3
    queue(shop, lan)
    mail_server.refuse["lan@example.vn"] = "451 4.3.0 Try again later"
    waits = []

    for _attempt in range(3):
        before = timezone.now()
        send(shop)
        message = Message.objects.get()
        waits.append(round((message.next_attempt_at - before).total_seconds() / 60))
        Message.objects.update(next_attempt_at=timezone.now())

    assert mail_server.received == []
    assert (message.status, message.attempts) == (Status.FAILED, 3)
    assert waits[:2] == [1, 5]
    assert "3 lần thử" in message.error


def test_messages_wait_with_a_reason_while_sending_is_not_set_up(shop, lan):
    queue(shop, lan)

    result = send(shop)

    message = Message.objects.get()
    assert message.status == Status.QUEUED
    assert "Cấu hình hệ thống › Tin nhắn" in message.error == result.stopped


def test_messages_still_waiting_after_three_days_are_given_up(shop, lan):
    message = queue(shop, lan).message
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - datetime.timedelta(hours=73))

    send(shop)

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "72 giờ" in message.error


def test_an_sms_goes_out_with_its_parts_and_vietguys_id(shop, lan, sms_ready, vietguys):
    body = "Cảm ơn chị Lan đã mua hàng tại Thời trang Hoa Mai! Tặng chị mã giảm giá 10% cho lần mua tiếp theo."

    queue(shop, lan, channel=SMS, body=body)
    send(shop, SMS)

    message = Message.objects.get()
    (request,) = vietguys.requests
    assert (request["phone"], request["sms"], request["type"]) == ("84912345678", body, "8")
    assert request["bid"] == f"{shop.pk}-{message.pk}"
    assert (message.status, message.sms_parts, message.provider_id) == (Status.SENT, 2, "vg-1001")


def test_an_sms_that_vietguys_may_have_sent_is_not_sent_again(shop, lan, sms_ready, vietguys):
    vietguys.delay_seconds = 1.5
    queue(shop, lan, channel=SMS)

    send(shop, SMS)
    Message.objects.update(next_attempt_at=timezone.now())
    send(shop, SMS)

    assert len(vietguys.requests) == 1
    assert Message.objects.get().status == Status.UNKNOWN


def test_the_same_vietguys_refusal_for_three_numbers_holds_the_account(shop, sms_ready, vietguys):
    vietguys.answer = {"error": 5, "message": "Sai thong tin xac thuc"}
    for n in range(5):
        queue(shop, CustomerFactory(shop=shop, phone=f"+8491200000{n}"), channel=SMS)

    result = send(shop, SMS)

    assert len(vietguys.requests) == 3
    assert set(Message.objects.values_list("status", flat=True)) == {Status.QUEUED}
    assert sorted(Message.objects.values_list("attempts", flat=True)) == [0, 0, 1, 1, 1]
    assert (result.failed, result.waiting) == (0, 1)
    assert "tài khoản" in result.stopped and "Sai thong tin xac thuc" in result.stopped
    assert all(m.next_attempt_at > timezone.now() for m in Message.objects.all())


def test_two_numbers_in_a_row_with_the_same_refusal_fail_alone(shop, sms_ready, vietguys):
    refusal = {"error": 7, "message": "Thue bao tu choi nhan tin"}
    vietguys.answers.update({"84912000001": refusal, "84912000002": refusal})
    for n in range(4):
        queue(shop, CustomerFactory(shop=shop, phone=f"+8491200000{n}"), channel=SMS)

    result = send(shop, SMS)

    statuses = [status for _phone, status in Message.objects.order_by("recipient").values_list("recipient", "status")]
    assert statuses == [Status.SENT, Status.FAILED, Status.FAILED, Status.SENT]
    assert (result.sent, result.failed, result.stopped) == (2, 2, "")


def test_an_account_refusal_after_a_number_used_its_last_try_is_counted_right(shop, sms_ready, vietguys, settings):
    settings.MESSAGING_MAX_ATTEMPTS = 1
    vietguys.answer = {"error": 5, "message": "Sai thong tin xac thuc"}
    for n in range(3):
        queue(shop, CustomerFactory(shop=shop, phone=f"+8491200000{n}"), channel=SMS)

    result = send(shop, SMS)

    assert sorted(Message.objects.values_list("status", flat=True)) == [Status.FAILED] * 3
    assert result.failed == 3


def test_a_number_vietguys_refuses_fails_alone(shop, sms_ready, vietguys):
    vietguys.answers["84912000001"] = {"error": 10, "message": "Dinh dang thue bao khong dung"}
    for n in range(3):
        queue(shop, CustomerFactory(shop=shop, phone=f"+8491200000{n}"), channel=SMS)

    send(shop, SMS)

    statuses = dict(Message.objects.values_list("recipient", "status"))
    assert statuses == {"+84912000000": Status.SENT, "+84912000001": Status.FAILED, "+84912000002": Status.SENT}


def test_a_customer_who_unsubscribes_during_a_batch_is_not_sent_to(shop, email_ready, mail_server, monkeypatch):
    lan, hoa = (CustomerFactory(shop=shop, email=f"{name}@example.vn") for name in ("lan", "hoa"))
    queue(shop, lan)
    queue(shop, hoa)
    hand_over = outbox._hand_over

    def while_sending_to_lan(message, **kwargs):
        Customer.objects.filter(pk=hoa.pk).update(accepts_email=False)  # hoa clicks the link meanwhile
        return hand_over(message, **kwargs)

    monkeypatch.setattr(outbox, "_hand_over", while_sending_to_lan)
    send(shop)

    assert [m["To"] for m in mail_server.received] == ["lan@example.vn"]
    assert Message.objects.get(customer=hoa).status == Status.SKIPPED


def test_an_address_that_is_not_one_is_skipped_when_queued(shop):
    customer = CustomerFactory(shop=shop, email="lan@example.vn, hoa@example.vn")

    with translation.override("vi"):
        message = queue(shop, customer).message

    assert message.status == Status.SKIPPED
    assert "không hợp lệ" in message.error


def test_an_unexpected_error_while_handing_over_stops_the_run_and_sends_nothing_twice(
    shop, email_ready, mail_server, monkeypatch
):
    for n in range(3):
        queue(shop, CustomerFactory(shop=shop, email=f"khach{n}@example.vn"))

    def broken(message, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(outbox, "_hand_over", broken)
    send(shop)

    assert sorted(Message.objects.values_list("status", flat=True)) == [Status.QUEUED, Status.QUEUED, Status.UNKNOWN]
    assert Message.objects.filter(status=Status.QUEUED, next_attempt_at__gt=timezone.now()).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_queue_send_each_message_once(shop, email_ready, mail_server):
    customers = [CustomerFactory(shop=shop, email=f"khach{n}@example.vn") for n in range(40)]
    for customer in customers:
        queue(shop, customer)
    errors = []

    def worker():
        try:
            outbox_send(shop_id=shop.pk, channel=EMAIL, batch_size=5)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(m["To"] for m in mail_server.received) == sorted(c.email for c in customers)
    assert set(Message.objects.values_list("status", flat=True)) == {Status.SENT}
