"""Orders: recording a platform's order events, and the customer figures that follow.

A customer's order figures (first and last order, count, total spent) are recomputed from
their orders inside the transaction that changes an order, with the customer's row locked,
so concurrent order events for one customer cannot lose each other's effect.
"""

import datetime

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.db import bulk_update_rows, concrete_field, insert_rows
from members.models import Customer, Order
from members.records import OrderData, OrderResult, OrdersTouched
from members.services.customers import customers_upsert
from shops.models import Shop

PAID_STATUSES = frozenset(
    {Order.FinancialStatus.PAID, Order.FinancialStatus.PARTIALLY_REFUNDED, Order.FinancialStatus.REFUNDED}
)


def apply_order_totals(customer: Customer, orders: list[Order]) -> None:
    """Set the customer's order figures from a list of their orders (for bulk loads; the
    database version is ``customers_refresh_totals``). Spend is what was paid minus refunds."""
    live = [order for order in orders if order.is_live]
    customer.orders_count = len(live)
    customer.first_order_at = min((order.created_at for order in live), default=None)
    customer.last_order_at = max((order.created_at for order in live), default=None)
    customer.total_spent = sum(order.paid_amount - order.refunded_amount for order in live)


def customers_refresh_totals(*, customer_ids: list[int] | set[int]) -> None:
    """Recompute customers' order figures from the orders table, in one set-based UPDATE.
    Call it inside the transaction that changed the orders, with the customers locked."""
    if not customer_ids:
        return
    live = Order.objects.live().filter(customer_id=OuterRef("pk"))
    per_customer = live.order_by().values("customer_id")
    Customer.objects.filter(pk__in=customer_ids).update(
        orders_count=Coalesce(Subquery(per_customer.annotate(n=Count("id")).values("n")), 0),
        total_spent=Coalesce(
            Subquery(per_customer.annotate(spent=Sum(F("paid_amount") - F("refunded_amount"))).values("spent")), 0
        ),
        first_order_at=Subquery(live.order_by("created_at").values("created_at")[:1]),
        last_order_at=Subquery(live.order_by("-created_at").values("created_at")[:1]),
    )


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


# The columns a new order is written with (every other one has its model default).
_INSERT_FIELDS = [
    concrete_field(Order, name)
    for name in ("shop", "source", "external_id", *_ORDER_FIELDS, "customer", "source_updated_at", "updated_at")
]


