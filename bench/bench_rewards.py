"""Rewards and the member's own page: the page, redeeming, and wrong sign-in codes in a burst.

PostgreSQL only. The shop (BENCH_REWARDS_CUSTOMERS customers, default 200,000, every one
with orders; 9 in 10 members) is written set-based (INSERT ... SELECT generate_series) and
kept with BENCH_KEEPDB=1. Points lapse 24 months after they are earned and tiers rank the
last 12 months' spend (the member page's heavier reads). Most customers have 3 orders and
their earning lines; HEAVY of them, spread over the table, are realistic members: 100
orders, about 200 ledger lines (earning, staff adjustments, 10 redemptions and 2 returns)
and 10 redemptions from a catalogue of 8 rewards. Each run first deletes what the run
before added (its redemptions and their ledger lines, sign-in codes and their messages,
sessions).

Worker tasks are not timed: ``rewards.tasks.make_redemption_code`` and
``messaging.tasks.send_messages`` are replaced by mocks for the whole benchmark, so a
redemption's on-commit enqueue (and a sign-in code's SMS) reaches no broker; the bench
counts the enqueues instead. The sign-in code's own task (``portal.tasks.deliver_sign_in_code``)
runs at once in the request, so asking for a code is timed with its delivery to the outbox.
What is timed, with the aims:
- the member page: a signed-in member's GET /m/<slug>/ (django.test.Client), median and
  p95 of BENCH_REWARDS_PAGE_REQUESTS (50): under 100 ms; its queries per request;
- ``redemption_create`` by BENCH_REWARDS_REDEMPTIONS (200) different members: median and
  p95 under 200 ms; and the staff view POST /members/<pk>/redeem/ end to end
  (BENCH_REWARDS_STAFF_REDEMPTIONS, 100, different members);
- BENCH_REWARDS_BURST (1,000) wrong codes against one phone through the real views: from
  one client (one code asked, then every wrong code), from as many fresh clients, each from
  its own address (each asks for a code, then types a wrong one), and the same fresh
  clients 8 at a time in threads. Asserted: every attempt refused, at most 5 tries counted
  against a code, at most 3 codes issued for the phone, nobody signed in (no activity line
  MEMBER_SIGNED_IN for the member, no session holding them). The threaded burst runs last:
  its failure (the per-phone limit is counted, then written, with no lock between, so
  clients at once each get a code) stops the benchmark after every figure is printed.
"""

import os
import re
import statistics
import threading
import time
import uuid
from unittest import mock

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from haravan.models import HaravanConnection
from loyalty.models import EarningSettings, PointEntry, Tier, TierSettings
from loyalty.services import customers_refresh_points, loyalty_defaults_create
from members.models import Customer, Order
from messaging.models import Message
from portal.models import SignInCode
from portal.services import SOURCE_PREFIX
from portal.views import PENDING, SIGNED_IN
from rewards.models import Redemption, Reward
from rewards.services import redemption_create
from shops.models import ActivityEntry, ActivityKind, Shop, User

