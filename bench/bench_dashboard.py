"""The overview at a million customers and five million orders: the server time of the
whole page for each window, and its number of queries (which must not grow with the
window). Also the first refresh (every past day computed from the orders) and a refresh
after a change to a past day.

BENCH_DASHBOARD_CUSTOMERS (default 1,000,000) with 5 orders each; built once (kept with
BENCH_KEEPDB=1). Aim: each window under 100 ms.
"""

import datetime
import os
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.changes import days_changed
from dashboard.models import DashboardState
from dashboard.services import dashboard_refresh
from members.demo import demo_fill
from members.models import Customer, Order
from shops.models import Shop, User

COUNT = int(os.environ.get("BENCH_DASHBOARD_CUSTOMERS", 1_000_000))
ORDERS_PER_CUSTOMER = 5.0
RUNS = 7


def _shop(report) -> Shop:
    name = f"Bench dashboard {COUNT}"
    shop = Shop.objects.filter(name=name).first()
    if shop is None or Customer.objects.filter(shop=shop).count() != COUNT:
        shop = Shop.objects.create(name=name)
        User.objects.create_user(username=f"bench-dashboard-{shop.pk}", password="x", shop=shop)
        started = time.perf_counter()
        demo_fill(shop=shop, customers=COUNT, orders_per_customer=ORDERS_PER_CUSTOMER, batch_size=10_000)
        report(f"demo data: {COUNT:,} customers and their orders written", time.perf_counter() - started, "s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE members_customer")
                cursor.execute("VACUUM ANALYZE members_order")
    return shop


def _timed(client: Client, params: dict) -> tuple[float, int]:
    times = []
    for _run in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/overview/", params)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(times) * 1000, len(queries)


def run(report) -> None:
    shop = _shop(report)
    orders = Order.objects.filter(shop=shop).count()
    DashboardState.objects.filter(shop=shop).update(complete_before=None)
    started = time.perf_counter()
    days = dashboard_refresh(shop=shop)
    report(f"first refresh: {days:,} days from {orders:,} orders", time.perf_counter() - started, "s")

    # A cancelled order from 20 days ago: its day is marked and the next refresh redoes it.
    order = Order.objects.filter(shop=shop, cancelled_at__isnull=True).order_by("-created_at")[5_000]
    days_changed(shop=shop, moments=[order.created_at])
    started = time.perf_counter()
    dashboard_refresh(shop=shop)
    report("refresh after one past day changed", (time.perf_counter() - started) * 1000, "ms")

    client = Client()
    client.force_login(User.objects.get(shop=shop))
    today = timezone.localdate(timezone.now(), shop.tzinfo)
    year_ago = (today - datetime.timedelta(days=364)).isoformat()
    windows = [("today", {"window": "today"}), ("last 7 days", {"window": "7"}),
               ("last 30 days", {"window": "30"}), ("last 90 days", {"window": "90"}),
               ("a chosen range of 365 days", {"window": "range", "start": year_ago, "end": str(today)})]  # fmt: skip
    for label, params in windows:
        milliseconds, queries = _timed(client, params)
        report(f"overview page, {label} ({queries} queries)", milliseconds, "ms", baseline=100,
               baseline_name="the aim")  # fmt: skip
