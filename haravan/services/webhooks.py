"""Haravan's webhooks: verified and stored once by the request, applied by a worker.

The same delivery twice (or twice at once) inserts one row: the second insert meets the
unique constraint. A worker applies a shop's waiting events together, set-based; processing
is idempotent, so an event handed over twice (a retry, the sweep) is harmless.
"""

import base64
import datetime
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Protocol

from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.utils import timezone

from haravan.mapping import customer_data, order_data, topic_kind
from haravan.models import HaravanConnection, WebhookEvent
from loyalty.orders import orders_record
from members.services import customers_upsert
from shops.models import Shop

logger = logging.getLogger(__name__)


class OrdersRecorded(Protocol):
    """What the caller above does with the orders a batch (of webhooks, or a sync's page)
    recorded, in the same transaction: the tasks pass ``campaigns.usage.code_uses_record``.
    Haravan cannot import campaigns, which makes its codes through Haravan."""

    def __call__(self, *, shop: Shop, order_ids: list[int]) -> object: ...


@dataclass(frozen=True)
class WebhookOutcome:
    status: int
    event_id: int | None = None
    note: str = ""


def webhook_signature_valid(*, secret: str, body: bytes, signature: str) -> bool:
    if not secret or not signature:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature.strip())


def webhook_receive(
    *, connection: HaravanConnection, topic: str, org_id: str, signature: str, body: bytes
) -> WebhookOutcome:
    """Verify, store once, and leave the work to a worker. The same delivery twice (or
    twice at once) inserts one row: the second insert meets the unique constraint."""
    from haravan.tasks import process_webhook

    if not webhook_signature_valid(secret=connection.client_secret, body=body, signature=signature):
        logger.warning("Haravan webhook for shop %s rejected: bad signature (topic %r)", connection.shop_id, topic)
        return WebhookOutcome(status=401, note="bad signature")
    if connection.org_id and org_id and org_id != connection.org_id:
        logger.warning(
            "Haravan webhook for shop %s rejected: org %r is not %r", connection.shop_id, org_id, connection.org_id
        )
        return WebhookOutcome(status=401, note="wrong store")
    if topic_kind(topic) is None:
        logger.info("Haravan webhook for shop %s ignored: unknown topic %r", connection.shop_id, topic)
        return WebhookOutcome(status=200, note="ignored topic")
    try:
        payload = json.loads(body)
    except ValueError:
        logger.warning("Haravan webhook for shop %s rejected: body is not JSON", connection.shop_id)
        return WebhookOutcome(status=400, note="not JSON")
    if not isinstance(payload, dict) or "id" not in payload:
        return WebhookOutcome(status=400, note="no id")
    key = hashlib.sha256(topic.encode() + b"\n" + body).hexdigest()
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                shop_id=connection.shop_id, topic=topic, dedupe_key=key, payload=payload
            )
            transaction.on_commit(lambda: process_webhook.delay(event.pk))
    except IntegrityError:
        return WebhookOutcome(status=200, note="duplicate")
    return WebhookOutcome(status=200, event_id=event.pk)


WEBHOOK_BATCH = 200


def webhook_process(*, event_id: int, orders_recorded: OrdersRecorded | None = None) -> None:
    """Apply a stored event, together with the shop's other waiting events (up to
    WEBHOOK_BATCH, oldest first) in one set-based pass: a burst of webhooks costs a few
    queries per page, not per event. Rows another worker is applying are skipped; a processed
    event is left alone. If the batch fails, this event is applied alone, so one bad event
    cannot hold the others back. ``orders_recorded`` is told the orders each batch
    recorded, in its transaction."""
    # Most calls find their event applied already by an earlier batch. That check is most of
    # a worker's time per webhook, so it reads two columns in plain SQL (no payload, no shop,
    # no ORM query to build): a third of what the ORM's lookup costs.
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT shop_id, status FROM {WebhookEvent._meta.db_table} WHERE id = %s", [event_id])
        found = cursor.fetchone()
    if found is None or found[1] == WebhookEvent.Status.PROCESSED:
        return
    shop = Shop.objects.get(pk=found[0])
    try:
        with transaction.atomic():
            # The oldest waiting events, read off the (status, received_at) index: a batch
            # costs the same however long the queue behind it (sorting every waiting event
            # by id took longer the longer the queue).
            waiting = list(
                WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(status=WebhookEvent.Status.RECEIVED, shop_id=shop.pk)
                .order_by("received_at", "pk")[:WEBHOOK_BATCH]
            )
            if all(event.pk != event_id for event in waiting):  # e.g. a failed event, retried
                waiting += (
                    WebhookEvent.objects.select_for_update(skip_locked=True)
                    .filter(pk=event_id)
                    .exclude(status=WebhookEvent.Status.PROCESSED)
                )
            _apply_events(shop, sorted(waiting, key=lambda event: event.pk), orders_recorded)
    except Exception:
        logger.exception("Haravan webhook batch for shop %s failed; applying event %s alone", shop.pk, event_id)
        with transaction.atomic():
            alone = (
                WebhookEvent.objects.select_for_update()
                .filter(pk=event_id)
                .exclude(status=WebhookEvent.Status.PROCESSED)
            )
            _apply_events(shop, list(alone), orders_recorded)


def _apply_events(shop: Shop, events: list[WebhookEvent], orders_recorded: OrdersRecorded | None) -> None:
    if not events:
        return
    customers = [customer_data(e.payload) for e in events if topic_kind(e.topic) == "customer"]
    customers_upsert(shop=shop, items=[data for data in customers if data is not None])
    results = orders_record(shop=shop, items=[order_data(e.payload) for e in events if topic_kind(e.topic) == "order"])
    if results and orders_recorded is not None:
        orders_recorded(shop=shop, order_ids=sorted({result.order_id for result in results}))
    WebhookEvent.objects.filter(pk__in=[e.pk for e in events]).update(
        status=WebhookEvent.Status.PROCESSED, processed_at=timezone.now(), error=""
    )


def webhook_fail(*, event_id: int, error: str) -> None:
    WebhookEvent.objects.filter(pk=event_id).exclude(status=WebhookEvent.Status.PROCESSED).update(
        status=WebhookEvent.Status.FAILED, error=error[:2000]
    )


def webhook_sweep(*, older_than: datetime.timedelta = datetime.timedelta(minutes=5)) -> int:
    """Hand again to the workers any event still waiting: its task was lost (a broker
    restart) or failed. Processing is idempotent, so a second run is harmless."""
    from haravan.tasks import process_webhook

    stale = WebhookEvent.objects.filter(
        status__in=[WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED],
        received_at__lt=timezone.now() - older_than,
    ).values_list("pk", flat=True)[:5000]
    count = 0
    for event_id in stale:
        process_webhook.delay(event_id)
        count += 1
    return count
