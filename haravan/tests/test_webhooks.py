import base64
import hashlib
import hmac
import json
import threading

import pytest
from django.db import OperationalError, connections
from django.test import Client

from haravan import services
from haravan.client import HaravanError
from haravan.models import WebhookEvent
from haravan.services import webhook_process
from haravan.tasks import MAX_RETRIES, process_webhook
from haravan.tests.conftest import SECRET
from members.models import Customer, Order


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def order_body(order_id=5001, status="paid", updated="2026-11-20T02:00:00Z", total="1200000.0", **extra) -> bytes:
    payload = {
        "id": order_id,
        "name": f"#{order_id}",
        "total_price": total,
        "financial_status": status,
        "created_at": "2026-11-20T01:00:00Z",
        "updated_at": updated,
        "customer": {"id": 77, "first_name": "Mai", "last_name": "Trần", "phone": "0912.345.678"},
        **extra,
    }
    return json.dumps(payload).encode()


def post(client, connection, body, topic="orders/paid", signature=None):
    return client.post(
        f"/webhooks/haravan/{connection.webhook_key}/",
        data=body,
        content_type="application/json",
        HTTP_X_HARAVAN_TOPIC=topic,
        HTTP_X_HARAVAN_ORG_ID="200000123",
        HTTP_X_HARAVAN_HMACSHA256=sign(body) if signature is None else signature,
    )


def test_the_subscription_handshake_echoes_the_challenge(client, connection):
    url = f"/webhooks/haravan/{connection.webhook_key}/"

    ok = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": connection.webhook_verify_token,
                          "hub.challenge": "abc123"})  # fmt: skip
    wrong = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "abc123"})

    assert (ok.status_code, ok.content) == (200, b"abc123")
    assert wrong.status_code == 403


def test_an_unknown_webhook_address_answers_404(client, db):
    assert client.post("/webhooks/haravan/nope/", data=b"{}", content_type="application/json").status_code == 404


def test_a_bad_signature_is_refused_logged_and_writes_nothing(client, connection, caplog):
    body = order_body()

    response = post(client, connection, body, signature=sign(body, "not-the-secret"))

    assert response.status_code == 401
    assert not WebhookEvent.objects.exists() and not Order.objects.exists()
    assert "bad signature" in caplog.text


def test_a_body_over_the_upload_limit_gets_a_plain_413_and_writes_nothing(client, connection, settings):
    body = order_body(note="x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    response = post(client, connection, body)  # signed: the size alone is refused

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain") and b"<html" not in response.content.lower()
    assert not WebhookEvent.objects.exists() and not Order.objects.exists()


def test_an_unknown_topic_is_ignored_with_a_log_line(client, connection, caplog):
    caplog.set_level("INFO")

    response = post(client, connection, b'{"id": 1}', topic="products/create")

    assert response.status_code == 200
    assert not WebhookEvent.objects.exists()
    assert "unknown topic 'products/create'" in caplog.text


def test_an_order_webhook_is_stored_then_applied_by_the_worker(
    client, connection, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client, connection, order_body())

    assert response.status_code == 200
    assert len(callbacks) == 1 and not Order.objects.exists()  # the request only stores it
    webhook_process(event_id=WebhookEvent.objects.get().pk)
    order = Order.objects.get(shop=shop, external_id="5001")
    assert (order.customer.phone, order.total, order.paid_amount) == ("+84912345678", 1_200_000, 1_200_000)
    assert Customer.objects.get(shop=shop).total_spent == 1_200_000


def test_the_same_delivery_twice_has_one_effect(client, connection, shop, django_capture_on_commit_callbacks):
    body = order_body()
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, connection, body)
        second = post(client, connection, body)

    assert (first.status_code, second.status_code) == (200, 200)
    assert WebhookEvent.objects.count() == 1
    webhook_process(event_id=WebhookEvent.objects.get().pk)
    webhook_process(event_id=WebhookEvent.objects.get().pk)
    customer = Customer.objects.get(shop=shop)
    assert (customer.orders_count, customer.total_spent) == (1, 1_200_000)


def test_an_order_that_changes_over_time_keeps_the_customer_right(client, connection, shop):
    events = [
        order_body(status="pending", updated="2026-11-20T01:00:00Z"),
        order_body(status="paid", updated="2026-11-20T02:00:00Z"),
        order_body(status="partially_refunded", updated="2026-11-21T02:00:00Z", total_refunded="200000"),
        order_body(status="paid", updated="2026-11-20T03:00:00Z"),  # late and stale: ignored
    ]
    totals = []
    for body in events:
        post(client, connection, body)
        webhook_process(event_id=WebhookEvent.objects.latest("id").pk)
        totals.append(Customer.objects.get(shop=shop).total_spent)
    post(client, connection, order_body(status="refunded", updated="2026-11-22T02:00:00Z",
                                        cancelled_at="2026-11-22T02:00:00Z"), topic="orders/cancelled")  # fmt: skip
    webhook_process(event_id=WebhookEvent.objects.latest("id").pk)

    assert totals == [0, 1_200_000, 1_000_000, 1_000_000]
    customer = Customer.objects.get(shop=shop)
    assert (customer.orders_count, customer.total_spent, customer.first_order_at) == (0, 0, None)


