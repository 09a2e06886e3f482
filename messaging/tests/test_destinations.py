"""Where the owner's mail settings may point: mail ports only, no encryption only to this
machine, and in production no address of this server or its private network."""

import html
import re
import socket

import pytest
from django.utils import translation

from members.tests.factories import CustomerFactory
from messaging.models import Message
from messaging.services import message_queue, outbox_send
from messaging.tests.test_pages import email_form

PORT_REFUSED = "không phải cổng gửi thư"
CLEAR_TEXT = "Không mã hóa thì mật khẩu đi trên mạng"
PRIVATE = "là địa chỉ của chính máy chủ này hoặc của một mạng nội bộ"


def field_errors(page: str, field: str) -> str:
    """The text of the form's block for one field (label, input, help and its errors)."""
    for block in page.split('<div class="field">')[1:]:
        if f'name="email-{field}"' in block:
            return html.unescape(block.split("</div>")[0])
    raise AssertionError(f"no field {field} on the page")


@pytest.fixture
def listener():
    """A socket listening on loopback on a port that is no mail port: what a port scan
    would look for. Connections to it stay in its backlog for the test to find."""
    for port in range(2526, 2600):
        server = socket.socket()
        try:
            server.bind(("127.0.0.1", port))
        except OSError:
            server.close()
            continue
        server.listen(5)
        server.setblocking(False)
        yield server
        server.close()
        return
    pytest.fail("no free port between 2526 and 2600")


def connected(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
    except BlockingIOError:
        return False
    return True


def test_a_test_send_to_a_port_that_is_no_mail_port_is_refused_before_connecting(owner_client, mail_server, listener):
    port = listener.getsockname()[1]

    page = owner_client.post(
        "/settings/messaging/", email_form(mail_server, action="test", **{"email-smtp_port": port})
    ).content.decode()

    assert f"Cổng {port} {PORT_REFUSED}" in field_errors(page, "smtp_port")
    assert not connected(listener)
    assert "Đã gửi email thử" not in page


def test_no_encryption_is_refused_for_a_server_that_is_not_this_machine(owner_client, mail_server):
    form = email_form(mail_server, action="test", **{"email-smtp_host": "192.0.2.10", "email-smtp_port": 587})

    page = owner_client.post("/settings/messaging/", form).content.decode()

    assert CLEAR_TEXT in field_errors(page, "smtp_security")
    assert mail_server.logins == 0


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "10.0.0.5", "192.168.1.20", "169.254.169.254", "::ffff:127.0.0.1"]
)
def test_in_production_addresses_of_the_server_and_its_network_are_refused(owner_client, mail_server, settings, host):
    settings.SMTP_ALLOW_PRIVATE_HOSTS = False
    form = email_form(
        mail_server,
        action="test",
        **{"email-smtp_host": host, "email-smtp_port": 587, "email-smtp_security": "starttls"},
    )

    page = owner_client.post("/settings/messaging/", form).content.decode()

    assert f"{host} {PRIVATE}" in field_errors(page, "smtp_host")


def test_in_production_saving_a_private_address_is_refused_too(owner_client, shop, mail_server, settings):
    settings.SMTP_ALLOW_PRIVATE_HOSTS = False

    page = owner_client.post("/settings/messaging/", email_form(mail_server)).content.decode()

    assert PRIVATE in field_errors(page, "smtp_host")
    assert not Message.objects.exists() and "Đã lưu cấu hình." not in page


def test_a_deployment_may_allow_its_own_relay(owner_client, mail_server, settings):
    settings.SMTP_ALLOW_PRIVATE_HOSTS = True  # a relay on this machine, allowed by whoever runs it

    page = owner_client.post("/settings/messaging/", email_form(mail_server, action="test")).content.decode()

    assert "Đã gửi email thử đến chu.shop@example.vn" in page
    assert len(mail_server.received) == 1


def test_the_outbox_holds_saved_settings_that_point_where_mail_may_not_go(shop, email_ready, mail_server, settings):
    # Saved before the rule (or the deployment's setting) changed: every send checks it again.
    settings.SMTP_ALLOW_PRIVATE_HOSTS = False
    lan = CustomerFactory(shop=shop, email="lan@example.vn")
    message_queue(shop=shop, customer=lan, channel="email", source="s1", source_label="x", subject="a", body="b")

    with translation.override("vi"):
        result = outbox_send(shop_id=shop.pk, channel="email")

    message = Message.objects.get()
    assert result.sent == 0 and mail_server.logins == 0 and mail_server.received == []
    assert message.status == Message.Status.QUEUED and PRIVATE in message.error


def test_the_outbox_refuses_a_port_that_is_no_mail_port(shop, email_ready, mail_server, listener):
    email_ready.smtp_port = listener.getsockname()[1]
    email_ready.save()
    lan = CustomerFactory(shop=shop, email="lan@example.vn")
    message_queue(shop=shop, customer=lan, channel="email", source="s1", source_label="x", subject="a", body="b")

    with translation.override("vi"):
        outbox_send(shop_id=shop.pk, channel="email")

    assert PORT_REFUSED in Message.objects.get().error
    assert not connected(listener)


def test_a_name_that_resolves_to_this_machine_is_checked_when_connecting(shop, email_ready, mail_server, settings):
    settings.SMTP_ALLOW_PRIVATE_HOSTS = False
    email_ready.smtp_host = "localhost"
    email_ready.save()
    lan = CustomerFactory(shop=shop, email="lan@example.vn")
    message_queue(shop=shop, customer=lan, channel="email", source="s1", source_label="x", subject="a", body="b")

    with translation.override("vi"):
        outbox_send(shop_id=shop.pk, channel="email")

    error = Message.objects.get().error
    assert re.search(rf"localhost {PRIVATE} \((127\.0\.0\.1|::1)\)", error)
    assert mail_server.logins == 0