COUNT = int(os.environ.get("BENCH_REWARDS_CUSTOMERS", 200_000))
PAGE_REQUESTS = int(os.environ.get("BENCH_REWARDS_PAGE_REQUESTS", 50))
REDEMPTIONS = int(os.environ.get("BENCH_REWARDS_REDEMPTIONS", 200))
STAFF_REDEMPTIONS = int(os.environ.get("BENCH_REWARDS_STAFF_REDEMPTIONS", 100))
BURST = int(os.environ.get("BENCH_REWARDS_BURST", 1_000))
THREADS = 8
# The realistic members: the page's, the redeeming ones (for the service and the view each, a
# warm-up and one whose queries are counted), and the three whose phones the bursts aim at.
HEAVY = max(320, 1 + (2 + REDEMPTIONS) + (2 + STAFF_REDEMPTIONS) + 3)
EVERY = COUNT // HEAVY
HEAVY_ORDERS = 100
HEAVY_ADJUSTMENTS = 98
HEAVY_REDEMPTIONS = 10
SLUG = "bench-rewards"
RUN_KEY = "bench-run-"  # the request keys of this benchmark's redemptions (deleted at the next run)
AIM_PAGE_MS = 100.0
AIM_REDEEM_MS = 200.0
IP = "203.0.113.7"
# (name, kind, value, points, minimum order, valid days, tier index or None, limit per member)
REWARDS = [
    ("Miễn phí vận chuyển", "shipping", 0, 60, 0, 30, None, None),
    ("Giảm 50.000 ₫", "fixed_amount", 50_000, 100, 300_000, 30, None, None),
    ("Giảm 100.000 ₫", "fixed_amount", 100_000, 200, 500_000, 30, None, None),
    ("Giảm 10 %", "percentage", 10, 250, 0, 14, None, 2),
    ("Giảm 15 % cho hạng Bạc", "percentage", 15, 300, 0, 14, 1, None),
    ("Giảm 200.000 ₫ cho hạng Vàng", "fixed_amount", 200_000, 400, 1_000_000, 30, 2, 1),
    ("Giảm 500.000 ₫", "fixed_amount", 500_000, 1_000, 2_000_000, 30, None, None),
    ("Quà hạng Kim cương", "fixed_amount", 300_000, 600, 0, 60, 3, 1),
]
BENCH_REWARD = "Giảm 50.000 ₫"  # no tier, no limit: what every redeeming member can have


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _phone(n: int) -> str:
    return f"+849{n:08d}"


def _national(phone: str) -> str:
    return "0" + phone[3:]


def _ms(timings: list[float]) -> tuple[float, float]:
    """(median, p95) in ms of timings in seconds."""
    ordered = sorted(timings)
    p95 = statistics.quantiles(ordered, n=100, method="inclusive")[94] if len(ordered) > 1 else ordered[0]
    return statistics.median(ordered) * 1000, p95 * 1000


def _queries(action) -> list[tuple[float, str]]:
    """(seconds, SQL) of each query ``action()`` runs."""
    queries: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - started, sql))

    with connection.execute_wrapper(timed):
        action()
    return queries


def _print_queries(what: str, queries: list[tuple[float, str]], report, *, slowest: int = 0) -> None:
    report(f"  queries per {what}", len(queries), "queries")
    together = sum(seconds for seconds, _sql in queries) * 1000
    print(f"    their time together {together:.1f} ms" + ("; the slowest:" if slowest else ""))
    for seconds, sql in sorted(queries, reverse=True)[:slowest]:
        print(f"    {seconds * 1000:.1f} ms: {sql[:150]}")


# The shop ----------------------------------------------------------------------------------


