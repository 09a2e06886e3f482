"""The Haravan connection: settings, connection check, syncs and webhooks."""

import base64
import datetime
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from haravan.client import HaravanClient, HaravanError
from haravan.mapping import customer_data, order_data, topic_kind
from haravan.models import HaravanConnection, SyncJob, WebhookEvent
from loyalty.orders import orders_record
from members.services import customers_upsert
from shops.activity import activity_record, changed_values
from shops.models import ActivityKind, Shop, User

logger = logging.getLogger(__name__)


def connection_for(shop: Shop) -> HaravanConnection:
    connection, _created = HaravanConnection.objects.get_or_create(shop=shop)
    return connection


def client_for(connection: HaravanConnection) -> HaravanClient:
    return HaravanClient(token=connection.access_token)


# Settings ----------------------------------------------------------------------------------


def connection_update(
    *,
    shop: Shop,
    actor: User,
    ip: str | None,
    store_name: str,
    client_id: str,
    access_token: str = "",
    client_secret: str = "",
) -> bool:
    """Save the connection. An empty token or secret keeps the saved one: they are never
    shown back, so the form cannot send them again."""
    with transaction.atomic():
        connection = HaravanConnection.objects.select_for_update().get(pk=connection_for(shop).pk)
        before_all = _values(connection)
        connection.store_name, connection.client_id = store_name, client_id
        if access_token:
            connection.access_token = access_token
        if client_secret:
            connection.client_secret = client_secret
        before, after = changed_values(before_all, _values(connection))
        if not after:
            return False
        if "access_token" in after:
            connection.check_status, connection.check_message = HaravanConnection.Check.NEVER, ""
        connection.save()
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.HARAVAN_SETTINGS_CHANGED,
            target=connection,
            target_label="Haravan",
            summary=_("Haravan connection changed: %(fields)s.") % {"fields": ", ".join(after)},
            before=before,
            after=after,
            ip=ip,
        )
    return True


def _values(connection: HaravanConnection) -> dict[str, Any]:
    # Secrets enter the log only as "changed"; the log masks them by name.
    return {
        "store_name": connection.store_name,
        "client_id": connection.client_id,
        "access_token": _fingerprint(connection.access_token),
        "client_secret": _fingerprint(connection.client_secret),
    }


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest() if secret else ""


def connection_check_request(*, shop: Shop) -> None:
    from haravan.tasks import check_connection

    connection = connection_for(shop)
    HaravanConnection.objects.filter(pk=connection.pk).update(check_status=HaravanConnection.Check.PENDING)
    transaction.on_commit(lambda: check_connection.delay(connection.pk))


def connection_check(*, connection_id: int) -> None:
    """Ask Haravan for the store behind the token and record the plain answer."""
    connection = HaravanConnection.objects.get(pk=connection_id)
    try:
        client = client_for(connection)
        try:
            store = client.shop()
        finally:
            client.close()
    except HaravanError as error:
        status, message = HaravanConnection.Check.FAILED, error.message
        org_id = connection.org_id
    else:
        status = HaravanConnection.Check.OK
        name = store.get("name") or store.get("domain") or ""
        message = _("Connected to the Haravan store %(name)s.") % {"name": name}
        org_id = str(store.get("id") or connection.org_id)
    HaravanConnection.objects.filter(pk=connection_id).update(
        check_status=status, check_message=message, checked_at=timezone.now(), org_id=org_id
    )


# Syncs -------------------------------------------------------------------------------------


class SyncError(ValueError):
    pass


def sync_start(*, shop: Shop, kind: str, actor: User | None = None, ip: str | None = None) -> SyncJob:
    """Start a sync, or return the one already under way (one per shop, a constraint)."""
    from haravan.tasks import run_sync

    connection = connection_for(shop)
    if not connection.access_token:
        raise SyncError(_("Save a Haravan access token first."))
    updated_since = None
    if kind == SyncJob.Kind.INCREMENTAL:
        if connection.synced_until is None:
            raise SyncError(_("Run the first sync before incremental ones."))
        updated_since = connection.synced_until - datetime.timedelta(minutes=settings.HARAVAN_SYNC_OVERLAP_MINUTES)
    try:
        with transaction.atomic():
            job = SyncJob.objects.create(shop=shop, kind=kind, updated_since=updated_since)
            if actor is not None:
                activity_record(
                    shop=shop,
                    actor=actor,
                    kind=ActivityKind.HARAVAN_SYNC_STARTED,
                    target=job,
                    target_label="Haravan",
                    summary=_("Haravan sync started (%(kind)s).") % {"kind": job.get_kind_display()},
                    ip=ip,
                )
            transaction.on_commit(lambda: run_sync.delay(job.pk))
    except IntegrityError:
        return SyncJob.objects.for_shop(shop).get(status__in=[SyncJob.Status.PENDING, SyncJob.Status.RUNNING])
    return job


def sync_resume(*, shop: Shop, job_id: int, actor: User, ip: str | None) -> SyncJob:
    """Continue a failed sync from its saved cursors."""
    from haravan.tasks import run_sync

    with transaction.atomic():
        job = SyncJob.objects.for_shop(shop).select_for_update().get(pk=job_id)
        if job.status != SyncJob.Status.FAILED:
            return job
        try:
            with transaction.atomic():
                SyncJob.objects.filter(pk=job.pk).update(status=SyncJob.Status.PENDING, error="")
        except IntegrityError as error:
            raise SyncError(_("Another sync is under way; wait for it to finish.")) from error
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.HARAVAN_SYNC_STARTED,
            target=job,
            target_label="Haravan",
            summary=_("Haravan sync resumed."),
            ip=ip,
        )
        transaction.on_commit(lambda: run_sync.delay(job.pk))
    job.refresh_from_db()
    return job


