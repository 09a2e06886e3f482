import pytest
from django.core.mail import EmailMessage
from django.utils import translation

from core.tests.loopback import free_port
from core.text import without_marks
from messaging.models import MessagingSettings
from messaging.senders import EmailSender, Reach, SendError
from messaging.sms import sms_size
from messaging.tests.servers import APP_PASSWORD, APP_PASSWORD_AS_SHOWN, GMAIL
from messaging.vietguys import SmsSender, _request_sent


def test_sms_parts_follow_the_alphabet_the_text_needs():
    assert sms_size("a" * 160) == sms_size("a" * 160).__class__(unicode=False, length=160, parts=1)
    assert sms_size("a" * 161).parts == 2
    assert sms_size("a" * 306).parts == 2
    assert sms_size("a" * 307).parts == 3
    assert sms_size("[" * 80).length == 160  # extension characters take two places
    assert sms_size("ă" * 70) == sms_size("ă" * 70).__class__(unicode=True, length=70, parts=1)
    assert sms_size("ă" * 71).parts == 2
    assert sms_size("ă" * 134).parts == 2
    assert sms_size("ă" * 135).parts == 3
    assert sms_size("").parts == 0


def test_without_marks_keeps_the_case_and_fits_the_plain_alphabet():
    text = "Chúc mừng sinh nhật Đức! Ưu đãi 10% cho bạn."

    plain = without_marks(text)

    assert plain == "Chuc mung sinh nhat Duc! Uu dai 10% cho ban."
    assert (sms_size(text).unicode, sms_size(plain).unicode) == (True, False)


def _config(mail_server, **fields) -> MessagingSettings:
    values = {
        "smtp_host": "127.0.0.1",
        "smtp_port": mail_server.port,
        "smtp_security": MessagingSettings.Security.NONE,
        "smtp_username": GMAIL,
        "smtp_password": APP_PASSWORD,
        "from_email": GMAIL,
    }
    return MessagingSettings(**{**values, **fields})


def _send(config, to="lan@example.vn", **options):
    with EmailSender(config, **options) as sender:
        sender.send(EmailMessage("Xin chào", "Nội dung", config.sender_address, [to]))


def test_an_app_password_copied_with_its_spaces_logs_in(mail_server):
    _send(_config(mail_server, smtp_password=APP_PASSWORD_AS_SHOWN))

    assert [message["Subject"] for message in mail_server.received] == ["Xin chào"]


def test_a_refused_login_says_to_use_an_app_password(mail_server):
    with translation.override("vi"), pytest.raises(SendError) as refused:
        _send(_config(mail_server, smtp_password="mat-khau-thuong"))

    assert refused.value.reach is Reach.ACCOUNT
    assert "535" in refused.value.reason
    assert "mật khẩu ứng dụng" in refused.value.reason
    assert mail_server.received == []


def test_gmails_534_says_how_to_make_an_app_password(mail_server):
    mail_server.auth_reply = "534 5.7.9 Application-specific password required"

    with translation.override("vi"), pytest.raises(SendError) as refused:
        _send(_config(mail_server))

    assert refused.value.reach is Reach.ACCOUNT
    assert "5.7.9" in refused.value.reason
    assert "Xác minh 2 bước" in refused.value.reason


def test_gmails_daily_limit_is_a_quota_not_a_bad_address(mail_server):
    mail_server.refuse["lan@example.vn"] = "550 5.4.5 Daily user sending limit exceeded"

    with translation.override("vi"), pytest.raises(SendError) as refused:
        _send(_config(mail_server))

    assert refused.value.reach is Reach.QUOTA
    assert "500" in refused.value.reason and "2.000" in refused.value.reason


def test_a_refused_address_is_that_message_only(mail_server):
    mail_server.refuse["khong-co@example.vn"] = "550 5.1.1 The email account that you tried to reach does not exist"

    with pytest.raises(SendError) as refused:
        _send(_config(mail_server), to="khong-co@example.vn")

    assert refused.value.reach is Reach.MESSAGE
    assert "5.1.1" in refused.value.reason


def test_a_temporary_refusal_is_tried_again(mail_server):
    mail_server.refuse["lan@example.vn"] = "451 4.3.0 Mail server temporarily rejected message"

    with pytest.raises(SendError) as refused:
        _send(_config(mail_server))

    assert refused.value.reach is Reach.RETRY


def test_no_server_on_the_port_says_to_check_host_and_port(db, settings):
    settings.SMTP_TIMEOUT = 2
    config = MessagingSettings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none", from_email=GMAIL)

    with translation.override("vi"), pytest.raises(SendError) as refused:
        _send(config)

    assert refused.value.reach is Reach.ACCOUNT
    assert "smtp.gmail.com" in refused.value.reason
    assert "từ chối kết nối" in refused.value.reason


def test_a_line_broken_while_handing_over_is_not_known_to_have_failed(mail_server):
    mail_server.drop_on_data = True

    with pytest.raises(SendError) as broken:
        _send(_config(mail_server))

    assert broken.value.reach is Reach.UNKNOWN