def _insert(shop: Shop, now) -> None:
    """Customers, orders, ledger, redemptions and the customers' totals, set-based."""
    customers, orders, ledger = _table(Customer), _table(Order), _table(PointEntry)
    heavy = f"(c.n %% {EVERY} = 0 AND c.n / {EVERY} < {HEAVY})"
    numbered = f"(SELECT id, substr(phone, 5)::int AS n, member_since FROM {customers} WHERE shop_id = %s) AS c"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {customers} (shop_id, name, search_name, phone, email, birthday, birthday_changed_at, "
            "gender, city, haravan_id, accepts_email, accepts_sms, member_since, first_order_at, last_order_at, "
            "orders_count, total_spent, opening_revenue, points_balance, tier_id, created_at) "
            "SELECT %s, 'Nguyễn Thị Khách ' || n, 'nguyen thi khach ' || n, '+849' || lpad(n::text, 8, '0'), "
            "CASE WHEN n %% 4 = 0 THEN '' ELSE 'kh' || n || '@example.vn' END, NULL, NULL, '', 'Hà Nội', NULL, "
            f"true, true, CASE WHEN n %% 10 = 9 AND n %% {EVERY} <> 0 THEN NULL "
            "ELSE %s - make_interval(days => 800 + n %% 100) END, NULL, NULL, 0, 0, 0, 0, NULL, "
            "%s - make_interval(days => 900) FROM generate_series(0, %s - 1) AS n",
            [shop.pk, now, now, COUNT],
        )
        # Inside the build's transaction the planner knows nothing of the rows just written:
        # without statistics, the joins below ran as nested loops for many minutes.
        cursor.execute(f"ANALYZE {customers}")
        # 3 orders a customer, 100 a heavy member, over the last two years: 90 % paid, 5 %
        # refunded, 5 % pending.
        cursor.execute(
            f"INSERT INTO {orders} (shop_id, source, external_id, number, customer_id, phone_raw, total, "
            "paid_amount, financial_status, refunded_amount, discount_codes, created_at, paid_at, cancelled_at, "
            "source_updated_at, updated_at) "
            "SELECT %s, 'haravan', c.n || '-' || k, '#' || c.n || '-' || k, c.id, '', o.amount, "
            "CASE WHEN o.s < 19 THEN o.amount ELSE 0 END, "
            "CASE WHEN o.s < 18 THEN 'paid' WHEN o.s = 18 THEN 'refunded' ELSE 'pending' END, "
            "CASE WHEN o.s = 18 THEN o.amount ELSE 0 END, '[]', o.created, "
            "CASE WHEN o.s < 19 THEN o.created + interval '10 minutes' END, NULL, o.created, %s "
            f"FROM {numbered} CROSS JOIN LATERAL generate_series(1, CASE WHEN {heavy} THEN {HEAVY_ORDERS} "
            "ELSE 3 END) AS k CROSS JOIN LATERAL (SELECT 200000 + (c.n::bigint * 7919 + k * 104729) %% 2000000 "
            "AS amount, (c.n + k * 7) %% 20 AS s, %s - make_interval(days => (c.n * 37 + k * 211) %% 720, "
            "mins => (c.n + k) %% 1440) AS created) AS o",
            [shop.pk, now, shop.pk, now],
        )
        cursor.execute(f"ANALYZE {orders}")
        # Earning on paid orders (members only): 1 point per 10,000 ₫, lapsing after 24 months.
        cursor.execute(
            f"INSERT INTO {ledger} (shop_id, customer_id, kind, points, source, source_id, key, reason, actor_id, "
            "created_at, expires_at) "
            "SELECT o.shop_id, o.customer_id, 'earn', o.paid_amount / 10000, 'order', o.id::text, "
            "'paid:' || o.paid_amount, '', NULL, o.paid_at, o.paid_at + interval '24 months' "
            f"FROM {orders} o JOIN {customers} c ON c.id = o.customer_id "
            "WHERE o.shop_id = %s AND c.member_since IS NOT NULL AND o.financial_status = 'paid'",
            [shop.pk],
        )
        # The heavy members' staff adjustments: 2 up (lapsing) for 1 down.
        cursor.execute(
            f"INSERT INTO {ledger} (shop_id, customer_id, kind, points, source, source_id, key, reason, actor_id, "
            "created_at, expires_at) "
            "SELECT %s, c.id, 'adjust', CASE WHEN k %% 3 = 0 THEN -10 ELSE 20 END, 'staff', "
            "'bench-adjust-' || c.n || '-' || k, 'adjust', 'Điều chỉnh', NULL, a.at, "
            "CASE WHEN k %% 3 <> 0 THEN a.at + interval '24 months' END "
            f"FROM {numbered} CROSS JOIN generate_series(1, {HEAVY_ADJUSTMENTS}) AS k "
            "CROSS JOIN LATERAL (SELECT %s - make_interval(days => k * 7, hours => c.n %% 24) AS at) AS a "
            f"WHERE {heavy}",
            [shop.pk, shop.pk, now],
        )
        # 10 redemptions each, over the catalogue: 5 used, 3 sent, 1 lapsed, 1 refused by
        # Haravan (those two gave their points back); then their ledger lines.
        state = "CASE WHEN k < 5 THEN 'used' WHEN k = 7 THEN 'expired' WHEN k = 8 THEN 'returned' ELSE 'sent' END"
        cursor.execute(
            f"INSERT INTO {_table(Redemption)} (shop_id, customer_id, reward_id, name, kind, value, minimum_order, "
            "valid_days, points, state, request_key, code, discount_id, code_tried_at, code_attempts, ends_at, "
            "reason, order_id, actor_id, created_at, sent_at, used_at, returned_at) "
            f"SELECT %s, c.id, r.id, r.name, r.kind, r.value, r.minimum_order, r.valid_days, r.points, {state}, "
            "'seed-' || c.n || '-' || k, 'DDSEED' || c.n || 'X' || k, CASE WHEN k <> 8 THEN 90000000 + c.n * 10 + k "
            "END, t.at, 1, CASE WHEN k <> 8 THEN t.at + make_interval(days => r.valid_days) END, "
            "CASE WHEN k = 8 THEN 'Haravan từ chối' ELSE '' END, NULL, NULL, t.at, "
            "CASE WHEN k <> 8 THEN t.at + interval '1 minute' END, CASE WHEN k < 5 THEN t.at + interval '2 days' END, "
            "CASE WHEN k = 7 THEN t.at + make_interval(days => r.valid_days) WHEN k = 8 THEN t.at + interval "
            f"'1 hour' END FROM {numbered} CROSS JOIN generate_series(0, {HEAVY_REDEMPTIONS - 1}) AS k "
            "CROSS JOIN LATERAL (SELECT %s - make_interval(days => (10 - k) * 5) AS at) AS t "
            f"JOIN (SELECT *, row_number() OVER (ORDER BY id) - 1 AS i FROM {_table(Reward)} WHERE shop_id = %s) "
            f"AS r ON r.i = k %% 8 WHERE {heavy}",
            [shop.pk, shop.pk, now, shop.pk],
        )
        cursor.execute(
            f"INSERT INTO {ledger} (shop_id, customer_id, kind, points, source, source_id, key, reason, actor_id, "
            "created_at, expires_at) "
            "SELECT shop_id, customer_id, 'redeem', -points, 'reward', id::text, 'redeem', 'Đổi: ' || name, "
            f"NULL::bigint, created_at, NULL::timestamptz FROM {_table(Redemption)} WHERE shop_id = %s "
            "UNION ALL SELECT shop_id, customer_id, 'return', points, 'reward', id::text, 'return', "
            f"'Hoàn: ' || name, NULL, returned_at, NULL FROM {_table(Redemption)} "
            "WHERE shop_id = %s AND returned_at IS NOT NULL",
            [shop.pk, shop.pk],
        )
        cursor.execute(f"ANALYZE {ledger}")
        # The customers' figures, in one UPDATE: orders, spend, the ledger's balance, and
        # the tier the last 12 months' spend reaches (members only).
        cursor.execute(
            f"UPDATE {customers} AS c SET orders_count = a.orders, total_spent = a.spent, "
            "first_order_at = a.first, last_order_at = a.last, points_balance = coalesce(l.total, 0), "
            "tier_id = CASE WHEN c.member_since IS NOT NULL THEN (SELECT t.id FROM "
            f"{_table(Tier)} t WHERE t.shop_id = c.shop_id AND t.removed_at IS NULL AND t.threshold <= a.year "
            "ORDER BY t.threshold DESC LIMIT 1) END "
            "FROM (SELECT customer_id, count(*) AS orders, sum(paid_amount - refunded_amount) AS spent, "
            "sum(paid_amount - refunded_amount) FILTER (WHERE created_at >= %s - interval '12 months') AS year, "
            f"min(created_at) AS first, max(created_at) AS last FROM {orders} WHERE shop_id = %s "
            "GROUP BY customer_id) AS a "
            f"LEFT JOIN (SELECT customer_id, sum(points) AS total FROM {ledger} WHERE shop_id = %s "
            "GROUP BY customer_id) AS l ON l.customer_id = a.customer_id WHERE c.id = a.customer_id",
            [now, shop.pk, shop.pk],
        )


