"""What the member pages show, read in one call per page. A member's page composes the
customer layer with what the apps above it keep of them (points and tier from loyalty,
messages from messaging), so this module sits with the views, at the top; members' domain
modules (models, services, selectors) import nothing above them."""

from typing import Any

from loyalty.selectors import tier_progress
from members.models import Customer, CustomerGroup
from members.selectors import CustomerFilters, customer_page
from messaging.selectors import messaging_settings_read
from rewards.selectors import member_redemptions, rewards_for_member
from shops.models import ActivityEntry, Shop

DETAIL_ORDERS = 100
DETAIL_POINTS = 100
DETAIL_TIER_CHANGES = 20
DETAIL_ACTIVITY = 50
DETAIL_MESSAGES = 50


def member_list_page(
    *, shop: Shop, filters: CustomerFilters, sort: str, number: str | None, per_page: int
) -> dict[str, Any]:
    """The member list: one page of the filtered customers, and the static groups they can
    be added to."""
    page = customer_page(shop=shop, filters=filters, sort=sort, number=number, per_page=per_page)
    return {
        "page": page,
        "static_groups": CustomerGroup.objects.for_shop(shop).filter(kind=CustomerGroup.Kind.STATIC),
    }


def member_detail_page(*, shop: Shop, customer: Customer) -> dict[str, Any]:
    """A member's page: their orders, points, tier and its progress, tier history, what
    staff did to their record, and the messages sent to them (each list the latest first,
    capped)."""
    activity = ActivityEntry.objects.for_shop(shop).filter(target_type="customer", target_id=str(customer.pk))
    return {
        "customer": customer,
        "orders": customer.orders.order_by("-created_at")[:DETAIL_ORDERS],
        "points": customer.point_entries.select_related("actor")[:DETAIL_POINTS],
        "progress": tier_progress(customer) if customer.member_since else None,
        "tier_changes": customer.tier_changes.select_related("from_tier", "to_tier")[:DETAIL_TIER_CHANGES],
        "activity": activity.select_related("actor")[:DETAIL_ACTIVITY],
        "sent_messages": customer.messages.select_related("created_by").order_by("-created_at", "-id")[
            :DETAIL_MESSAGES
        ],
        "messaging": messaging_settings_read(shop),
        "reward_choices": rewards_for_member(shop=shop, customer=customer) if customer.member_since else [],
        "redemptions": member_redemptions(customer=customer),
    }
