"""What changes customers and orders.

A customer's order figures (first and last order, count, total spent) are recomputed from
their orders inside the transaction that changes an order, with the customer's row locked,
so concurrent order events for one customer cannot lose each other's effect.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.db import bulk_update_rows, insert_rows
from core.formatting import format_int
from core.text import fold
from dashboard.changes import days_changed
from members.models import Customer, CustomerGroup, CustomerGroupMember, ImportJob, Order
from members.phones import try_normalize_phone
from members.selectors import group_members
from shops.activity import activity_record, changed_values
from shops.models import ActivityEntry, ActivityKind, Shop, User

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


def _apply_contact(customer: Customer, data: CustomerData) -> list[str]:
    """Copy what the platform knows onto the customer; returns the changed fields."""
    changed = []
    for name in ("name", "email", "birthday", "gender", "city", "haravan_id"):
        value = getattr(data, name)
        if value not in (None, "") and getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if "name" in changed:
        customer.search_name = fold(customer.name)
        changed.append("search_name")
    if data.accepts_email is not None and customer.accepts_email != data.accepts_email:
        customer.accepts_email = data.accepts_email
        changed.append("accepts_email")
    return changed


# What customers_upsert reads of a matched customer (the rest stays deferred).
_CONTACT_FIELDS = ("pk", "phone", "haravan_id", "name", "email", "birthday", "gender", "city", "accepts_email")


def customers_upsert(*, shop: Shop, items: list[CustomerData]) -> dict[str, int]:
    """Create or update many customers in a few queries; returns each given phone's
    customer id. A customer is matched by platform id, else by phone. A phone is unique per
    shop (a database constraint): two workers creating one customer at once end with one.
    The matched customers are locked, in id order, until the caller's transaction ends."""
    by_phone: dict[str, CustomerData] = {}
    for data in items:
        by_phone[data.phone] = data  # the last word on a phone wins
    if not by_phone:
        return {}
    platform_ids = {data.haravan_id for data in by_phone.values() if data.haravan_id is not None}
    scope = Customer.objects.for_shop(shop)
    found = Q(phone__in=list(by_phone))
    if platform_ids:
        found |= Q(haravan_id__in=platform_ids)
    existing = list(scope.filter(found).only("pk", "phone", "haravan_id"))
    known_phones = {customer.phone for customer in existing}
    known_platform = {customer.haravan_id for customer in existing if customer.haravan_id is not None}
    new = [
        data
        for phone, data in by_phone.items()
        if phone not in known_phones and (data.haravan_id is None or data.haravan_id not in known_platform)
    ]
    if new:
        rows = []
        for data in new:
            customer = Customer(shop=shop, phone=data.phone)
            _apply_contact(customer, data)
            rows.append(customer)
        Customer.objects.bulk_create(rows, ignore_conflicts=True)
    locked = {
        customer.pk: customer
        for customer in scope.select_for_update().filter(found).only(*_CONTACT_FIELDS).order_by("pk")
    }
    platform_index = {c.haravan_id: c for c in locked.values() if c.haravan_id is not None}
    phone_index = {c.phone: c for c in locked.values()}
    result: dict[str, int] = {}
    changed_rows: dict[int, Customer] = {}
    changed_fields: set[str] = set()
    for phone, data in by_phone.items():
        customer = platform_index.get(data.haravan_id) if data.haravan_id is not None else None
        customer = customer or phone_index[phone]
        fields = _apply_contact(customer, data)
        if customer.phone != phone and phone not in phone_index:
            # The platform changed the number: move to it, as no other customer holds it.
            phone_index.pop(customer.phone, None)
            customer.phone = phone
            phone_index[phone] = customer
            fields.append("phone")
        if fields:
            changed_rows[customer.pk] = customer
            changed_fields.update(fields)
        result[phone] = customer.pk
    if changed_rows:
        bulk_update_rows(list(changed_rows.values()), sorted(changed_fields))
    return result


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


# The columns a new order is written with (every other one has its model default).
_INSERT_FIELDS = [
    Order._meta.get_field(name)
    for name in ("shop", "source", "external_id", *_ORDER_FIELDS, "customer", "source_updated_at", "updated_at")
]


def order_upsert(*, shop: Shop, data: OrderData) -> OrderResult:
    with transaction.atomic():
        return orders_upsert(shop=shop, items=[data])[0]


