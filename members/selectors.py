"""Reads of customers: search, filters and sorting for the member list, its export and
the rule groups."""

import datetime
import re
from dataclasses import dataclass, fields
from typing import Any

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.pagination import CappedPaginator
from core.text import fold
from members.models import Customer, CustomerGroup
from members.phones import try_normalize_phone
from shops.models import Shop

SORTS = {
    "name": "search_name",
    "phone": "phone",
    "member_since": "member_since",
    "last_order": "last_order_at",
    "orders": "orders_count",
    "spent": "total_spent",
    "points": "points_balance",
}
DEFAULT_SORT = "-last_order"
NULLABLE_SORTS = {"member_since", "last_order_at"}


@dataclass
class CustomerFilters:
    """What the member list, its export and a rule group can ask for. Empty means any."""

    q: str = ""
    member: str = ""  # "yes" / "no"
    has_email: str = ""  # "yes" / "no"
    accepts_sms: str = ""  # "yes" / "no"
    birthday_month: int | None = None
    spent_min: int | None = None
    spent_max: int | None = None
    last_order_after: datetime.date | None = None
    last_order_before: datetime.date | None = None
    city: str = ""
    gender: str = ""
    # Relative to the day the filter is used, so that a rule group stays current.
    ordered_within_days: int | None = None
    no_order_for_days: int | None = None
    group: int | None = None
    tier: int | None = None
    points_min: int | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "CustomerFilters":
        """From a form's cleaned data, or from the JSON a job or a rule group stored."""
        kinds = {field.name: field.type for field in fields(cls)}
        values = {}
        for key, value in params.items():
            if key not in kinds or value in (None, ""):
                continue
            kind = str(kinds[key])
            if "date" in kind and isinstance(value, str):
                value = datetime.date.fromisoformat(value)
            elif "int" in kind and not isinstance(value, int):
                value = int(value)
            values[key] = value
        return cls(**values)

    def to_params(self) -> dict[str, Any]:
        params = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value not in (None, ""):
                params[field.name] = value.isoformat() if isinstance(value, datetime.date) else value
        return params


# A word that can be part of an e-mail address: no spaces, no letters with marks.
_EMAIL_PART = re.compile(r"^[A-Za-z0-9._%+\-]{3,}$")


def _search(customers: QuerySet[Customer], text: str) -> QuerySet[Customer]:
    """A phone in any form people type, part of a number, an e-mail, or a name with or
    without marks."""
    text = text.strip()
    if not text:
        return customers
    if "@" in text:
        return customers.filter(email__ilike=text)
    phone = try_normalize_phone(text)
    if phone:
        return customers.filter(phone=phone)
    digits = re.sub(r"[\s.\-()+]", "", text)
    if digits.isdigit():
        if len(digits) < 3:
            return customers.none()
        # Part of a number: compare without the leading 0, as stored numbers have +84.
        return customers.filter(phone__contains=digits.lstrip("0") or digits)
    if _EMAIL_PART.match(text):
        # One word of what addresses are made of ("gmail.com", "mai.nguyen"): the name or
        # the address; two trigram indexes, which PostgreSQL combines (BitmapOr).
        return customers.filter(Q(search_name__contains=fold(text)) | Q(email__ilike=text))
    return customers.filter(search_name__contains=fold(text))


def _yes_no(value: str, condition: Q) -> Q | None:
    if value == "yes":
        return condition
    if value == "no":
        return ~condition
    return None


def customer_filter(*, shop: Shop, filters: CustomerFilters) -> QuerySet[Customer]:
    customers = _search(Customer.objects.for_shop(shop), filters.q)
    conditions = [
        _yes_no(filters.member, Q(member_since__isnull=False)),
        _yes_no(filters.has_email, ~Q(email="")),
        _yes_no(filters.accepts_sms, Q(accepts_sms=True)),
    ]
    for condition in conditions:
        if condition is not None:
            customers = customers.filter(condition)
    if filters.tier:
        customers = customers.filter(tier_id=filters.tier)
    if filters.points_min is not None:
        customers = customers.filter(points_balance__gte=filters.points_min)
    if filters.birthday_month:
        customers = customers.filter(birthday__month=filters.birthday_month)
    if filters.spent_min is not None:
        customers = customers.filter(total_spent__gte=filters.spent_min)
    if filters.spent_max is not None:
        customers = customers.filter(total_spent__lte=filters.spent_max)
    tz = shop.tzinfo
    if filters.last_order_after:
        start = datetime.datetime.combine(filters.last_order_after, datetime.time.min, tzinfo=tz)
        customers = customers.filter(last_order_at__gte=start)
    if filters.last_order_before:
        end = datetime.datetime.combine(filters.last_order_before, datetime.time.min, tzinfo=tz)
        customers = customers.filter(last_order_at__lt=end + datetime.timedelta(days=1))
    now = timezone.now()
    if filters.ordered_within_days is not None:
        customers = customers.filter(last_order_at__gte=now - datetime.timedelta(days=filters.ordered_within_days))
    if filters.no_order_for_days is not None:
        cutoff = now - datetime.timedelta(days=filters.no_order_for_days)
        customers = customers.filter(Q(last_order_at__lt=cutoff) | Q(last_order_at__isnull=True))
    if filters.group:
        group = CustomerGroup.objects.for_shop(shop).filter(pk=filters.group).first()
        customers = customers.filter(pk__in=group_members(group=group).values("pk")) if group else customers.none()
    if filters.city:
        customers = customers.filter(city__iexact=filters.city.strip())
    if filters.gender:
        customers = customers.filter(gender=filters.gender)
    return customers


