"""Automations at a million customers: the daily birthday selection, the thank-you's and the
reminder's, and a run that queues 10,000 birthday messages (PostgreSQL only).

The shop is bench_campaigns' (bench/campaign_shop.py: BENCH_CAMPAIGN_CUSTOMERS, default
1,000,000, every one a member: the selections filter nobody out on membership, the most
work), kept with BENCH_KEEPDB=1. Six in seven have a birthday, scattered over the year by
a hash (about 1/366 on each day), 1 in 40 changed lately. The first run adds
BENCH_AUTOMATION_ORDERS_PER_CUSTOMER (default 3) orders per customer, spread evenly over
the year before the build (so about 8,200 a day, the last day's included; 80 % paid, 5 %
partly paid, the rest pending, refunded or voided, 2 % cancelled), and keeps them. Each run
first deletes the automations of the run before, their recipients, messages and birthday
points. What is timed, with the aims:
- the birthday's daily selection: ``birthday_selection(...).customers.count()`` (median of
  7) and ``daily_select`` for 7 days in turn (each its INSERT of that day's recipients,
  median): under 100 ms each;
- the thank-you's ``thank_you_select`` over the day of orders paid 24 hours before: the
  first run (a day's orders at once) and then beat's run each minute after (the same day's
  orders, all already recipients, and the minute's new ones), median of 7: under 1 s;
- the reminder's ``daily_select`` (``win_back_selection`` + ``recipients_select``, idle 90
  days): its first day (everyone idle) and the next day (the day's newly idle, the others
  already recipients): under 1 s;
- ``recipients_queue`` of 10,000 birthday recipients whose unique codes were made the day
  before (email, 200 birthday points each): under 5 s;
- each INSERT step runs in a fresh process (bench/automation_stage.py): its peak resident
  memory (VmHWM) under 300 MB.
"""

import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from bench.campaign_shop import BIRTHDAY_SQL, COUNT, campaign_shop
from campaigns.automations import birthday_selection, run_time
from campaigns.models import AUTOMATED_KINDS, AutomationRun, Campaign, Offer, Recipient
from core.db import current_database_url
from loyalty.models import PointEntry
from members.models import Customer, Order
from messaging.models import Message
from shops.models import Shop

REPEAT = 7
AIM_BIRTHDAY_MS = 100.0
AIM_SELECT_S = 1.0
AIM_QUEUE_S = 5.0
AIM_PEAK_MB = 300.0
QUEUED = 10_000
GIFT_POINTS = 200
ORDERS_PER_CUSTOMER = int(os.environ.get("BENCH_AUTOMATION_ORDERS_PER_CUSTOMER", 3))


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _vacuum(*models) -> None:
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {_table(model)}")


def _first_customer(shop: Shop) -> int:
    return Customer.objects.for_shop(shop).aggregate(low=Min("pk"))["low"]


def _birthdays(shop: Shop, report) -> None:
    """A shop built before the builder gave birthdays gets them now (customer n is the n-th
    by id, as the builder numbers them)."""
    if Customer.objects.for_shop(shop).filter(birthday__isnull=False).exists():
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(Customer)} SET birthday = {BIRTHDAY_SQL}, "
            "birthday_changed_at = CASE WHEN n %% 40 = 11 THEN now() - make_interval(days => n %% 60) END "
            f"FROM (SELECT id AS numbered, id - %s AS n FROM {_table(Customer)} WHERE shop_id = %s) AS numbers "
            "WHERE id = numbers.numbered",
            [_first_customer(shop), shop.pk],
        )
    _vacuum(Customer)
    report("gave the kept shop's customers birthdays (UPDATE, VACUUM ANALYZE)", time.perf_counter() - started, "s")


