"""The shop bench_campaigns works on: BENCH_CAMPAIGN_CUSTOMERS customers (default 1,000,000),
every one a member, written by one INSERT ... SELECT generate_series on PostgreSQL (a loop of
bulk_create batches elsewhere). Kept in the database with BENCH_KEEPDB=1 and found again by
its name and size.

What it holds, by customer number n (0-based, in id order):
- a phone each; an email for 92% (none when n % 25 is 0 or 1); 2% refuse email
  (n % 50 == 7), 5% refuse SMS (n % 20 == 3);
- the four default tiers: the top one for n % 10 == 0 (exactly a tenth), the others by
  n % 10 in (1, 2), (3, 4, 5), and the rest;
- eight cities in turn, spending spread up to 20,000,000 ₫, a last order within a year;
- a birthday for 6 in 7 (none when n % 7 == 5), its day of the year scattered by a hash of
  n (about 1/366 of them on each day, 29 February included) in a leap year from 1964 to
  2004; 1 in 40 changed it lately (``birthday_changed_at`` n % 60 days ago when n % 40 == 11),
  for the birthday automation (bench_automations);
- groups: "Khách thân thiết" (static, n % 16 == 1: 6.25%), "Đà Nẵng chi tiêu cao" (rules:
  Đà Nẵng and spent 10,000,000+, about 6%), and "Gửi thử" (static, the first
  BENCH_CAMPAIGN_SEND customers with n % 16 == 2: the campaign the sending benchmark sends),
  "Gửi thử khi tạm dừng" (static, BENCH_CAMPAIGN_SEND_HELD with n % 16 == 3: sent while
  the big campaigns are paused).
"""

import datetime
import os
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from loyalty.models import Tier
from loyalty.services import loyalty_defaults_create
from members.models import Customer, CustomerGroup, CustomerGroupMember
from shops.models import Shop, User

COUNT = int(os.environ.get("BENCH_CAMPAIGN_CUSTOMERS", 1_000_000))
SEND = int(os.environ.get("BENCH_CAMPAIGN_SEND", 20_000))
SEND_HELD = int(os.environ.get("BENCH_CAMPAIGN_SEND_HELD", 2_000))
CITIES = ["Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Huế", "Nha Trang", "Vũng Tàu"]
FAMILIES = [("Nguyễn", "nguyen"), ("Trần", "tran"), ("Lê", "le"), ("Phạm", "pham"), ("Hoàng", "hoang")]
LOYAL, DANANG = "Khách thân thiết", "Đà Nẵng chi tiêu cao"
TRIAL, TRIAL_HELD = "Gửi thử", "Gửi thử khi tạm dừng"
# Customer n's birthday: none for n % 7 == 5; else a day of a leap year (1964 to 2004) by a
# multiplicative hash of n, so that a day's birthdays are scattered over the whole table.
BIRTHDAY_SQL = (
    "CASE WHEN n %% 7 = 5 THEN NULL ELSE make_date(2004 - 4 * (n %% 11), 1, 1) "
    "+ ((n::bigint * 2654435761) %% 366)::int END"
)


@dataclass(frozen=True)
class CampaignShop:
    shop: Shop
    owner: User
    top_tier: Tier
    loyal: CustomerGroup
    danang: CustomerGroup
    trial: CustomerGroup
    trial_held: CustomerGroup