# Below this many matches the page sorts the matches; above, it walks a sort index.
FEW_MATCHES = 5_000
_NULL_SORT_FLOOR = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def customer_list(
    *, shop: Shop, filters: CustomerFilters, sort: str = DEFAULT_SORT, few: bool = False
) -> QuerySet[Customer]:
    """The list in the chosen order. Ties are broken by id in the same direction, so that one
    index (see Customer.Meta and migration 0007) serves each order; customers who never
    ordered or joined come last either way.

    ``few`` says the filter leaves few customers (the caller counted them). PostgreSQL would
    still walk the sort index, testing a million rows for a search that matches a thousand;
    sorting by an expression no index serves makes it find the matches by their own index
    and sort those instead."""
    return _in_order(customer_filter(shop=shop, filters=filters), sort=sort, few=few)


def _in_order(customers: QuerySet[Customer], *, sort: str, few: bool) -> QuerySet[Customer]:
    column = SORTS.get(sort.lstrip("-"), SORTS[DEFAULT_SORT.lstrip("-")])
    key: F | Coalesce = F(column)
    if few:
        key = Coalesce(key, Value(_NULL_SORT_FLOOR)) if column in NULLABLE_SORTS else Coalesce(key, key)
    if sort.startswith("-"):
        ordering = [key.desc(nulls_last=True) if column in NULLABLE_SORTS else key.desc(), F("pk").desc()]
    else:
        ordering = [key.asc(), F("pk").asc()]
    # The tier's name comes in the same query (a join on the primary key), whatever the page size.
    return customers.order_by(*ordering).select_related("tier").only(
        "pk", "name", "phone", "email", "member_since", "last_order_at", "orders_count", "total_spent",
        "opening_revenue", "city", "birthday", "points_balance", "tier__name",
    )  # fmt: skip


def customer_page(*, shop: Shop, filters: CustomerFilters, sort: str, number: str | int | None, per_page: int):
    """One page of the member list: a capped count, then the page in the cheaper order.

    A text search is run once: its index scan (trigrams, at a million customers tens of ms)
    is most of the page's cost. It returns the ids it matches, as many as the count would
    count; when they are few, the page is sorted from those ids alone."""
    if not filters.q:
        paginator = CappedPaginator(customer_filter(shop=shop, filters=filters).order_by("pk"), per_page)
        few = paginator.count <= FEW_MATCHES  # counted once, here, and kept by the paginator
        paginator.object_list = customer_list(shop=shop, filters=filters, sort=sort, few=few)
        return paginator.get_page(number)
    matches = customer_filter(shop=shop, filters=filters).order_by()
    ids = list(matches.values_list("pk", flat=True)[: CappedPaginator.cap + 1])
    if len(ids) <= FEW_MATCHES:
        customers = _in_order(Customer.objects.for_shop(shop).filter(pk__any=set(ids)), sort=sort, few=True)
    else:
        customers = customer_list(shop=shop, filters=filters, sort=sort)
    paginator = CappedPaginator(customers, per_page, counted=len(ids))
    return paginator.get_page(number)


def group_members(*, group: CustomerGroup) -> QuerySet[Customer]:
    """The group's customers, as a queryset for campaigns to narrow further. A static group
    is a join on its membership rows; a rule group is its conditions, evaluated now."""
    if group.kind == CustomerGroup.Kind.STATIC:
        return Customer.objects.for_shop(group.shop).filter(group_memberships__group=group)
    rules = {key: value for key, value in group.rules.items() if key != "group"}
    return customer_filter(shop=group.shop, filters=CustomerFilters.from_params(rules))


def group_list(*, shop: Shop) -> list[tuple[CustomerGroup, int]]:
    """The shop's groups with their current size."""
    groups = CustomerGroup.objects.for_shop(shop).select_related("shop")
    return [(group, group_members(group=group).count()) for group in groups]


def customer_export_rows(*, shop: Shop, params: dict[str, Any]):
    """Header, row count and rows of the member-list export (the list's own filter)."""
    from django.utils.translation import gettext as _

    from core.formatting import format_date
    from members.phones import format_phone_national

    filters = CustomerFilters.from_params(params.get("filters", {}))
    customers = customer_list(shop=shop, filters=filters, sort=params.get("sort", DEFAULT_SORT))
    header = [
        _("Name"), _("Phone"), _("Email"), _("Birthday"), _("City"), _("Member since"), _("Last order"),
        _("Orders"), _("Total spent (₫)"), _("Opening revenue (₫)"), _("Points"), _("Tier"),
    ]  # fmt: skip
    tz = shop.tzinfo

    def rows():
        for customer in customers.iterator(chunk_size=5000):
            yield [
                customer.name,
                format_phone_national(customer.phone),
                customer.email,
                format_date(customer.birthday),
                customer.city,
                format_date(customer.member_since, tz),
                format_date(customer.last_order_at, tz),
                customer.orders_count,
                customer.total_spent,
                customer.opening_revenue,
                customer.points_balance,
                customer.tier.name if customer.tier else "",
            ]

    return header, customers.count(), rows()
