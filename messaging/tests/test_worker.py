"""Through the real path: a message sent from the member page goes through the broker to a
worker process, which hands it to the SMTP server; a worker killed mid-send leaves a message
that is never sent again."""

import signal

import pytest
from django.utils import translation

from conftest import wait_for
from members.tests.factories import CustomerFactory
from messaging.models import Message
from messaging.services import outbox_send
from messaging.tasks import send_due

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FORM = {"channel": "email", "subject": "Cảm ơn chị", "body": "Cảm ơn chị đã ghé shop."}


def test_a_message_from_the_member_page_is_delivered_by_a_worker(
    celery_worker_process, staff_client, shop, email_ready, mail_server
):
    lan = CustomerFactory(shop=shop, email="lan@example.vn")

    staff_client.post(f"/members/{lan.pk}/message/", {**FORM, "request_key": "w1"})

    wait_for(lambda: Message.objects.filter(status=Message.Status.SENT).exists())
    (delivered,) = mail_server.received
    assert delivered["To"] == "lan@example.vn"


def test_a_worker_killed_while_handing_a_message_over_never_sends_it_again(
    celery_worker_process, staff_client, shop, email_ready, mail_server, settings
):
    lan = CustomerFactory(shop=shop, email="lan@example.vn")
    mail_server.hold_data_seconds = 60

    staff_client.post(f"/members/{lan.pk}/message/", {**FORM, "request_key": "w2"})
    assert mail_server.data_started.wait(timeout=30)
    celery_worker_process.send_signal(signal.SIGKILL)
    celery_worker_process.wait(timeout=10)
    mail_server.hold_data_seconds = 0

    message = Message.objects.get()
    assert message.status == Message.Status.SENDING
    settings.MESSAGING_SENDING_STALE_SECONDS = 0
    with translation.override("vi"):
        send_due()
        outbox_send(shop_id=shop.pk, channel="email")

    message.refresh_from_db()
    assert message.status == Message.Status.UNKNOWN
    assert "Tin có thể đã đến, nên không gửi lại." in message.error
    assert mail_server.received == []