def orders_upsert(*, shop: Shop, items: list[OrderData]) -> list[OrderResult]:
    """Record order events, a page at a time, in a few queries. Safe to repeat and to run
    concurrently: an order is unique per shop and source (a database constraint); an event
    older than what is stored changes nothing; the customers concerned are locked in id
    order and their figures recomputed in one statement. Call inside a transaction."""
    if not items:
        return []
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
    moments = []  # when the changed orders were placed, for the dashboard's days
    for key, data in latest.items():
        customer_id = customer_ids.get(data.customer.phone) if data.customer else None
        if key in created:
            results[key] = OrderResult(order_id=created[key], created=True, changed=True)
            moments.append(new_rows[key].created_at)
            if new_rows[key].customer_id:
                touched_customers.add(new_rows[key].customer_id)
            continue
        order = existing.get(key)
        if order is None:
            order = inserted[key]
            if order.source_updated_at == data.updated_at and order.number == data.number:
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
    moments += touched.values_list("first_order_at", flat=True) if touched_customers else []
    customers_refresh_totals(customer_ids=touched_customers)
    moments += touched.values_list("first_order_at", flat=True) if touched_customers else []
    days_changed(shop=shop, moments=moments)  # a first order that moved changes its old and new day
    _auto_activate(shop, touched_customers)
    from loyalty.services import orders_points_sync
    from loyalty.tiers import customers_refresh_tiers

    customers_refresh_tiers(shop=shop, customer_ids=touched_customers, reason=_("Spend reached the tier"))
    orders_points_sync(shop=shop, order_ids=[result.order_id for result in results.values() if result.changed])
    return [results[(data.source, data.external_id)] for data in items]


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


# Members -----------------------------------------------------------------------------------

ACTIVATION_BATCH = 2_000


def members_activate(
    *, shop: Shop, actor: User | None, customer_ids: Iterable[int], ip: str | None = None, when=None
) -> int:
    """Make customers members (set ``member_since``); customers who already are stay as
    they were. Each activation writes its own activity-log line. Returns how many."""
    when = when or timezone.now()
    activated = 0
    batch: list[int] = []

    def flush() -> int:
        with transaction.atomic():
            fresh = list(
                Customer.objects.for_shop(shop)
                .select_for_update()
                .filter(pk__in=batch, member_since__isnull=True)
                .order_by("pk")
                .values_list("pk", "name", "phone")
            )
            if not fresh:
                return 0
            Customer.objects.filter(pk__in=[pk for pk, _name, _phone in fresh]).update(member_since=when)
            days_changed(shop=shop, moments=[when])  # an activation dated in the past
            ActivityEntry.objects.bulk_create(
                ActivityEntry(
                    shop=shop,
                    actor=actor,
                    actor_name=actor.display_name if actor else "",
                    kind=ActivityKind.MEMBER_ACTIVATED,
                    target_type="customer",
                    target_id=str(pk),
                    target_label=f"{name} ({phone})",
                    summary=_("%(customer)s became a member.") % {"customer": name or phone},
                    after={"member_since": when.isoformat()},
                    ip=ip,
                    created_at=when,
                )
                for pk, name, phone in fresh
            )
            from loyalty.services import members_welcome_points
            from loyalty.tiers import customers_refresh_tiers

            activated_ids = [pk for pk, _name, _phone in fresh]
            customers_refresh_tiers(shop=shop, customer_ids=activated_ids, reason=_("Became a member"))
            members_welcome_points(shop=shop, customer_ids=activated_ids)
        return len(fresh)

    for customer_id in customer_ids:
        batch.append(customer_id)
        if len(batch) >= ACTIVATION_BATCH:
            activated += flush()
            batch = []
    if batch:
        activated += flush()
    return activated


def members_activate_filtered_request(*, shop: Shop, actor: User, params: dict, ip: str | None) -> None:
    """Hand the activation of a whole filtered list to a worker, once this request commits."""
    from members.tasks import activate_filtered

    transaction.on_commit(lambda: activate_filtered.delay(shop.pk, actor.pk, params, ip))


def members_activate_filtered(*, shop: Shop, actor: User, params: dict, ip: str | None) -> int:
    """Activate every customer the member list's filter shows (run by a worker)."""
    from members.selectors import CustomerFilters, customer_filter

    filters = CustomerFilters.from_params(params)
    ids = (
        customer_filter(shop=shop, filters=filters)
        .filter(member_since__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=ACTIVATION_BATCH)
    )
    return members_activate(shop=shop, actor=actor, customer_ids=ids, ip=ip)