def _orders(shop: Shop, report) -> None:
    """ORDERS_PER_CUSTOMER orders a customer over the year before now, once (kept)."""
    if Order.objects.for_shop(shop).exists():
        return
    total = COUNT * ORDERS_PER_CUSTOMER
    now = timezone.now()
    started = time.perf_counter()
    status = (
        "CASE WHEN g %% 20 < 16 THEN 'paid' WHEN g %% 20 = 16 THEN 'partially_paid' WHEN g %% 20 = 17 THEN 'pending' "
        "WHEN g %% 20 = 18 THEN 'refunded' ELSE 'voided' END"
    )
    created = "(%s - make_interval(secs => (%s - 1 - g) * 31536.0 / %s * 1000))"
    with connection.cursor() as cursor:
        # Each customer gets ORDERS_PER_CUSTOMER (a multiplicative hash of g, prime to the
        # count, spreads them); ids grow with time, as orders arrive.
        cursor.execute(
            f"INSERT INTO {_table(Order)} (shop_id, source, external_id, number, customer_id, phone_raw, total, "
            "paid_amount, financial_status, refunded_amount, discount_codes, created_at, paid_at, cancelled_at, "
            "source_updated_at, updated_at) "
            f"SELECT %s, 'haravan', 'bench-' || g, '#' || (100000 + g), %s + (g * 2654435761) %% %s, '', "
            "200000 + (g * 7919) %% 2000000, CASE WHEN g %% 20 < 16 THEN 200000 + (g * 7919) %% 2000000 "
            "WHEN g %% 20 = 16 THEN 100000 ELSE 0 END, "
            f"{status}, 0, '[]', {created}, "
            f"CASE WHEN g %% 20 IN (17, 19) THEN NULL ELSE {created} + make_interval(mins => (g %% 180)::int) END, "
            f"CASE WHEN g %% 20 = 19 OR g %% 50 = 7 THEN {created} + interval '5 hours' END, "
            f"{created}, %s FROM generate_series(0::bigint, %s - 1) AS g",
            [shop.pk, _first_customer(shop), COUNT, *([now, total, total] * 4), now, total],
        )
    _vacuum(Order)
    report(f"added {total:,} orders over a year ({ORDERS_PER_CUSTOMER} a customer), VACUUM ANALYZE",
           time.perf_counter() - started, "s")  # fmt: skip


def _forget_last_run(shop: Shop) -> float:
    """The automations of the run before, their recipients, messages and birthday points
    (raw SQL: the ORM's cascade would load every recipient); the points balances the
    builder gave restored."""
    started = time.perf_counter()
    automations = list(Campaign.objects.filter(shop=shop, kind__in=AUTOMATED_KINDS).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        for pk in automations:
            cursor.execute(
                f"DELETE FROM {_table(Message)} WHERE shop_id = %s AND source = %s", [shop.pk, f"campaign:{pk}"]
            )
            cursor.execute(f"DELETE FROM {_table(Recipient)} WHERE campaign_id = %s", [pk])
        cursor.execute(
            f"WITH gone AS (DELETE FROM {_table(PointEntry)} WHERE shop_id = %s AND kind = %s RETURNING customer_id) "
            f"UPDATE {_table(Customer)} SET points_balance = (id - %s) %% 5000 "
            "WHERE id IN (SELECT customer_id FROM gone)",
            [shop.pk, PointEntry.Kind.BIRTHDAY, _first_customer(shop)],
        )
    AutomationRun.objects.filter(campaign__in=automations).delete()
    offers = list(Campaign.objects.filter(pk__in=automations, offer__isnull=False).values_list("offer", flat=True))
    Campaign.objects.filter(pk__in=automations).delete()
    Offer.objects.filter(pk__in=offers).delete()
    if automations:
        _vacuum(Recipient, Message)
    return time.perf_counter() - started


def _automation(shop: Shop, kind: str, name: str, started_at: datetime.datetime, **fields) -> Campaign:
    """An automation that is on, by email, 10 % holdout, a unique code (50,000 ₫, 7 days)."""
    offer = Offer.objects.create(
        shop=shop, kind=Offer.Kind.FIXED_AMOUNT, value=50_000, minimum_order=300_000,
        validity=Offer.Validity.DAYS, valid_days=7, codes=Offer.Codes.UNIQUE,
    )  # fmt: skip
    return Campaign.objects.create(
        shop=shop, name=name, kind=kind, state=Campaign.State.ACTIVE, offer=offer, send_email=True, send_sms=False,
        email_subject="{ten_shop} gửi bạn", email_body="Chào {ten|bạn},\n\nMã {ma_uu_dai} giảm {gia_tri}.",
        holdout_percent=10, holdout_seed="bench", started_at=started_at, run_hour=9, **fields,
    )  # fmt: skip


def _stage(step: str, campaign: Campaign, moments: list[str]) -> dict:
    """A step in a fresh process (bench/automation_stage.py)."""
    connection.close()  # let the child see everything committed
    output = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "bench" / "automation_stage.py"), step, str(campaign.pk),
         *moments],
        env={**os.environ, "DATABASE_URL": current_database_url()},
        capture_output=True,
        text=True,
    )  # fmt: skip
    if output.returncode:
        raise RuntimeError(output.stderr[-3000:])
    return json.loads(output.stdout.strip().splitlines()[-1])


