"""The issue's whole story through the real path: the owner connects a (fake) Haravan store
on its page, starts the first sync, a worker process fetches customers and orders over HTTP;
later orders arrive by webhook, through the broker, exactly once."""

import os

import pytest
from django.test import Client

from conftest import wait_for
from haravan.models import HaravanConnection, SyncJob
from haravan.tests.conftest import SECRET
from haravan.tests.fake_haravan import FakeHaravan
from haravan.tests.test_webhooks import order_body, post
from members.models import Customer, Order

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def store():
    fake = FakeHaravan().start()
    previous = os.environ.get("HARAVAN_API_URL")
    os.environ["HARAVAN_API_URL"] = fake.url  # read by the worker process at start
    yield fake
    fake.stop()
    if previous is None:
        os.environ.pop("HARAVAN_API_URL")
    else:
        os.environ["HARAVAN_API_URL"] = previous


@pytest.fixture(scope="module")
def worker(store, celery_worker_process):
    return celery_worker_process


def test_connect_sync_then_webhooks_exactly_once(worker, store, owner_client, shop, settings):
    settings.HARAVAN_API_URL = store.url
    store.add_customer(1, first_name="Lan", last_name="Nguyễn", phone="0912 345 678")
    store.add_order(11, total_price="800000.0", customer={"id": 1, "phone": "0912345678"})
    store.add_order(12, total_price="200000.0", customer={"id": 1, "phone": "+84 912 345 678"})

    owner_client.post("/settings/haravan/", {"store_name": "Hoa Mai", "access_token": store.token,
                                             "client_secret": SECRET})  # fmt: skip
    owner_client.post("/settings/haravan/check/")
    response = owner_client.post("/settings/haravan/sync/")

    job = SyncJob.objects.get(shop=shop)
    assert response["Location"] == f"/settings/haravan/sync/{job.pk}/"
    wait_for(lambda: SyncJob.objects.filter(pk=job.pk, status=SyncJob.Status.DONE).exists())
    page = owner_client.get(f"/settings/haravan/sync/{job.pk}/").content.decode()
    assert "Đồng bộ đã hoàn tất" in page and "100 %" in page
    wait_for(lambda: HaravanConnection.objects.filter(shop=shop, check_status="ok").exists())
    customer = Customer.objects.get(shop=shop)
    assert (customer.phone, customer.orders_count, customer.total_spent) == ("+84912345678", 2, 1_000_000)

    connection = HaravanConnection.objects.get(shop=shop)
    body = order_body(order_id=13, total="500000")
    post(Client(), connection, body)
    post(Client(), connection, body)  # Haravan retries: the same delivery again

    wait_for(lambda: Order.objects.filter(shop=shop, external_id="13").exists())
    wait_for(lambda: Customer.objects.get(shop=shop).orders_count == 3)
    customer.refresh_from_db()
    assert (customer.orders_count, customer.total_spent) == (3, 1_500_000)
    assert Order.objects.filter(shop=shop).count() == 3
