"""Membership: a customer becomes a member (``Customer.member_since``), by staff, by a
worker for a whole filtered list, or by the shop's setting with their first paid order.

A member is placed in a tier and given the welcome points in the transaction that makes
them a member, and each activation writes its own activity-log line.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboard.changes import days_changed
from loyalty.services import members_welcome_points
from loyalty.tiers import customers_refresh_tiers
from members.locks import customers_lock
from members.models import Customer, Order
from members.selectors import CustomerFilters, customer_filter
from shops.activity import activity_entry, activity_record_many
from shops.models import ActivityKind, Shop, User

ACTIVATION_BATCH = 2_000


def members_activate(
    *,
    shop: Shop,
    actor: User | None,
    customer_ids: Iterable[int],
    ip: str | None = None,
    when: datetime.datetime | None = None,
) -> int:
    """Make customers members (set ``member_since``); customers who already are stay as
    they were. Each activation writes its own activity-log line. Returns how many."""
    when = when or timezone.now()
    activated = 0
    batch: list[int] = []

    def flush() -> int:
        with transaction.atomic():
            fresh = list(
                customers_lock(
                    Customer.objects.for_shop(shop).filter(pk__in=batch, member_since__isnull=True)
                ).values_list("pk", "name", "phone")
            )
            if not fresh:
                return 0
            activated_ids = [pk for pk, _name, _phone in fresh]
            Customer.objects.filter(pk__in=activated_ids).update(member_since=when)
            days_changed(shop=shop, moments=[when])  # an activation dated in the past
            activity_record_many(
                activity_entry(
                    shop=shop,
                    actor=actor,
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


def members_activate_filtered_request(*, shop: Shop, actor: User, params: dict[str, Any], ip: str | None) -> None:
    """Hand the activation of a whole filtered list to a worker, once this request commits."""
    from loyalty.tasks import activate_filtered

    transaction.on_commit(lambda: activate_filtered.delay(shop.pk, actor.pk, params, ip))


def members_activate_filtered(*, shop: Shop, actor: User, params: dict[str, Any], ip: str | None) -> int:
    """Activate every customer the member list's filter shows (run by a worker)."""
    filters = CustomerFilters.from_params(params)
    ids = (
        customer_filter(shop=shop, filters=filters)
        .filter(member_since__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=ACTIVATION_BATCH)
    )
    return members_activate(shop=shop, actor=actor, customer_ids=ids, ip=ip)


def members_auto_activate(*, shop: Shop, customer_ids: set[int]) -> None:
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
