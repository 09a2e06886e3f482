"""Recording orders for the loyalty program: the one path every order event takes (Haravan's
webhooks and syncs, the demo), top to bottom.

``members.services.orders_upsert`` writes the customer and order rows and says what it
touched; from that, in the same transaction, the overview's days are marked, customers who
qualify become members (the shop's setting), tiers follow the new spend, and each changed
order's points are posted to the ledger.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from dashboard.changes import days_changed
from loyalty.membership import members_auto_activate
from loyalty.services import orders_points_sync
from loyalty.tiers import customers_refresh_tiers
from members.records import OrderData, OrderResult
from members.services import orders_upsert
from shops.models import Shop


def orders_record(*, shop: Shop, items: list[OrderData]) -> list[OrderResult]:
    """Record order events and everything that follows from them; returns each given
    order's result, in the order given. Safe to repeat and to run concurrently (see
    ``orders_upsert``). Call inside a transaction."""
    touched = orders_upsert(shop=shop, items=items)
    if not touched.results:
        return []
    days_changed(shop=shop, moments=touched.moments)
    members_auto_activate(shop=shop, customer_ids=touched.customer_ids)
    customers_refresh_tiers(shop=shop, customer_ids=touched.customer_ids, reason=_("Spend reached the tier"))
    orders_points_sync(shop=shop, order_ids=touched.changed_order_ids)
    return touched.results


def order_record(*, shop: Shop, data: OrderData) -> OrderResult:
    """One order event, in its own transaction."""
    with transaction.atomic():
        return orders_record(shop=shop, items=[data])[0]