def _insert_customers(shop: Shop, tiers: list[Tier], now: datetime.datetime) -> None:
    if connection.vendor != "postgresql":
        _bulk_customers(shop, tiers, now)
        return
    table = connection.ops.quote_name(Customer._meta.db_table)
    # Tiers lowest first: n % 10 == 0 gets the top one.
    tier_case = (
        f"CASE WHEN n %% 10 = 0 THEN {tiers[3].pk} WHEN n %% 10 IN (1, 2) THEN {tiers[2].pk} "
        f"WHEN n %% 10 IN (3, 4, 5) THEN {tiers[1].pk} ELSE {tiers[0].pk} END"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (shop_id, name, search_name, phone, email, birthday, birthday_changed_at, gender, "
            "city, haravan_id, accepts_email, accepts_sms, member_since, first_order_at, last_order_at, "
            "orders_count, total_spent, opening_revenue, points_balance, tier_id, created_at) "
            "SELECT %s, (%s::text[])[n %% 5 + 1] || ' Thị Khách ' || n, "
            "(%s::text[])[n %% 5 + 1] || ' thi khach ' || n, '+849' || lpad(n::text, 8, '0'), "
            "CASE WHEN n %% 25 IN (0, 1) THEN '' ELSE 'kh' || n || '@example.vn' END, "
            f"{BIRTHDAY_SQL}, CASE WHEN n %% 40 = 11 THEN %s - make_interval(days => n %% 60) END, '', "
            "(%s::text[])[n %% 8 + 1], NULL, n %% 50 <> 7, n %% 20 <> 3, "
            "%s - make_interval(days => n %% 1000), %s - make_interval(days => 400 + n %% 600), "
            "%s - make_interval(days => n %% 365), 1 + n %% 7, (n::bigint * 7919) %% 20000000, 0, n %% 5000, "
            f"{tier_case}, %s - make_interval(days => n %% 1000) "
            "FROM generate_series(0, %s - 1) AS n",
            [
                shop.pk,
                [family for family, _folded in FAMILIES],
                [folded for _family, folded in FAMILIES],
                now,
                CITIES,
                now,
                now,
                now,
                now,
                COUNT,
            ],
        )


def _bulk_customers(shop: Shop, tiers: list[Tier], now: datetime.datetime) -> None:
    """SQLite: the same rows, in batches."""

    def tier(n: int) -> Tier:
        last = n % 10
        return tiers[3] if last == 0 else tiers[2] if last in (1, 2) else tiers[1] if last in (3, 4, 5) else tiers[0]

    def rows():
        for n in range(COUNT):
            family, folded = FAMILIES[n % 5]
            yield Customer(
                shop=shop, name=f"{family} Thị Khách {n}", search_name=f"{folded} thi khach {n}",
                phone=f"+849{n:08d}", email="" if n % 25 in (0, 1) else f"kh{n}@example.vn",
                birthday=None if n % 7 == 5 else datetime.date(2004 - 4 * (n % 11), 1, 1)
                + datetime.timedelta(days=n * 2654435761 % 366),
                birthday_changed_at=now - datetime.timedelta(days=n % 60) if n % 40 == 11 else None,
                city=CITIES[n % 8], accepts_email=n % 50 != 7, accepts_sms=n % 20 != 3,
                member_since=now - datetime.timedelta(days=n % 1000),
                first_order_at=now - datetime.timedelta(days=400 + n % 600),
                last_order_at=now - datetime.timedelta(days=n % 365), orders_count=1 + n % 7,
                total_spent=(n * 7919) % 20_000_000, points_balance=n % 5000, tier=tier(n),
                created_at=now - datetime.timedelta(days=n % 1000),
            )  # fmt: skip

    batch: list[Customer] = []
    for customer in rows():
        batch.append(customer)
        if len(batch) == 10_000:
            Customer.objects.bulk_create(batch)
            batch = []
    Customer.objects.bulk_create(batch)


def _static_members(group: CustomerGroup, *, remainder: int, limit: int | None) -> None:
    """Customers whose number n (their rank by id) has n % 16 == remainder, at most ``limit``."""
    table = connection.ops.quote_name(CustomerGroupMember._meta.db_table)
    customers = connection.ops.quote_name(Customer._meta.db_table)
    low = Customer.objects.for_shop(group.shop).order_by("pk").values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (group_id, customer_id, added_at) "
            f"SELECT %s, id, %s FROM {customers} WHERE shop_id = %s AND (id - %s) %% 16 = %s ORDER BY id"
            + (" LIMIT %s" if limit else ""),
            [group.pk, timezone.now(), group.shop_id, low, remainder, *([limit] if limit else [])],
        )


def _trial_group(shop: Shop, name: str, *, remainder: int, size: int) -> CustomerGroup:
    """A sending benchmark's group of ``size`` customers, remade when the size changed."""
    group = CustomerGroup.objects.filter(shop=shop, name=name).first()
    if group is not None and group.memberships.count() == size:
        return group
    if group is not None:
        group.memberships.all().delete()
    else:
        group = CustomerGroup.objects.create(shop=shop, name=name, kind=CustomerGroup.Kind.STATIC)
    _static_members(group, remainder=remainder, limit=size)
    return group


def campaign_shop(report) -> CampaignShop:
    """The benchmark's shop, built when the database does not hold it yet (and its build time
    reported)."""
    name = f"Bench campaigns {COUNT}"
    shop = Shop.objects.filter(name=name).order_by("-pk").first()
    if shop is None or Customer.objects.for_shop(shop).count() != COUNT:
        started = time.perf_counter()
        with transaction.atomic():
            shop = Shop.objects.create(name=name)
            loyalty_defaults_create(shop=shop)
            User.objects.create_user(username=f"bench-campaigns-{shop.pk}", password="x", shop=shop, role="owner")
            tiers = list(Tier.objects.for_shop(shop).order_by("threshold"))
            _insert_customers(shop, tiers, timezone.now())
        written = time.perf_counter() - started
        report(f"built the shop: {COUNT:,} customers (INSERT ... SELECT generate_series)", written, "s")
        started = time.perf_counter()
        loyal = CustomerGroup.objects.create(shop=shop, name=LOYAL, kind=CustomerGroup.Kind.STATIC)
        _static_members(loyal, remainder=1, limit=None)
        CustomerGroup.objects.create(
            shop=shop,
            name=DANANG,
            kind=CustomerGroup.Kind.RULES,
            rules={"member": "yes", "city": "Đà Nẵng", "spent_min": 10_000_000},
        )
        if connection.vendor == "postgresql":
            # What autovacuum does after a bulk load: statistics and the visibility map.
            with connection.cursor() as cursor:
                for table in ("members_customer", "members_customergroupmember"):
                    cursor.execute(f"VACUUM ANALYZE {table}")
        report("  its groups, then VACUUM ANALYZE", time.perf_counter() - started, "s")
        report("  the whole build", written + time.perf_counter() - started, "s")
    return CampaignShop(
        shop=shop,
        owner=User.objects.get(shop=shop, username__startswith="bench-campaigns-"),
        top_tier=Tier.objects.for_shop(shop).order_by("-threshold").first(),
        loyal=CustomerGroup.objects.get(shop=shop, name=LOYAL),
        danang=CustomerGroup.objects.get(shop=shop, name=DANANG),
        trial=_trial_group(shop, TRIAL, remainder=2, size=SEND),
        trial_held=_trial_group(shop, TRIAL_HELD, remainder=3, size=SEND_HELD),
    )
