"""Demo data: customers and orders written per second, against one save() per row.

The later benchmarks need a million customers; this says how long that takes to build.
"""

import os
import time

from demo.data import DemoGenerator, demo_fill
from loyalty.services import loyalty_defaults_create
from members.models import Customer
from shops.models import Shop

CUSTOMERS = int(os.environ.get("BENCH_DEMO_CUSTOMERS", 50_000))
BASELINE_ROWS = 2_000


def run(report) -> None:
    from django.utils import timezone

    shop = Shop.objects.create(name="Bench demo")
    loyalty_defaults_create(shop=shop)
    generator = DemoGenerator(shop=shop, seed=3, now=timezone.now())
    started = time.perf_counter()
    for index in range(BASELINE_ROWS):
        generator.customer(10_000_000 + index).save()
    baseline = BASELINE_ROWS / (time.perf_counter() - started)
    report("baseline: one save() per row", baseline, "rows/s")
    Customer.objects.filter(shop=shop).delete()

    started = time.perf_counter()
    result = demo_fill(shop=shop, customers=CUSTOMERS, orders_per_customer=5)
    elapsed = time.perf_counter() - started
    report(
        f"demo_fill: {result.customers:,} customers and {result.orders:,} orders",
        (result.customers + result.orders) / elapsed,
        "rows/s",
        baseline=baseline,
        baseline_name="save() per row",
    )
    report("  customers (with their orders)", result.customers / elapsed, "customers/s")