def bench_shop(report) -> Shop:
    """The benchmark's shop, built when the database does not hold it yet."""
    name = f"Bench rewards {COUNT:,} customers"
    shop = Shop.objects.filter(name=name, slug=SLUG).first()
    if shop is not None and Customer.objects.for_shop(shop).count() == COUNT:
        return shop
    Shop.objects.filter(slug=SLUG).update(slug="")  # a half-built one, or another size's
    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        shop = Shop.objects.create(name=name, slug=SLUG)
        loyalty_defaults_create(shop=shop)
        EarningSettings.objects.filter(shop=shop).update(expiry=EarningSettings.Expiry.MONTHS, expiry_months=24)
        TierSettings.objects.filter(shop=shop).update(basis=TierSettings.Basis.LAST_12_MONTHS)
        User.objects.create_user(username=f"bench-rewards-{shop.pk}", password="x", shop=shop, role="staff")
        HaravanConnection.objects.create(shop=shop, store_name="bench", access_token="bench-token")
        tiers = list(Tier.objects.for_shop(shop).order_by("threshold"))
        Reward.objects.bulk_create(
            Reward(shop=shop, name=name, kind=kind, value=value, points=points, minimum_order=minimum,
                   valid_days=days, tier=None if tier is None else tiers[tier], per_member_limit=limit)
            for name, kind, value, points, minimum, days, tier, limit in REWARDS
        )  # fmt: skip
        _insert(shop, now)
    written = time.perf_counter() - started
    with connection.cursor() as cursor:
        for model in (Customer, Order, PointEntry, Redemption):
            cursor.execute(f"VACUUM ANALYZE {_table(model)}")
    orders = Order.objects.for_shop(shop).count()
    lines = PointEntry.objects.filter(shop=shop).count()
    report(f"built the shop: {COUNT:,} customers, {orders:,} orders, {lines:,} ledger lines", written, "s")
    report("  then VACUUM ANALYZE", time.perf_counter() - started - written, "s")
    return shop