def _median_ms(action) -> float:
    action()  # warm the caches once
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _peak(report, stage: dict, peaks: list[float]) -> None:
    peaks.append(stage["peak_mb"])
    report("  peak memory of that process", stage["peak_mb"], "MB", baseline=AIM_PEAK_MB, baseline_name="the aim")


def _birthday(shop: Shop, report, peaks: list[float]) -> Campaign:
    campaign = _automation(
        shop, Campaign.Kind.BIRTHDAY, "Chúc mừng sinh nhật", timezone.now() - datetime.timedelta(days=30),
        gift_points=GIFT_POINTS,
    )  # fmt: skip
    campaign = Campaign.objects.select_related("shop", "offer").get(pk=campaign.pk)
    tomorrow = timezone.localdate(timezone.now(), shop.tzinfo) + datetime.timedelta(days=1)
    customers = birthday_selection(campaign=campaign, day=tomorrow).customers
    size = customers.count()
    report(f"birthday selection as a count ({tomorrow:%d/%m}: {size:,} members, median of {REPEAT})",
           _median_ms(customers.count), "ms", baseline=AIM_BIRTHDAY_MS, baseline_name="the aim")  # fmt: skip
    days = [(tomorrow + datetime.timedelta(days=offset)).isoformat() for offset in range(REPEAT)]
    stage = _stage("daily", campaign, days)
    report(f"birthday daily_select, INSERT of a day's recipients ({min(stage['results']):,} to "
           f"{max(stage['results']):,}; median of {REPEAT} days)", statistics.median(stage["seconds"]) * 1000, "ms",
           baseline=AIM_BIRTHDAY_MS, baseline_name="the aim")  # fmt: skip
    print(f"    each day, ms: {', '.join(f'{seconds * 1000:.0f}' for seconds in stage['seconds'])}")
    _peak(report, stage, peaks)
    return campaign


def _thank_you(shop: Shop, report, peaks: list[float]) -> None:
    # The moment the orders were built up to: the thank-you's window is the day before it.
    now = Order.objects.for_shop(shop).aggregate(last=Max("created_at"))["last"] + datetime.timedelta(minutes=1)
    campaign = _automation(shop, Campaign.Kind.THANK_YOU, "Cảm ơn", now - datetime.timedelta(days=30), wait_hours=24)
    moments = [(now + datetime.timedelta(minutes=minute)).isoformat() for minute in range(REPEAT + 1)]
    stage = _stage("thank_you", campaign, moments)
    orders = Order.objects.for_shop(shop).count()
    report(f"thank-you first run: a day's paid orders of {orders:,} ({stage['results'][0]:,} recipients)",
           stage["seconds"][0], "s", baseline=AIM_SELECT_S, baseline_name="the aim")  # fmt: skip
    report(f"thank-you, beat's run each minute after ({sum(stage['results'][1:]):,} new in {REPEAT}; median)",
           statistics.median(stage["seconds"][1:]), "s", baseline=AIM_SELECT_S, baseline_name="the aim")  # fmt: skip
    _peak(report, stage, peaks)