def _sms(vietguys, text="Cam on ban da mua hang", **fields):
    config = MessagingSettings(sms_username="hoamai", sms_password="vg-secret", sms_brandname="HOAMAI", **fields)
    with SmsSender(config) as sender:
        return sender.send(phone="+84912345678", text=text, request_id="7-42")


def test_an_sms_goes_to_vietguys_with_its_brandname_and_our_request_id(vietguys):
    message_id = _sms(vietguys)
    _sms(vietguys, text="Cảm ơn bạn")

    plain, unicode = vietguys.requests
    assert message_id == "vg-1001"
    assert plain == {
        "u": "hoamai",
        "pwd": "vg-secret",
        "from": "HOAMAI",
        "phone": "84912345678",
        "sms": "Cam on ban da mua hang",
        "bid": "7-42",
        "type": "0",
        "json": "1",
    }
    assert (unicode["sms"], unicode["type"]) == ("Cảm ơn bạn", "8")


def test_vietguys_refusing_a_message_says_what_it_answered(vietguys):
    vietguys.answer = {"error": 10, "message": "Dinh dang thue bao khong dung"}

    with pytest.raises(SendError) as refused:
        _sms(vietguys)

    assert refused.value.reach is Reach.MESSAGE
    assert "Dinh dang thue bao khong dung" in refused.value.reason


def test_vietguys_not_answering_in_time_is_never_sent_again(vietguys):
    vietguys.delay_seconds = 1.5

    with pytest.raises(SendError) as late:
        _sms(vietguys)

    assert late.value.reach is Reach.UNKNOWN
    assert len(vietguys.requests) == 1


def test_vietguys_hanging_up_after_the_request_is_never_sent_again(vietguys):
    vietguys.hang_up = True

    with pytest.raises(SendError) as broken:
        _sms(vietguys)

    assert broken.value.reach is Reach.UNKNOWN
    assert len(vietguys.requests) == 1


def test_a_header_that_cannot_be_written_fails_that_message_before_connecting(mail_server):
    config = _config(mail_server)

    with EmailSender(config) as sender, pytest.raises(SendError) as refused:
        sender.send(EmailMessage("Dòng 1\nBcc: ai@example.vn", "Nội dung", config.sender_address, ["lan@example.vn"]))

    assert refused.value.reach is Reach.MESSAGE
    assert (mail_server.logins, mail_server.received) == (0, [])


MAY_HAVE_SENT = [(502, Reach.UNKNOWN), (504, Reach.UNKNOWN), (500, Reach.UNKNOWN)]
NOT_HANDLED = [(503, Reach.ACCOUNT), (429, Reach.ACCOUNT), (404, Reach.ACCOUNT)]


@pytest.mark.parametrize(("status", "reach"), MAY_HAVE_SENT + NOT_HANDLED)
def test_vietguys_http_errors_wait_unless_it_may_have_sent(vietguys, status, reach):
    vietguys.status = status

    with pytest.raises(SendError) as failed:
        _sms(vietguys)

    assert failed.value.reach is reach


def test_a_failed_tls_handshake_with_vietguys_sent_nothing(vietguys, settings):
    settings.VIETGUYS_URL = vietguys.url.replace("http://", "https://")  # the fake speaks plain HTTP

    with pytest.raises(SendError) as failed:
        _sms(vietguys)

    assert failed.value.reach is Reach.ACCOUNT


def test_a_tls_error_after_the_handshake_may_have_sent(vietguys):
    import ssl

    import requests
    from urllib3.exceptions import MaxRetryError, SSLError

    after_handshake = ssl.SSLError(1, "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed")
    after_handshake.reason = "DECRYPTION_FAILED_OR_BAD_RECORD_MAC"
    wrapped = requests.exceptions.SSLError(MaxRetryError(None, "/", SSLError(after_handshake)))

    assert _request_sent(wrapped) is True


def test_a_wrong_vietguys_address_makes_every_message_wait(db, settings):
    settings.VIETGUYS_URL = "cloudsms.vietguys.biz/api/index.php"  # no scheme

    with pytest.raises(SendError) as failed:
        _sms(None)

    assert failed.value.reach is Reach.ACCOUNT


def test_a_server_closing_with_421_makes_every_message_wait(mail_server):
    mail_server.refuse["lan@example.vn"] = "421 4.7.0 Try again later, closing connection"

    with pytest.raises(SendError) as refused:
        _send(_config(mail_server))

    assert refused.value.reach is Reach.ACCOUNT
    assert "421" in refused.value.reason


def test_vietguys_unreachable_makes_every_message_wait(db, settings):
    settings.VIETGUYS_URL = f"http://127.0.0.1:{free_port()}/api/index.php"

    with pytest.raises(SendError) as refused:
        _sms(None)

    assert refused.value.reach is Reach.ACCOUNT