def _forget_last_run(shop: Shop) -> None:
    """What the run before added: its redemptions and their ledger lines (the balances put
    back), sign-in codes and their messages, and every session."""
    done = list(Redemption.objects.for_shop(shop).filter(request_key__startswith=RUN_KEY).values_list("pk", "customer"))
    if done:
        PointEntry.objects.filter(
            shop=shop, source=PointEntry.Source.REWARD, source_id__in=[str(pk) for pk, _customer in done]
        ).delete()
        Redemption.objects.filter(pk__in=[pk for pk, _customer in done]).delete()
        customers_refresh_points(customer_ids={customer for _pk, customer in done})
    SignInCode.objects.filter(shop=shop).delete()
    Message.objects.filter(shop=shop, source__startswith=SOURCE_PREFIX).delete()
    Session.objects.all().delete()


def _heavy_members(shop: Shop) -> list[Customer]:
    phones = [_phone(index * EVERY) for index in range(HEAVY)]
    by_phone = {customer.phone: customer for customer in Customer.objects.for_shop(shop).filter(phone__in=phones)}
    return [by_phone[phone] for phone in phones]


# The member page ---------------------------------------------------------------------------


def _issued_code(shop: Shop, phone: str) -> str:
    """The code last sent to the phone, read from the outbox (the only place it is in clear)."""
    row = SignInCode.objects.filter(shop=shop, phone=phone).order_by("-created_at", "-pk").first()
    # The code reaches the outbox just after its row commits (the worker's part, run at once
    # here): a request at the same moment may see the row a moment before its message.
    for _attempt in range(200):
        message = Message.objects.filter(shop=shop, source=f"{SOURCE_PREFIX}{row.pk}").first()
        if message is not None:
            return re.search(r"\b(\d{6})\b", f"{message.subject} {message.body}").group(1)
        time.sleep(0.01)
    raise AssertionError(f"the sign-in code of row {row.pk} never reached the outbox")