def _win_back(shop: Shop, report, peaks: list[float]) -> None:
    # The day the customers' last orders were built up to.
    last = Customer.objects.for_shop(shop).aggregate(last=Max("last_order_at"))["last"]
    day = timezone.localdate(last, shop.tzinfo)
    campaign = _automation(shop, Campaign.Kind.WIN_BACK, "Nhắc mua lại", last - datetime.timedelta(days=30),
                           idle_days=90)  # fmt: skip
    stage = _stage("daily", campaign, [day.isoformat(), (day + datetime.timedelta(days=1)).isoformat()])
    first, second = stage["results"]
    report(f"reminder daily_select, first day (everyone idle 90 days: {first:,} recipients)", stage["seconds"][0],
           "s", baseline=AIM_SELECT_S, baseline_name="the aim")  # fmt: skip
    report(f"reminder daily_select, the next day ({second:,} newly idle; the rest already in)", stage["seconds"][1],
           "s", baseline=AIM_SELECT_S, baseline_name="the aim")  # fmt: skip
    _peak(report, stage, peaks)


def _queue(shop: Shop, campaign: Campaign, report, peaks: list[float]) -> None:
    """QUEUED recipients of today's birthdays (and the next days' until there are enough),
    their codes made yesterday, due at today's run."""
    today = timezone.localdate(timezone.now(), shop.tzinfo)
    send_at = run_time(campaign=campaign, day=today)
    made = send_at - datetime.timedelta(hours=20)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(Recipient)} WHERE campaign_id = %s", [campaign.pk])
        cursor.execute(
            f"INSERT INTO {_table(Recipient)} (campaign_id, customer_id, held_out, code, code_state, code_error, "
            "discount_id, code_ends_at, code_tried_at, occasion, send_at, created_at) "
            "SELECT %s, c.id, false, 'SN' || upper(to_hex(c.id * 2654435761)), 'made', '', 90000000 + c.id, %s, %s, "
            f"%s, %s, %s FROM {_table(Customer)} c WHERE c.shop_id = %s AND c.birthday IS NOT NULL "
            "AND c.email <> '' AND c.accepts_email "
            "ORDER BY (366 + EXTRACT(DOY FROM make_date(2004, EXTRACT(MONTH FROM c.birthday)::int, "
            "EXTRACT(DAY FROM c.birthday)::int)) - EXTRACT(DOY FROM make_date(2004, %s, %s))) %% 366, c.id LIMIT %s",
            [campaign.pk, send_at + datetime.timedelta(days=7), made, str(today.year), send_at, made, shop.pk,
             today.month, today.day, QUEUED],
        )  # fmt: skip
    _vacuum(Recipient)
    stage = _stage("queue", campaign, [(send_at + datetime.timedelta(minutes=1)).isoformat()])
    queued = Message.objects.filter(shop=shop, source=campaign.source, status=Message.Status.QUEUED).count()
    report(f"recipients_queue: {stage['results'][0]:,} birthday recipients, {queued:,} emails queued",
           stage["seconds"][0], "s", baseline=AIM_QUEUE_S, baseline_name="the aim")  # fmt: skip
    print(f"    of which the birthday points ({GIFT_POINTS} each, ledger and balances) {stage['points']:.2f} s")
    _peak(report, stage, peaks)


def run(report) -> None:
    if connection.vendor != "postgresql":
        print("  (PostgreSQL only)")
        return
    bench = campaign_shop(report)
    shop = bench.shop
    _birthdays(shop, report)
    _orders(shop, report)
    report("deleted the last run's automations, recipients, messages, points", _forget_last_run(shop), "s")
    peaks: list[float] = []
    birthday = _birthday(shop, report, peaks)
    _thank_you(shop, report, peaks)
    _win_back(shop, report, peaks)
    _queue(shop, birthday, report, peaks)
    report("peak memory, the largest of those processes", max(peaks), "MB", baseline=AIM_PEAK_MB,
           baseline_name="the aim")  # fmt: skip
