"""Haravan sync: customers and orders per second from the fake Haravan server, its rate limit
switched off so that the figure is ours (real Haravan allows about 4 requests a second)."""

import os
import time

from django.conf import settings
from django.test.utils import override_settings

from haravan.models import HaravanConnection, SyncJob
from haravan.services import sync_run
from haravan.tests.fake_haravan import FakeHaravan
from loyalty.services import loyalty_defaults_create
from shops.models import Shop

CUSTOMERS = int(os.environ.get("BENCH_SYNC_CUSTOMERS", 5_000))
ORDERS = int(os.environ.get("BENCH_SYNC_ORDERS", 15_000))


def run(report) -> None:
    fake = FakeHaravan().start()
    fake.rate_limit = False
    for index in range(1, CUSTOMERS + 1):
        fake.add_customer(index, first_name="Lan", last_name="Nguyễn", phone=f"09{index:08d}",
                          email=f"lan{index}@example.vn")  # fmt: skip
    for index in range(1, ORDERS + 1):
        owner = index % CUSTOMERS + 1
        buyer = {"id": owner, "first_name": "Lan", "last_name": "Nguyễn", "phone": f"09{owner:08d}"}
        fake.add_order(index, total_price="450000.0", customer=buyer)
    shop = Shop.objects.create(name="Bench sync")
    loyalty_defaults_create(shop=shop)
    HaravanConnection.objects.create(shop=shop, access_token=fake.token)
    try:
        with override_settings(HARAVAN_API_URL=fake.url, HARAVAN_PAGE_SIZE=settings.HARAVAN_PAGE_SIZE):
            job = SyncJob.objects.create(shop=shop, kind=SyncJob.Kind.FULL)
            started = time.perf_counter()
            sync_run(job_id=job.pk)
            elapsed = time.perf_counter() - started
    finally:
        fake.stop()
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE, job.error
    print(f"  {job.customers_done:,} customers and {job.orders_done:,} orders in {elapsed:.1f} s, "
          f"{len(fake.requests):,} requests of {settings.HARAVAN_PAGE_SIZE} items")  # fmt: skip
    report("sync, customers and orders together", (job.customers_done + job.orders_done) / elapsed, "items/s")
    real_limit = 4 * settings.HARAVAN_PAGE_SIZE
    report("  what Haravan's 4 requests/s would allow", real_limit, "items/s")