def _sign_in(shop: Shop, customer: Customer) -> Client:
    """Sign the member in through the real views, with the code the outbox holds."""
    client = Client()
    asked = client.post(f"/m/{SLUG}/", {"phone": _national(customer.phone)})
    assert asked.status_code == 302 and asked.url.endswith("/code/"), asked.status_code
    checked = client.post(f"/m/{SLUG}/code/", {"code": _issued_code(shop, customer.phone)})
    assert checked.status_code == 302 and client.session[SIGNED_IN]["customer"] == customer.pk
    return client


def _member_page(shop: Shop, member: Customer, report) -> None:
    client = _sign_in(shop, member)
    url = f"/m/{SLUG}/"

    def get():
        response = client.get(url)
        assert response.status_code == 200 and b'id="member-points"' in response.content, response.status_code
        return response

    for _ in range(3):  # warm the caches
        get()
    queries = _queries(get)
    timings = []
    for _ in range(PAGE_REQUESTS):
        started = time.perf_counter()
        get()
        timings.append(time.perf_counter() - started)
    median, p95 = _ms(timings)
    orders = Order.objects.filter(customer=member).count()
    lines = PointEntry.objects.filter(customer=member).count()
    redemptions = Redemption.objects.filter(customer=member).count()
    label = f"member page GET ({orders} orders, {lines} ledger lines, {redemptions} redemptions, 8 rewards)"
    report(f"{label}, median of {PAGE_REQUESTS}", median, "ms", baseline=AIM_PAGE_MS, baseline_name="the aim")
    report(f"{label}, p95", p95, "ms", baseline=AIM_PAGE_MS, baseline_name="the aim")
    _print_queries("member page request", queries, report, slowest=3)


# Redemption --------------------------------------------------------------------------------


def _deliver_now(row_id: int, sealed: str) -> None:
    from core.crypto import decrypt
    from portal.services import sign_in_code_deliver

    sign_in_code_deliver(row_id=row_id, code=decrypt(sealed))


def _redemptions(shop: Shop, members: list[Customer], staff: User, enqueued: mock.Mock, report) -> None:
    reward = Reward.objects.for_shop(shop).get(name=BENCH_REWARD)
    service, view = members[: 2 + REDEMPTIONS], members[2 + REDEMPTIONS : 4 + REDEMPTIONS + STAFF_REDEMPTIONS]
    before = {customer.pk: customer.points_balance for customer in service + view}
    timings = []
    last: list[tuple[float, str]] = []
    for index, customer in enumerate(service):

        def redeem(customer=customer):
            redeemed = redemption_create(
                shop=shop, customer_id=customer.pk, reward_id=reward.pk, request_key=f"{RUN_KEY}{uuid.uuid4().hex}",
                actor=None, ip=IP,
            )  # fmt: skip
            assert redeemed.created

        if index == len(service) - 1:  # the last one's queries are counted (and not timed)
            last = _queries(redeem)
            continue
        started = time.perf_counter()
        redeem()
        elapsed = time.perf_counter() - started
        if index:  # the first warms the imports and caches
            timings.append(elapsed)
    median, p95 = _ms(timings)
    aim = {"baseline": AIM_REDEEM_MS, "baseline_name": "the aim"}
    report(f"redemption_create by {len(timings)} different members, median", median, "ms", **aim)
    report("redemption_create, p95", p95, "ms", **aim)
    _print_queries("redemption_create", last, report)

    client = Client()
    client.force_login(staff)
    timings = []
    for index, customer in enumerate(view):

        def post(customer=customer):
            key = f"{RUN_KEY}staff-{uuid.uuid4().hex}"
            response = client.post(f"/members/{customer.pk}/redeem/", {"reward": reward.pk, "request_key": key})
            assert response.status_code == 302, response.status_code

        if index == len(view) - 1:
            last = _queries(post)
            continue
        started = time.perf_counter()
        post()
        elapsed = time.perf_counter() - started
        if index:
            timings.append(elapsed)
    median, p95 = _ms(timings)
    report(f"staff POST /members/<pk>/redeem/ by {len(timings)} different members, median", median, "ms", **aim)
    report("staff POST /members/<pk>/redeem/, p95", p95, "ms", **aim)
    _print_queries("staff redeem POST", last, report)

    # Each redemption is there once, its points taken, its code's task enqueued (not run).
    made = Redemption.objects.for_shop(shop).filter(request_key__startswith=RUN_KEY)
    assert made.count() == len(before), made.count()
    assert enqueued.delay.call_count == len(before), enqueued.delay.call_count
    after = dict(Customer.objects.filter(pk__in=before).values_list("pk", "points_balance"))
    assert all(after[pk] == balance - reward.points for pk, balance in before.items())
    print(f"    {len(before)} redemptions written, their {enqueued.delay.call_count} code tasks enqueued to a mock")


