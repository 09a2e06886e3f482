"""Realistic Vietnamese demo data: customers with names, phones, birthdays and a year of
orders, and members as a real shop's would be after that year: every member in a tier, moved
up on the day an order took them over a threshold, and points earned on the day each order
was paid. For trying the product and for benchmarks, at any size; deterministic for a seed."""

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import insert_rows, update_rows
from core.text import fold
from dashboard.models import DashboardState
from loyalty.models import PointEntry, Tier, TierChange
from loyalty.services import orders_points_sync
from loyalty.tiers import tiers_read
from members.models import Customer, CustomerGroup, Order
from members.services import PAID_STATUSES, apply_order_totals, group_add_customers, group_create
from shops.models import Shop

SURNAMES = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
    ("Trương", 1),
    ("Đinh", 1),
    ("Lâm", 1),
    ("Mai", 1),
]
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Bảo", "Minh", "Khánh", "Phương", "Mỹ", "Hoài"]
MIDDLE_MALE = ["Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Gia", "Hoàng", "Công", "Tuấn", "Anh"]
GIVEN_FEMALE = [
    "Anh",
    "Châu",
    "Chi",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hương",
    "Huyền",
    "Lan",
    "Linh",
    "Loan",
    "Mai",
    "My",
    "Nga",
    "Ngân",
    "Ngọc",
    "Nhung",
    "Oanh",
    "Phương",
    "Quỳnh",
    "Thảo",
    "Thu",
    "Trang",
    "Trâm",
    "Tuyết",
    "Uyên",
    "Vân",
    "Vy",
    "Yến",
]
GIVEN_MALE = [
    "An",
    "Bảo",
    "Bình",
    "Cường",
    "Dũng",
    "Duy",
    "Đạt",
    "Hải",
    "Hiếu",
    "Hoàng",
    "Hùng",
    "Huy",
    "Khang",
    "Khoa",
    "Kiên",
    "Long",
    "Lộc",
    "Minh",
    "Nam",
    "Nghĩa",
    "Phát",
    "Phúc",
    "Quân",
    "Quang",
    "Sơn",
    "Tài",
    "Thành",
    "Thắng",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
]
CITIES = [
    ("TP. Hồ Chí Minh", 30),
    ("Hà Nội", 25),
    ("Đà Nẵng", 6),
    ("Hải Phòng", 5),
    ("Cần Thơ", 4),
    ("Biên Hòa", 3),
    ("Nha Trang", 3),
    ("Huế", 3),
    ("Vũng Tàu", 2),
    ("Buôn Ma Thuột", 2),
    ("Quy Nhơn", 2),
    ("Thủ Dầu Một", 2),
    ("Vinh", 2),
    ("Đà Lạt", 2),
    ("Hạ Long", 2),
    ("Long Xuyên", 1),
]
# Today's mobile prefixes (after the 2018 renumbering), as dialled after 0. MobiFone's 089
# is only partly allocated, so it is left out.
MOBILE_PREFIXES_BY_CARRIER = {
    "Viettel": ["32", "33", "34", "35", "36", "37", "38", "39", "86", "96", "97", "98"],
    "MobiFone": ["70", "76", "77", "78", "79", "90", "93"],
    "VinaPhone": ["81", "82", "83", "84", "85", "88", "91", "94"],
    "Vietnamobile": ["56", "58", "92"],
}
MOBILE_PREFIXES = [prefix for prefixes in MOBILE_PREFIXES_BY_CARRIER.values() for prefix in prefixes]
MAIL_DOMAINS = ["gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "icloud.com"]
# (status, weight): most orders are paid; some wait, some are refunded or voided.
STATUSES = [
    (Order.FinancialStatus.PAID, 74),
    (Order.FinancialStatus.PENDING, 8),
    (Order.FinancialStatus.AUTHORIZED, 2),
    (Order.FinancialStatus.PARTIALLY_PAID, 3),
    (Order.FinancialStatus.PARTIALLY_REFUNDED, 3),
    (Order.FinancialStatus.REFUNDED, 4),
    (Order.FinancialStatus.VOIDED, 6),
]


def _weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return list(values), list(weights)


def demo_phone(index: int) -> str:
    """A distinct valid Vietnamese mobile number in E.164 for each index below 3 × 10⁸."""
    prefix = MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
    # A multiplier coprime with 10⁷ spreads consecutive indexes over the number space.
    subscriber = (index // len(MOBILE_PREFIXES) * 7_654_321 + 1_234_567) % 10_000_000
    return f"+84{prefix}{subscriber:07d}"


@dataclass
class DemoResult:
    customers: int
    orders: int


class DemoGenerator:
    def __init__(self, *, shop: Shop, seed: int, now: datetime.datetime, orders_per_customer: float = 1.5):
        self.shop = shop
        self.orders_per_customer = orders_per_customer
        self.random = random.Random(seed)
        self.now = now
        self.surnames = _weighted(SURNAMES)
        self.cities = _weighted(CITIES)
        self.statuses = _weighted(STATUSES)

    def customer(self, index: int) -> Customer:
        rnd = self.random
        female = rnd.random() < 0.62  # most online shoppers in the guide's trades are women
        surname = rnd.choices(*self.surnames)[0]
        middle = rnd.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
        given = rnd.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        name = f"{surname} {middle} {given}"
        email = ""
        if rnd.random() < 0.6:
            local = fold(f"{given}{surname}").replace(" ", "")
            email = f"{local}{index}@{rnd.choice(MAIL_DOMAINS)}"
        birthday = None
        if rnd.random() < 0.8:
            age_days = rnd.randint(18 * 365, 60 * 365)
            birthday = (self.now - datetime.timedelta(days=age_days)).date()
        created = self.now - datetime.timedelta(days=rnd.uniform(0, 730))
        member_since = None
        if rnd.random() < 0.6:
            member_since = created + datetime.timedelta(days=rnd.uniform(0, (self.now - created).days or 1))
            member_since = min(member_since, self.now)
        return Customer(
            shop=self.shop,
            name=name,
            search_name=fold(name),
            phone=demo_phone(index),
            email=email,
            birthday=birthday,
            gender=Customer.Gender.FEMALE if female else Customer.Gender.MALE,
            city=rnd.choices(*self.cities)[0],
            accepts_email=rnd.random() < 0.95,
            accepts_sms=rnd.random() < 0.9,
            member_since=member_since,
            created_at=created,
        )

    def orders_for(self, customer: Customer, start_number: int) -> list[Order]:
        rnd = self.random
        # Few customers buy often, many once or never; the mean is orders_per_customer. A few
        # regulars (about 4 in 100) buy every few weeks: a shop's higher tiers are theirs.
        mean = self.orders_per_customer * (8 if rnd.random() < 0.04 else 1)
        count = min(round(rnd.expovariate(1 / mean)), 60) if self.orders_per_customer else 0
        orders = []
        for offset in range(count):
            created = self.now - datetime.timedelta(seconds=rnd.uniform(0, 365 * 86400))
            status = rnd.choices(*self.statuses)[0]
            total = rnd.randint(99, 3_000) * 1_000
            paid = status in PAID_STATUSES or status == Order.FinancialStatus.PARTIALLY_PAID
            refunded = {
                Order.FinancialStatus.PARTIALLY_REFUNDED: total * rnd.randint(1, 5) // 10 // 1000 * 1000,
                Order.FinancialStatus.REFUNDED: total,
            }.get(status, 0)
            number = start_number + offset
            orders.append(
                Order(
                    shop=self.shop,
                    source=Order.Source.DEMO,
                    external_id=str(number),
                    number=f"#{number}",
                    customer=customer,
                    total=total,
                    # A partially paid order has half of it paid.
                    paid_amount=total if status in PAID_STATUSES else (total // 2000 * 1000 if paid else 0),
                    financial_status=status,
                    refunded_amount=refunded,
                    created_at=created,
                    paid_at=created + datetime.timedelta(minutes=rnd.randint(1, 600)) if paid else None,
                    cancelled_at=(
                        created + datetime.timedelta(hours=rnd.randint(1, 72))
                        if status in (Order.FinancialStatus.VOIDED, Order.FinancialStatus.REFUNDED)
                        else None
                    ),
                )
            )
        return orders


def demo_fill(
    *,
    shop: Shop,
    customers: int,
    orders_per_customer: float = 1.5,
    seed: int = 1,
    batch_size: int = 5_000,
    progress=None,
) -> DemoResult:
    """Add ``customers`` demo customers (and their orders) to ``shop``, in batches, each
    batch in its own transaction. Phones continue after the shop's existing demo data."""
    generator = DemoGenerator(shop=shop, seed=seed, now=timezone.now(), orders_per_customer=orders_per_customer)
    tiers = tiers_read(shop)
    first_index = Customer.objects.for_shop(shop).count()
    next_number = Order.objects.for_shop(shop).filter(source=Order.Source.DEMO).count() + 100_001
    made_customers = made_orders = 0
    for batch_start in range(first_index, first_index + customers, batch_size):
        batch_end = min(batch_start + batch_size, first_index + customers)
        batch = [generator.customer(index) for index in range(batch_start, batch_end)]
        batch_orders = []
        for customer in batch:
            orders = generator.orders_for(customer, next_number)
            next_number += len(orders)
            apply_order_totals(customer, orders)
            batch_orders.extend(orders)
        with transaction.atomic():
            Customer.objects.bulk_create(batch, batch_size=1_000)
            for order in batch_orders:
                order.customer_id = order.customer.pk
            Order.objects.bulk_create(batch_orders, batch_size=2_000)
            _place_in_tiers(shop, tiers, batch, batch_orders)
            # Members' orders since they joined earn points, as real ones do, on the day
            # each was paid (a real shop's ledger fills over the year, not at set-up).
            orders_points_sync(shop=shop, order_ids=[order.pk for order in batch_orders])
            _date_points_by_orders(shop, batch_orders)
        made_customers += len(batch)
        made_orders += len(batch_orders)
        if progress:
            progress(made_customers, made_orders)
    # Written around the services: the overview computes every past day again.
    DashboardState.objects.filter(shop=shop).update(complete_before=None)
    return DemoResult(customers=made_customers, orders=made_orders)


def _place_in_tiers(shop: Shop, tiers: list[Tier], customers: list[Customer], orders: list[Order]) -> None:
    """Give each member the history a year of orders would have given them: the tier their
    spend reached when they joined, then a move up on the day an order took them over the
    next threshold (as ``customers_refresh_tiers`` does as orders come in)."""
    by_customer: dict[int, list[Order]] = {}
    for order in orders:
        if order.is_live:
            by_customer.setdefault(order.customer_id, []).append(order)
    joined, spend_reached = _("Became a member"), _("Spend reached the tier")
    changes, placed = [], []
    for customer in customers:
        if customer.member_since is None:
            continue
        spend, current = customer.opening_revenue, None
        for order in sorted(by_customer.get(customer.pk, []), key=lambda order: order.created_at):
            if current is None and order.created_at > customer.member_since:
                current = _reached(tiers, spend)
                changes.append((customer.pk, None, current.pk, joined, customer.member_since))
            spend += order.paid_amount - order.refunded_amount
            reached = _reached(tiers, spend)
            if current is not None and reached.threshold > current.threshold:
                changes.append((customer.pk, current.pk, reached.pk, spend_reached, order.created_at))
                current = reached
        if current is None:
            current = _reached(tiers, spend)
            changes.append((customer.pk, None, current.pk, joined, customer.member_since))
        placed.append((customer.pk, current.pk))
    insert_rows(
        TierChange, ["customer", "from_tier", "to_tier", "reason", "created_at"], changes, same={"shop": shop.pk}
    )
    update_rows(Customer, ["tier"], placed)


def _reached(tiers: list[Tier], spend: int) -> Tier:
    """The highest of the tiers (lowest first) whose threshold the spend reaches; the lowest
    for any spend."""
    reached = tiers[0]
    for tier in tiers:
        if spend >= tier.threshold:
            reached = tier
    return reached


def _date_points_by_orders(shop: Shop, orders: list[Order]) -> None:
    """Date each order's ledger lines at its payment (a reversal at its cancellation), never
    later than now."""
    now = timezone.now()
    orders_by_id = {str(order.pk): order for order in orders}
    lines = PointEntry.objects.filter(
        shop=shop, source=PointEntry.Source.ORDER, source_id__in=list(orders_by_id)
    ).values_list("pk", "source_id", "kind")
    dated = []
    for pk, source_id, kind in lines:
        order = orders_by_id[source_id]
        when = order.paid_at or order.created_at
        if kind == PointEntry.Kind.REVERSE and order.cancelled_at:
            when = order.cancelled_at
        dated.append((pk, min(when, now)))
    update_rows(PointEntry, ["created_at"], dated)


def demo_groups(*, shop: Shop) -> list[CustomerGroup]:
    """The groups a shop builds in its first weeks, so the demo's campaign audiences are not
    empty: two by conditions (they stay current) and a static list of regulars."""
    groups = [
        group_create(shop=shop, name="Khách chi tiêu từ 5 triệu", kind=CustomerGroup.Kind.RULES,
                     rules={"member": "yes", "spent_min": 5_000_000}),
        group_create(shop=shop, name="Lâu chưa quay lại (90 ngày)", kind=CustomerGroup.Kind.RULES,
                     rules={"member": "yes", "no_order_for_days": 90}),
    ]  # fmt: skip
    regulars = group_create(shop=shop, name="Khách quen", kind=CustomerGroup.Kind.STATIC)
    ids = Customer.objects.for_shop(shop).filter(orders_count__gte=3).order_by("-total_spent")[:30]
    group_add_customers(group=regulars, customer_ids=ids.values_list("pk", flat=True))
    return [*groups, regulars]
