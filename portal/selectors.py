"""What the member's own page shows: one member's points, tier, history and rewards."""

import datetime
from typing import Any

from django.db.models import Min
from django.utils import timezone

from haravan.selectors import connection_with_token
from loyalty.models import PointEntry
from loyalty.selectors import tier_progress
from loyalty.services import points_lapsing
from members.models import Customer
from rewards.selectors import member_redemptions, rewards_for_member
from shops.models import Shop

HOME_POINTS = 30
HOME_ORDERS = 20


def member_home(*, shop: Shop, customer: Customer) -> dict[str, Any]:
    """The member's page. Everything is read through ``customer``, the one the session
    proved, and the shop: nothing here takes an id from the request."""
    now = timezone.now()
    next_lapse = PointEntry.objects.filter(shop=shop, customer=customer, points__gt=0, expires_at__gt=now).aggregate(
        first=Min("expires_at")
    )["first"]
    lapsing = 0
    if next_lapse is not None:
        lapsing = points_lapsing(shop=shop, customer_ids=[customer.pk], at=next_lapse).get(customer.pk, 0)
    choices = rewards_for_member(shop=shop, customer=customer)
    return {
        "customer": customer,
        "lapsing": lapsing,
        # The last moment the points are good: lapsing happens at the local midnight that begins the day.
        "lapsing_on": timezone.localtime(next_lapse, shop.tzinfo) - datetime.timedelta(seconds=1) if lapsing else None,
        "progress": tier_progress(customer),
        "points": customer.point_entries.all()[:HOME_POINTS],
        "orders": customer.orders.order_by("-created_at")[:HOME_ORDERS],
        "affordable": [choice for choice in choices if not choice.refusal],
        "out_of_reach": [choice for choice in choices if choice.refusal],
        "redemptions": member_redemptions(customer=customer),
        # Codes are Haravan discounts: without the connection, rewards are shown, not sold.
        "redeemable": connection_with_token(shop_id=shop.pk) is not None,
    }