# The burst of wrong codes ------------------------------------------------------------------


class Burst:
    """The counts of one burst against one member's phone."""

    def __init__(self, shop: Shop, member: Customer):
        self.shop, self.member = shop, member
        self.lock = threading.Lock()
        self.refused = self.signed_in = self.asks_refused = 0
        self.ask_timings: list[float] = []
        self.code_timings: list[float] = []
        self.codes: set[str] = set()  # every code issued to the phone: the wrong ones avoid them

    def wrong_code(self, index: int) -> str:
        candidate = index * 7919 + 13
        while f"{candidate % 10**6:06d}" in self.codes:
            candidate += 1
        return f"{candidate % 10**6:06d}"

    def ask(self, client: Client) -> None:
        started = time.perf_counter()
        response = client.post(f"/m/{SLUG}/", {"phone": _national(self.member.phone)})
        elapsed = time.perf_counter() - started
        issued = response.status_code == 302
        if issued:
            code = _issued_code(self.shop, self.member.phone)
        with self.lock:
            self.ask_timings.append(elapsed)
            if issued:
                self.codes.add(code)
            else:
                assert response.status_code == 200, response.status_code
                self.asks_refused += 1

    def attempt(self, client: Client, index: int) -> None:
        code = self.wrong_code(index)
        started = time.perf_counter()
        response = client.post(f"/m/{SLUG}/code/", {"code": code})
        elapsed = time.perf_counter() - started
        # 200: the form again, with why; 302: no code asked in this session (back to the
        # start) or, for a right code, signed in: the session says which.
        session_key = client.cookies.get(settings.SESSION_COOKIE_NAME)
        signed_in = (
            response.status_code == 302
            and session_key is not None
            and SIGNED_IN in SessionStore(session_key.value).load()
        )
        assert response.status_code in (200, 302), response.status_code
        with self.lock:
            self.code_timings.append(elapsed)
            if signed_in:
                self.signed_in += 1
            else:
                self.refused += 1

    def check(self, name: str, started_at, report, *, total: float, max_codes: int) -> None:
        member = self.member
        tries = list(SignInCode.objects.filter(shop=self.shop, phone=member.phone).values_list("tries", flat=True))
        logged = ActivityEntry.objects.filter(
            shop=self.shop, kind=ActivityKind.MEMBER_SIGNED_IN, target_id=str(member.pk), created_at__gte=started_at
        ).count()
        sessions = sum(
            1
            for session in Session.objects.iterator()
            if (session.get_decoded().get(SIGNED_IN) or {}).get("customer") == member.pk
        )
        median, p95 = _ms(self.code_timings)
        print(
            f"    {name}: {self.refused:,} of {len(self.code_timings):,} wrong codes refused; "
            f"{sum(tries)} tries counted against codes (per code: {tries}); codes issued: {len(tries)} "
            f"({self.asks_refused:,} asks refused); signed in: {self.signed_in} by the responses, {logged} activity "
            f"lines, {sessions} sessions"
        )
        report(f"  {name}: a wrong code's POST, median", median, "ms")
        report(f"  {name}: a wrong code's POST, p95", p95, "ms")
        if len(self.ask_timings) > 1:
            median, p95 = _ms(self.ask_timings)
            report(f"  {name}: asking for a code, median", median, "ms")
            report(f"  {name}: asking for a code, p95", p95, "ms")
        report(f"  {name}: the whole burst ({len(self.code_timings):,} attempts)", total, "s")
        failures = []
        if self.refused != len(self.code_timings):
            failures.append(f"{len(self.code_timings) - self.refused} wrong codes were not refused")
        if any(count > settings.PORTAL_CODE_TRIES for count in tries):
            failures.append(f"a code took more than {settings.PORTAL_CODE_TRIES} tries: {tries}")
        if len(tries) > max_codes:
            failures.append(f"{len(tries)} codes were issued, more than {max_codes}")
        if self.signed_in or logged or sessions:
            failures.append(f"the member was signed in ({self.signed_in}, {logged} log lines, {sessions} sessions)")
        assert not failures, f"{name}: " + "; ".join(failures)


