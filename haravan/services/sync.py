"""Syncs with Haravan: a first sync of every customer and order, then incremental ones.

A job fetches page after page; each page and its cursor commit together, so a repeat or a
resume never writes anything twice. One sync runs per shop at a time (a constraint).
"""

import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from haravan.client import HaravanError
from haravan.mapping import customer_data, order_data
from haravan.models import HaravanConnection, SyncJob
from haravan.selectors import connection_read
from haravan.services.connection import client_for, connection_for
from haravan.services.webhooks import OrdersRecorded
from loyalty.orders import orders_record
from members.services import customers_upsert
from shops.activity import activity_record
from shops.models import ActivityKind, Shop, User


class SyncError(ValueError):
    pass


def sync_start(*, shop: Shop, kind: str, actor: User | None = None, ip: str | None = None) -> SyncJob:
    """Start a sync, or return the one already under way (one per shop, a constraint)."""
    from haravan.tasks import run_sync

    connection = connection_read(shop)
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


def sync_run(*, job_id: int, orders_recorded: OrdersRecorded | None = None) -> None:
    """Fetch page after page; each page and its cursor commit together, so a repeat or a
    resume never writes anything twice. ``orders_recorded`` is told each page's orders, in
    the page's transaction."""
    claimed = SyncJob.objects.filter(pk=job_id, status__in=[SyncJob.Status.PENDING, SyncJob.Status.RUNNING]).update(
        status=SyncJob.Status.RUNNING
    )
    if not claimed:
        return
    job = SyncJob.objects.select_related("shop").get(pk=job_id)
    if job.started_at is None:
        job.started_at = timezone.now()
        SyncJob.objects.filter(pk=job_id).update(started_at=job.started_at)
    connection = connection_for(job.shop)  # it writes how far the sync got
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
                    _sync_orders_page(job, page, orders_recorded)
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


def _sync_orders_page(job: SyncJob, page: list[dict[str, Any]], orders_recorded: OrdersRecorded | None) -> None:
    with transaction.atomic():
        items = [order_data(payload) for payload in page]
        unattached = sum(1 for data in items if data.customer is None)
        results = orders_record(shop=job.shop, items=items)
        if results and orders_recorded is not None:
            orders_recorded(shop=job.shop, order_ids=sorted({result.order_id for result in results}))
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