def _auto_activate(shop: Shop, customer_ids: set[int]) -> None:
    """The shop's setting: a customer becomes a member with their first paid order, from
    the moment that order was placed (so it counts for them)."""
    if not customer_ids or not shop.auto_activate_members:
        return
    paid = Order.objects.live().filter(
        customer_id__in=customer_ids, customer__member_since__isnull=True, paid_amount__gt=0
    )
    first_paid = dict(paid.values("customer_id").annotate(first=Min("created_at")).values_list("customer_id", "first"))
    for customer_id, first in first_paid.items():
        members_activate(shop=shop, actor=None, customer_ids=[customer_id], when=first)


def customer_update_contact(*, shop: Shop, actor: User, customer: Customer, ip: str | None, **values: Any) -> bool:
    """Staff edit a customer's contact details; the phone comes normalised from the form
    and stays unique in the shop (a database constraint)."""
    with transaction.atomic():
        customer = Customer.objects.for_shop(shop).select_for_update().get(pk=customer.pk)
        before_all = {name: getattr(customer, name) for name in values}
        for name, value in values.items():
            setattr(customer, name, value)
        before, after = changed_values(before_all, values)
        if not after:
            return False
        customer.search_name = fold(customer.name)
        customer.save(update_fields=[*after, "search_name"])
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.CUSTOMER_CHANGED,
            target=customer,
            target_label=f"{customer.name} ({customer.phone})",
            summary=_("Details of %(customer)s changed: %(fields)s.")
            % {"customer": customer.name or customer.phone, "fields": ", ".join(after)},
            before={key: _jsonable(value) for key, value in before.items()},
            after={key: _jsonable(value) for key, value in after.items()},
            ip=ip,
        )
    return True


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


# Customer groups ---------------------------------------------------------------------------

PHONE_HEADERS = {"dienthoai", "sodienthoai", "phone", "sđt", "sdt", "so dien thoai", "dien thoai", "mobile"}


def group_create(*, shop: Shop, name: str, kind: str, rules: dict | None = None) -> CustomerGroup:
    return CustomerGroup.objects.create(shop=shop, name=name.strip(), kind=kind, rules=rules or {})


def group_update(*, group: CustomerGroup, name: str, rules: dict | None = None) -> None:
    group.name = name.strip()
    if group.kind == CustomerGroup.Kind.RULES and rules is not None:
        group.rules = rules
    group.save(update_fields=["name", "rules", "updated_at"])


class GroupBusy(Exception):
    """A group is not deleted while a phone list is being read or added to it."""


def group_delete(*, shop: Shop, actor: User | None, group: CustomerGroup, ip: str | None = None) -> int:
    """Delete a group (its membership rows, not its customers), logged with what it was.
    Returns how many customers it held."""
    with transaction.atomic():
        from members.imports import imports_cancel

        group = CustomerGroup.objects.select_for_update().get(pk=group.pk)
        # Locked, so that no list is confirmed between this check and the deletion.
        lists = ImportJob.objects.filter(group=group)
        statuses = set(lists.select_for_update().values_list("status", flat=True))
        busy = {ImportJob.Status.ANALYSING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING, ImportJob.Status.FAILED}
        if statuses & busy:
            raise GroupBusy(
                _(
                    "A phone list is being read or added to this group, or stopped before it was added (resume it "
                    "on its page): wait until it is done, then delete."
                )
            )
        # A list waiting for its confirmation would add to a group that is gone: cancelled.
        imports_cancel(jobs=lists.filter(status=ImportJob.Status.READY))
        size = group_members(group=group).count()
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.GROUP_DELETED,
            target=group,
            target_label=group.name,
            summary=ngettext(
                "Group %(group)s deleted; it held %(count)s customer.",
                "Group %(group)s deleted; it held %(count)s customers.",
                size,
            )
            % {"group": group.name, "count": format_int(size)},
            before={"name": group.name, "kind": group.kind, "rules": group.rules, "customers": size},
            ip=ip,
        )
        group.delete()
    return size


def group_add_customers(*, group: CustomerGroup, customer_ids: Iterable[int]) -> int:
    """Add customers to a static group; those already in it stay once (a unique constraint).
    Returns how many were new."""
    before = CustomerGroupMember.objects.filter(group=group).count()
    batch: list[CustomerGroupMember] = []
    for customer_id in customer_ids:
        batch.append(CustomerGroupMember(group=group, customer_id=customer_id))
        if len(batch) == 5_000:
            CustomerGroupMember.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    CustomerGroupMember.objects.bulk_create(batch, ignore_conflicts=True)
    return CustomerGroupMember.objects.filter(group=group).count() - before


def group_remove_customer(*, group: CustomerGroup, customer_id: int) -> None:
    CustomerGroupMember.objects.filter(group=group, customer_id=customer_id).delete()
