"""After Gmail refuses the login (534: an app password is needed; 535: not accepted), the
page opens its app-password steps and quotes the server's words as one clean sentence."""

import re

import pytest
from django.utils import translation

from messaging.senders import EmailSender, SendError
from messaging.tests.test_pages import email_form
from messaging.tests.test_senders import _config, _send

# What Gmail answers, two lines as it sends them.
GMAIL_534 = (
    "534-5.7.9 Application-specific password required. Learn more at\r\n"
    "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor d9443c01a7336-2a - gsmtp"
)
GMAIL_535 = (
    "535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
    "535 5.7.8  https://support.google.com/mail/?p=BadCredentials d9443c01a7336-2b - gsmtp"
)
APP_PASSWORDS = 'href="https://myaccount.google.com/apppasswords"'


def steps(page: str) -> str:
    return re.search(r'<details class="help" id="gmail-steps"[^>]*>', page).group(0)


def test_a_two_line_534_is_quoted_as_one_sentence(mail_server):
    mail_server.auth_reply = GMAIL_534

    with translation.override("vi"), pytest.raises(SendError) as refused:
        _send(_config(mail_server))

    assert (
        "(534 5.7.9 Application-specific password required. Learn more at "
        "https://support.google.com/mail/?p=InvalidSecondFactor d9443c01a7336-2a - gsmtp)"
    ) in refused.value.reason
    assert refused.value.gmail_steps


def test_a_two_line_535_is_quoted_as_one_sentence(mail_server):
    mail_server.auth_reply = GMAIL_535

    with pytest.raises(SendError) as refused, EmailSender(_config(mail_server)) as sender:
        sender.connect()

    assert (
        "535 5.7.8 Username and Password not accepted. For more information, go to "
        "https://support.google.com/mail/?p=BadCredentials"
    ) in refused.value.reason


@pytest.mark.parametrize("reply", [GMAIL_534, GMAIL_535])
def test_after_gmail_refuses_the_login_the_page_opens_the_app_password_steps(owner_client, mail_server, reply):
    mail_server.auth_reply = reply

    page = owner_client.post("/settings/messaging/", email_form(mail_server, action="test")).content.decode()

    assert " open" in steps(page)
    assert APP_PASSWORDS in page and "Mở trang Mật khẩu ứng dụng của Google" in page
    assert "Learn more at https://" in page or "go to https://" in page  # the server's words, joined


def test_the_steps_stay_folded_on_a_fresh_page_and_after_other_failures(owner_client, mail_server):
    fresh = owner_client.get("/settings/messaging/").content.decode()
    mail_server.refuse["chu.shop@example.vn"] = "550 5.1.1 The email account that you tried to reach does not exist"
    refused = owner_client.post("/settings/messaging/", email_form(mail_server, action="test")).content.decode()

    assert " open" not in steps(fresh) and APP_PASSWORDS in fresh
    assert " open" not in steps(refused) and "5.1.1" in refused