def test_an_order_without_a_phone_stays_unattached_and_says_so(client, connection, shop):
    stamp = "2026-11-20T01:00:00Z"
    payload = {"id": 9, "total_price": "50000", "financial_status": "paid", "phone": "abc", "created_at": stamp}
    body = json.dumps({**payload, "updated_at": stamp}).encode()
    post(client, connection, body)
    webhook_process(event_id=WebhookEvent.objects.get().pk)

    order = Order.objects.get(shop=shop, external_id="9")
    assert (order.customer, order.phone_raw) == (None, "abc")


@pytest.mark.django_db(transaction=True)
def test_the_same_order_sent_concurrently_from_several_threads_is_one_order(connection, shop):
    body = order_body(order_id=42)
    barrier = threading.Barrier(6)
    statuses = []

    def deliver():
        try:
            barrier.wait()
            response = post(Client(), connection, body)
            statuses.append(response.status_code)
            for event in WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED):
                webhook_process(event_id=event.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 6
    assert WebhookEvent.objects.count() == 1
    assert Order.objects.filter(shop=shop, external_id="42").count() == 1
    customer = Customer.objects.get(shop=shop)
    assert (customer.orders_count, customer.total_spent) == (1, 1_200_000)


@pytest.mark.django_db(transaction=True)
def test_different_orders_of_one_customer_at_once_all_count(connection, shop):
    barrier = threading.Barrier(5)

    def deliver(order_id):
        try:
            barrier.wait()
            post(Client(), connection, order_body(order_id=order_id, total="100000"))
            event = WebhookEvent.objects.get(payload__id=order_id)
            webhook_process(event_id=event.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(600 + index,)) for index in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    customer = Customer.objects.get(shop=shop)
    assert (customer.orders_count, customer.total_spent) == (5, 500_000)


def test_a_burst_of_webhooks_is_applied_together_and_a_bad_one_holds_nothing_back(client, connection, shop):
    for order_id in (71, 72, 73):
        post(client, connection, order_body(order_id=order_id, total="100000"))
    # Stored by an older version, say: it cannot be applied (no id).
    bad = WebhookEvent.objects.create(shop=shop, topic="orders/paid", dedupe_key="bad", payload={"total_price": "1"})
    first = WebhookEvent.objects.order_by("pk").first()

    webhook_process(event_id=first.pk)  # the batch fails on the bad event; this one is applied alone
    for event in WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).exclude(pk=bad.pk):
        webhook_process(event_id=event.pk)

    assert Order.objects.filter(shop=shop).count() == 3
    assert Customer.objects.get(shop=shop).total_spent == 300_000
    assert WebhookEvent.objects.get(pk=bad.pk).status == WebhookEvent.Status.RECEIVED


def test_one_task_applies_every_waiting_event_of_the_shop(client, connection, shop):
    for order_id in (81, 82, 83):
        post(client, connection, order_body(order_id=order_id, total="100000"))

    webhook_process(event_id=WebhookEvent.objects.order_by("pk").first().pk)

    assert not WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).exists()
    assert Order.objects.filter(shop=shop).count() == 3


def _processing_that_raises(monkeypatch, *errors):
    """webhook_process raising each of ``errors`` in turn, then working; the calls made."""
    calls = []
    real = services.webhook_process

    def processing(*, event_id, **options):
        calls.append(event_id)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        real(event_id=event_id, **options)

    monkeypatch.setattr(services, "webhook_process", processing)
    return calls


def test_a_non_transient_error_is_recorded_as_failed_and_not_retried(client, connection, shop, monkeypatch):
    post(client, connection, order_body())
    event = WebhookEvent.objects.get()
    calls = _processing_that_raises(monkeypatch, *[ValueError("cannot read this payload")] * 10)

    result = process_webhook.apply(args=[event.pk])

    assert calls == [event.pk]  # tried once: the same error would come every time
    assert result.state == "FAILURE"
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED
    assert "cannot read this payload" in event.error
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "error", [OperationalError("server closed the connection"), HaravanError("Haravan is busy", retryable=True)]
)
def test_a_transient_error_is_retried_and_the_event_applied(client, connection, shop, monkeypatch, error):
    post(client, connection, order_body())
    event = WebhookEvent.objects.get()
    calls = _processing_that_raises(monkeypatch, error)

    result = process_webhook.apply(args=[event.pk])

    assert calls == [event.pk, event.pk] and result.state == "SUCCESS"
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED
    assert Order.objects.filter(shop=shop, external_id="5001").exists()


def test_a_transient_error_is_retried_up_to_the_ceiling(client, connection, monkeypatch):
    post(client, connection, order_body())
    event = WebhookEvent.objects.get()
    calls = _processing_that_raises(monkeypatch, *[OperationalError("deadlock detected")] * 10)

    result = process_webhook.apply(args=[event.pk])

    assert len(calls) == 1 + MAX_RETRIES and result.state == "FAILURE"
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.FAILED