def sync_run(*, job_id: int) -> None:
    """Fetch page after page; each page and its cursor commit together, so a repeat or a
    resume never writes anything twice."""
    claimed = SyncJob.objects.filter(pk=job_id, status__in=[SyncJob.Status.PENDING, SyncJob.Status.RUNNING]).update(
        status=SyncJob.Status.RUNNING
    )
    if not claimed:
        return
    job = SyncJob.objects.select_related("shop").get(pk=job_id)
    if job.started_at is None:
        job.started_at = timezone.now()
        SyncJob.objects.filter(pk=job_id).update(started_at=job.started_at)
    connection = connection_for(job.shop)
    since = job.updated_since.isoformat() if job.updated_since else None
    try:
        client = client_for(connection)
        try:
            if job.phase == SyncJob.Phase.CUSTOMERS:
                if job.customers_total is None:
                    job.customers_total = client.count("customers", updated_at_min=since)
                    SyncJob.objects.filter(pk=job_id).update(customers_total=job.customers_total)
                for page in client.pages("customers", since_id=job.customers_cursor, updated_at_min=since):
                    _sync_customers_page(job, page)
                SyncJob.objects.filter(pk=job_id).update(phase=SyncJob.Phase.ORDERS)
                job.phase = SyncJob.Phase.ORDERS
            if job.phase == SyncJob.Phase.ORDERS:
                if job.orders_total is None:
                    job.orders_total = client.count("orders", updated_at_min=since)
                    SyncJob.objects.filter(pk=job_id).update(orders_total=job.orders_total)
                for page in client.pages("orders", since_id=job.orders_cursor, updated_at_min=since):
                    _sync_orders_page(job, page)
        finally:
            client.close()
    except HaravanError as error:
        SyncJob.objects.filter(pk=job_id).update(
            status=SyncJob.Status.FAILED, error=error.message, finished_at=timezone.now()
        )
        return
    with transaction.atomic():
        SyncJob.objects.filter(pk=job_id).update(
            status=SyncJob.Status.DONE, phase=SyncJob.Phase.DONE, finished_at=timezone.now()
        )
        # What changed before this job began is in; the next incremental starts from here.
        HaravanConnection.objects.filter(pk=connection.pk).update(synced_until=job.started_at)


def _sync_customers_page(job: SyncJob, page: list[dict[str, Any]]) -> None:
    with transaction.atomic():
        items = [data for data in map(customer_data, page) if data is not None]
        skipped = len(page) - len(items)
        customers_upsert(shop=job.shop, items=items)
        job.customers_cursor = max(int(item["id"]) for item in page)
        SyncJob.objects.filter(pk=job.pk).update(
            customers_cursor=job.customers_cursor,
            customers_done=F("customers_done") + len(page),
            customers_skipped=F("customers_skipped") + skipped,
        )


def _sync_orders_page(job: SyncJob, page: list[dict[str, Any]]) -> None:
    with transaction.atomic():
        items = [order_data(payload) for payload in page]
        unattached = sum(1 for data in items if data.customer is None)
        orders_record(shop=job.shop, items=items)
        job.orders_cursor = max(int(item["id"]) for item in page)
        SyncJob.objects.filter(pk=job.pk).update(
            orders_cursor=job.orders_cursor,
            orders_done=F("orders_done") + len(page),
            orders_unattached=F("orders_unattached") + unattached,
        )


def incremental_sync_all() -> int:
    """Beat's schedule: an incremental sync for every shop whose first sync is done. It
    also picks up the orders whose webhooks never came."""
    started = 0
    connections = HaravanConnection.objects.filter(synced_until__isnull=False).exclude(access_token="")
    for connection in connections.select_related("shop"):
        job = sync_start(shop=connection.shop, kind=SyncJob.Kind.INCREMENTAL)
        started += job.kind == SyncJob.Kind.INCREMENTAL and job.status == SyncJob.Status.PENDING
    return started


# Webhooks ----------------------------------------------------------------------------------


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


def webhook_process(*, event_id: int) -> None:
    """Apply a stored event, together with the shop's other waiting events (up to
    WEBHOOK_BATCH, oldest first) in one set-based pass: a burst of webhooks costs a few
    queries per page, not per event. Rows another worker is applying are skipped; a processed
    event is left alone. If the batch fails, this event is applied alone, so one bad event
    cannot hold the others back."""
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
            _apply_events(shop, sorted(waiting, key=lambda event: event.pk))
    except Exception:
        logger.exception("Haravan webhook batch for shop %s failed; applying event %s alone", shop.pk, event_id)
        with transaction.atomic():
            alone = (
                WebhookEvent.objects.select_for_update()
                .filter(pk=event_id)
                .exclude(status=WebhookEvent.Status.PROCESSED)
            )
            _apply_events(shop, list(alone))


def _apply_events(shop: Shop, events: list[WebhookEvent]) -> None:
    if not events:
        return
    customers = [customer_data(e.payload) for e in events if topic_kind(e.topic) == "customer"]
    customers_upsert(shop=shop, items=[data for data in customers if data is not None])
    orders_record(shop=shop, items=[order_data(e.payload) for e in events if topic_kind(e.topic) == "order"])
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
