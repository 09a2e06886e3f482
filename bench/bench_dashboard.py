"""The overview at a million customers and five million orders: the server time of the
whole page for each window, and its number of queries (which must not grow with the
window). Also the first refresh (every past day computed from the orders) and a refresh
after a change to a past day.

The member benchmark's customers (BENCH_MEMBERS, default 1,000,000) with 5 orders each;
built once (kept with BENCH_KEEPDB=1). Aim: each window under 100 ms.
"""

import datetime
import os
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.bench_members import ensure_customers
from dashboard.changes import days_changed
from dashboard.models import DashboardState
from dashboard.services import dashboard_refresh
from loyalty.models import PointEntry, Tier
from loyalty.services import loyalty_defaults_create
from members.models import Customer, Order
from shops.models import Shop, User

COUNT = int(os.environ.get("BENCH_MEMBERS", 1_000_000))
ORDERS_PER_CUSTOMER = 5.0
RUNS = 7


def _shop(report) -> Shop:
    """A shop with the member benchmark's customers (copied, tiers mapped by name) and 5
    orders each over the last two years, 5 % of them cancelled later, with the ledger lines
    members' orders earn. Written in SQL: the demo generator's pace (~10,000 rows/s) would
    take ten minutes for this."""
    name = f"Bench dashboard {COUNT}"
    shop = Shop.objects.filter(name=name).order_by("-pk").first()  # an interrupted build left an older one
    if shop is not None and Customer.objects.filter(shop=shop).count() == COUNT:
        return shop
    source = ensure_customers(report)
    shop = Shop.objects.create(name=name)
    loyalty_defaults_create(shop=shop)
    User.objects.create_user(username=f"bench-dashboard-{shop.pk}", password="x", shop=shop)
    loyalty_defaults_create(shop=shop)
    started = time.perf_counter()
    customer, order, entry, tier = (m._meta.db_table for m in (Customer, Order, PointEntry, Tier))
    copied = [f.column for f in Customer._meta.concrete_fields if f.column not in ("id", "shop_id", "tier_id")]
    columns = ", ".join(copied)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {customer} (shop_id, tier_id, {columns}) "
            f"SELECT %s, (SELECT t2.id FROM {tier} t1 JOIN {tier} t2 ON t2.name = t1.name AND t2.shop_id = %s "
            f"WHERE t1.id = c.tier_id), {', '.join('c.' + column for column in copied)} "
            f"FROM {customer} c WHERE c.shop_id = %s",
            [shop.pk, shop.pk, source.pk],
        )
        cursor.execute(
            f"INSERT INTO {order} (shop_id, source, external_id, number, customer_id, phone_raw, total, paid_amount, "
            "financial_status, refunded_amount, discount_codes, created_at, paid_at, cancelled_at, "
            "source_updated_at, updated_at) "
            "SELECT %s, 'demo', id || '-' || n, '#' || id || '-' || n, id, '', amount, amount, 'paid', 0, '[]', "
            "placed, placed, CASE WHEN cancel < 0.05 THEN placed + interval '1 day' END, placed, now() "
            f"FROM (SELECT c.id, n, now() - random() * interval '730 days' AS placed, "
            "(100000 + floor(random() * 40) * 50000)::bigint AS amount, random() AS cancel "
            f"FROM {customer} c, generate_series(1, %s) n WHERE c.shop_id = %s) generated",
            [shop.pk, int(ORDERS_PER_CUSTOMER), shop.pk],
        )
        cursor.execute(
            f"UPDATE {customer} c SET first_order_at = o.first, last_order_at = o.last, orders_count = o.n, "
            "total_spent = o.spent FROM (SELECT customer_id, MIN(created_at) AS first, MAX(created_at) AS last, "
            f"COUNT(*) AS n, SUM(paid_amount) AS spent FROM {order} WHERE shop_id = %s AND cancelled_at IS NULL "
            "GROUP BY customer_id) o WHERE c.id = o.customer_id",
            [shop.pk],
        )
        cursor.execute(
            f"INSERT INTO {entry} (shop_id, customer_id, kind, points, source, source_id, key, reason, created_at) "
            "SELECT o.shop_id, o.customer_id, 'earn', o.paid_amount / 10000, 'order', o.id::text, 'v1', "
            f"'Order ' || o.number, o.created_at FROM {order} o JOIN {customer} c ON c.id = o.customer_id "
            "WHERE o.shop_id = %s AND o.cancelled_at IS NULL AND o.created_at >= c.member_since",
            [shop.pk],
        )
        for table in (customer, order, entry):
            cursor.execute(f"VACUUM ANALYZE {table}")
    report(f"data: {COUNT:,} customers, {COUNT * ORDERS_PER_CUSTOMER:,.0f} orders written in SQL",
           time.perf_counter() - started, "s")  # fmt: skip
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