def orders_upsert(*, shop: Shop, items: list[OrderData]) -> OrdersTouched:
    """Write order events' customer and order rows, a page at a time, in a few queries, and
    return what changed (``loyalty.orders.orders_record`` goes on from there: membership,
    tiers, points, the overview's days). Safe to repeat and to run concurrently: an order is
    unique per shop and source (a database constraint); an event older than what is stored
    changes nothing; the customers concerned are locked in id order and their figures
    recomputed in one statement. Call inside a transaction."""
    if not items:
        return OrdersTouched(results=[])
    latest: dict[tuple[str, str], OrderData] = {}
    for data in items:
        key = (data.source, data.external_id)
        if key not in latest or _newer(data, latest[key]):
            latest[key] = data
    customer_ids = customers_upsert(shop=shop, items=[d.customer for d in latest.values() if d.customer])
    existing_filter = Q()
    for source in {source for source, _id in latest}:
        existing_filter |= Q(source=source, external_id__in=[eid for src, eid in latest if src == source])
    existing = {
        (order.source, order.external_id): order
        for order in Order.objects.select_for_update().filter(existing_filter, shop=shop).order_by("pk")
    }
    touched_customers: set[int] = set()
    new_rows: dict[tuple[str, str], Order] = {}
    for key, data in latest.items():
        if key in existing:
            continue
        order = Order(shop=shop, source=data.source, external_id=data.external_id)
        _fill_order(order, data, customer_ids.get(data.customer.phone) if data.customer else None)
        new_rows[key] = order
    created: dict[tuple[str, str], int] = {}
    inserted: dict[tuple[str, str], Order] = {}
    if new_rows:
        # One INSERT … ON CONFLICT DO NOTHING RETURNING: the ids of the rows this call made
        # come back with it (and those rows stay locked by it until the transaction ends).
        names = [field.attname for field in _INSERT_FIELDS]
        created = {
            (source, external_id): pk
            for source, external_id, pk in insert_rows(
                Order,
                [field.name for field in _INSERT_FIELDS],
                [[getattr(order, name) for name in names] for order in new_rows.values()],
                conflict=("shop", "source", "external_id"),
                returning=("source", "external_id", "id"),
            )
        }
        lost = [key for key in new_rows if key not in created]
        if lost:
            # Rows another worker inserted first are now visible: treat those as updates.
            lost_filter = Q()
            for source in {source for source, _id in lost}:
                lost_filter |= Q(source=source, external_id__in=[eid for src, eid in lost if src == source])
            inserted = {
                (order.source, order.external_id): order
                for order in Order.objects.select_for_update()
                .filter(lost_filter, shop=shop)  # (source, external id): the unique index answers it
                .order_by("pk")
            }
    updated_rows = []
    results: dict[tuple[str, str], OrderResult] = {}
    moments: list[datetime.datetime | None] = []  # when the changed orders were placed, for the dashboard's days
    for key, data in latest.items():
        customer_id = customer_ids.get(data.customer.phone) if data.customer else None
        if key in created:
            results[key] = OrderResult(order_id=created[key], created=True, changed=True)
            row = new_rows[key]
            moments.append(row.created_at)
            if row.customer_id:
                touched_customers.add(row.customer_id)
            continue
        stored = existing.get(key)
        order = stored if stored is not None else inserted[key]
        if stored is None and order.source_updated_at == data.updated_at and order.number == data.number:
            # Inserted by another worker with this very version: it counts as created.
            results[key] = OrderResult(order_id=order.pk, created=True, changed=True)
            moments.append(order.created_at)
            if order.customer_id:
                touched_customers.add(order.customer_id)
            continue
        if order.source_updated_at and data.updated_at and data.updated_at <= order.source_updated_at:
            results[key] = OrderResult(order_id=order.pk, created=False, changed=False)
            continue
        if order.customer_id:
            touched_customers.add(order.customer_id)
        moments.append(order.created_at)
        _fill_order(order, data, customer_id)
        moments.append(order.created_at)
        updated_rows.append(order)
        results[key] = OrderResult(order_id=order.pk, created=False, changed=True)
        if customer_id:
            touched_customers.add(customer_id)
    if updated_rows:
        bulk_update_rows(updated_rows, [*_ORDER_FIELDS, "source_updated_at", "customer", "updated_at"])
    touched = Customer.objects.filter(pk__any=touched_customers)
    moments += list(touched.values_list("first_order_at", flat=True)) if touched_customers else []
    customers_refresh_totals(customer_ids=touched_customers)
    # A first order that moved changes its old and its new day.
    moments += list(touched.values_list("first_order_at", flat=True)) if touched_customers else []
    return OrdersTouched(
        results=[results[(data.source, data.external_id)] for data in items],
        customer_ids=touched_customers,
        moments=moments,
    )


def _newer(data: OrderData, than: OrderData) -> bool:
    if data.updated_at is None or than.updated_at is None:
        return True
    return data.updated_at >= than.updated_at


def _fill_order(order: Order, data: OrderData, customer_id: int | None) -> None:
    paid_at = order.paid_at
    for name in _ORDER_FIELDS:
        setattr(order, name, getattr(data, name))
    if order.paid_at is None:
        order.paid_at = paid_at
    if order.paid_at is None and data.financial_status in PAID_STATUSES:
        order.paid_at = data.updated_at or data.created_at
    order.source_updated_at = data.updated_at
    order.customer_id = customer_id
    order.updated_at = timezone.now()
