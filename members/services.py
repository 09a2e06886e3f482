"""What changes customers and orders.

A customer's order figures (first and last order, count, total spent) are recomputed from
their orders inside the transaction that changes an order, with the customer's row locked,
so concurrent order events for one customer cannot lose each other's effect.
"""

import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, Q, Sum

from members.models import Customer, Order
from members.phones import try_normalize_phone
from shops.models import Shop

# Orders that do not count at all: voided, or cancelled.
LIVE_ORDERS = ~Q(financial_status=Order.FinancialStatus.VOIDED) & Q(cancelled_at__isnull=True)
PAID_STATUSES = frozenset(
    {Order.FinancialStatus.PAID, Order.FinancialStatus.PARTIALLY_REFUNDED, Order.FinancialStatus.REFUNDED}
)


def order_counts(order: Order) -> bool:
    return order.financial_status != Order.FinancialStatus.VOIDED and order.cancelled_at is None


def apply_order_totals(customer: Customer, orders: list[Order]) -> None:
    """Set the customer's order figures from a list of their orders (for bulk loads; the
    database version is ``customer_refresh_totals``). Spend is what was paid minus refunds."""
    live = [order for order in orders if order_counts(order)]
    customer.orders_count = len(live)
    customer.first_order_at = min((order.created_at for order in live), default=None)
    customer.last_order_at = max((order.created_at for order in live), default=None)
    customer.total_spent = sum(order.paid_amount - order.refunded_amount for order in live)


def customer_refresh_totals(*, customer_id: int) -> None:
    """Recompute one customer's order figures from the orders table. Call it inside the
    transaction that changed the orders, after locking the customer."""
    totals = Order.objects.filter(LIVE_ORDERS, customer_id=customer_id).aggregate(
        count=Count("id"),
        first=Min("created_at"),
        last=Max("created_at"),
        spent=Sum(F("paid_amount") - F("refunded_amount")),
    )
    Customer.objects.filter(pk=customer_id).update(
        orders_count=totals["count"],
        first_order_at=totals["first"],
        last_order_at=totals["last"],
        total_spent=totals["spent"] or 0,
    )


# Customers ---------------------------------------------------------------------------------


@dataclass
class CustomerData:
    """A customer as a platform describes them, already cleaned."""

    phone: str  # E.164
    name: str = ""
    email: str = ""
    birthday: datetime.date | None = None
    gender: str = ""
    city: str = ""
    haravan_id: int | None = None
    accepts_email: bool | None = None
    extra: dict = field(default_factory=dict)


def _apply_contact(customer: Customer, data: CustomerData) -> list[str]:
    """Copy what the platform knows onto the customer; returns the changed fields."""
    changed = []
    for name in ("name", "email", "birthday", "gender", "city", "haravan_id"):
        value = getattr(data, name)
        if value not in (None, "") and getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if data.accepts_email is not None and customer.accepts_email != data.accepts_email:
        customer.accepts_email = data.accepts_email
        changed.append("accepts_email")
    return changed


def customer_upsert(*, shop: Shop, data: CustomerData) -> Customer:
    """Find the shop's customer by platform id, else by phone, and update them; or create
    them. A phone is unique per shop (a database constraint), so two workers creating the
    same customer at once end with one."""
    customer = None
    if data.haravan_id is not None:
        customer = Customer.objects.for_shop(shop).filter(haravan_id=data.haravan_id).first()
    if customer is None:
        customer = Customer.objects.for_shop(shop).filter(phone=data.phone).first()
    if customer is None:
        try:
            with transaction.atomic():
                customer = Customer(shop=shop, phone=data.phone)
                _apply_contact(customer, data)
                customer.save()
                return customer
        except IntegrityError:
            customer = Customer.objects.for_shop(shop).get(phone=data.phone)
    changed = _apply_contact(customer, data)
    if customer.phone != data.phone and not Customer.objects.for_shop(shop).filter(phone=data.phone).exists():
        # The platform changed the number: move to it unless another customer holds it.
        customer.phone = data.phone
        changed.append("phone")
    if changed:
        customer.save(update_fields=changed)
    return customer


# Orders ------------------------------------------------------------------------------------


@dataclass
class OrderData:
    """An order as a platform describes it, already cleaned."""

    source: str
    external_id: str
    number: str
    total: int
    paid_amount: int
    refunded_amount: int
    financial_status: str
    created_at: datetime.datetime
    updated_at: datetime.datetime | None
    paid_at: datetime.datetime | None = None
    cancelled_at: datetime.datetime | None = None
    discount_codes: list[str] = field(default_factory=list)
    phone_raw: str = ""
    customer: CustomerData | None = None


@dataclass(frozen=True)
class OrderResult:
    order_id: int
    created: bool
    changed: bool


_ORDER_FIELDS = (
    "number",
    "total",
    "paid_amount",
    "refunded_amount",
    "financial_status",
    "created_at",
    "paid_at",
    "cancelled_at",
    "discount_codes",
    "phone_raw",
)


def order_upsert(*, shop: Shop, data: OrderData) -> OrderResult:
    """Record an order event. Safe to repeat and to run concurrently: an order is unique per
    shop and source (a database constraint); an event older than what is stored changes
    nothing; the customer's figures are recomputed with their row locked."""
    customer = customer_upsert(shop=shop, data=data.customer) if data.customer else None
    with transaction.atomic():
        if customer is not None:
            # Every writer of this customer's orders queues here.
            Customer.objects.select_for_update().filter(pk=customer.pk).first()
        order = (
            Order.objects.select_for_update()
            .filter(shop=shop, source=data.source, external_id=data.external_id)
            .first()
        )
        created = False
        if order is None:
            order = Order(shop=shop, source=data.source, external_id=data.external_id)
            _fill_order(order, data, customer)
            try:
                with transaction.atomic():
                    order.save()
                created = True
            except IntegrityError:
                # Another worker created it between our read and write: treat as an update.
                order = Order.objects.select_for_update().get(
                    shop=shop, source=data.source, external_id=data.external_id
                )
        if not created:
            if order.source_updated_at and data.updated_at and data.updated_at <= order.source_updated_at:
                return OrderResult(order_id=order.pk, created=False, changed=False)
            previous_customer_id = order.customer_id
            _fill_order(order, data, customer)
            order.save()
            if previous_customer_id and previous_customer_id != order.customer_id:
                customer_refresh_totals(customer_id=previous_customer_id)
        if order.customer_id:
            customer_refresh_totals(customer_id=order.customer_id)
    return OrderResult(order_id=order.pk, created=created, changed=True)


def _fill_order(order: Order, data: OrderData, customer: Customer | None) -> None:
    for name in _ORDER_FIELDS:
        setattr(order, name, getattr(data, name))
    if order.paid_at is None and data.financial_status in PAID_STATUSES:
        order.paid_at = data.updated_at or data.created_at
    order.source_updated_at = data.updated_at
    order.customer = customer


def phone_from_candidates(*candidates: object) -> tuple[str | None, str]:
    """The first valid number among what a platform sent, and the first non-empty raw value
    (kept on an order that stays unattached, to say why)."""
    raw_first = ""
    for candidate in candidates:
        if candidate in (None, ""):
            continue
        raw_first = raw_first or str(candidate)
        phone = try_normalize_phone(candidate)
        if phone:
            return phone, raw_first
    return None, raw_first