def _burst_one_client(shop: Shop, member: Customer, report) -> None:
    burst = Burst(shop, member)
    started_at = timezone.now()
    started = time.perf_counter()
    client = Client()
    burst.ask(client)
    assert burst.codes and client.session[PENDING]["phone"] == member.phone
    for index in range(BURST):
        burst.attempt(client, index)
    burst.check("one client", started_at, report, total=time.perf_counter() - started,
                max_codes=1)  # fmt: skip


def _address(index: int) -> str:
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def _burst_fresh_clients(shop: Shop, member: Customer, report, *, threads: int) -> None:
    """BURST fresh clients, each from its own address (the per-address limit never binds):
    each asks for a code, then types a wrong one. ``threads`` of them at once."""
    burst = Burst(shop, member)
    started_at = timezone.now()
    failed: list[Exception] = []

    def work(indexes):
        try:
            for index in indexes:
                client = Client(REMOTE_ADDR=_address(index + (threads > 1) * 100_000))
                burst.ask(client)
                burst.attempt(client, index)
        except Exception as error:  # re-raised below, in the main thread
            failed.append(error)
        finally:
            if threads > 1:
                connection.close()

    started = time.perf_counter()
    if threads == 1:
        work(range(BURST))
    else:
        workers = [threading.Thread(target=work, args=(range(part, BURST, threads),)) for part in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    total = time.perf_counter() - started
    if failed:
        raise failed[0]
    name = f"fresh clients, {threads} at once" if threads > 1 else "fresh clients in turn"
    burst.check(name, started_at, report, total=total, max_codes=settings.PORTAL_CODES_PER_PHONE_HOUR)


def run(report) -> None:
    if connection.vendor != "postgresql":
        print("  (PostgreSQL only)")
        return
    shop = bench_shop(report)
    _forget_last_run(shop)
    members = _heavy_members(shop)
    staff = User.objects.get(shop=shop, username__startswith="bench-rewards-")
    # No worker is timed and no broker reached: the code tasks and the SMS sending are mocks.
    with (
        mock.patch("rewards.tasks.make_redemption_code") as enqueued,
        mock.patch("messaging.tasks.send_messages"),
        # The sign-in code's worker runs at once, in the request, so the outbox holds the code.
        mock.patch("portal.tasks.deliver_sign_in_code.delay", side_effect=_deliver_now),
    ):
        print(f"  the member page (shop of {COUNT:,} customers; codes' tasks and SMS sending mocked):")
        _member_page(shop, members[0], report)
        print("  redeeming (the request's part; the Haravan code's task enqueued to a mock, not run):")
        _redemptions(shop, members[1 : 5 + REDEMPTIONS + STAFF_REDEMPTIONS], staff, enqueued, report)
        print(
            f"  {BURST:,} wrong sign-in codes against one phone, by the views (limits: {settings.PORTAL_CODE_TRIES} "
            f"tries a code, {settings.PORTAL_CODES_PER_PHONE_HOUR} codes a phone an hour; fresh clients each from "
            "its own address, asking for a code first):"
        )
        _burst_one_client(shop, members[-3], report)
        _burst_fresh_clients(shop, members[-2], report, threads=1)
        _burst_fresh_clients(shop, members[-1], report, threads=THREADS)
