"""What changes customers, orders and groups: the customer layer. Nothing here reaches an
app above it; membership, points and tiers follow in ``loyalty`` (``loyalty.orders``,
``loyalty.membership``), which calls these and goes on from what they return."""

from members.services.customers import customer_update_contact, customers_upsert
from members.services.groups import (
    PHONE_HEADERS,
    group_add_customers,
    group_create,
    group_delete,
    group_remove_customer,
    group_update,
)
from members.services.orders import PAID_STATUSES, apply_order_totals, customers_refresh_totals, orders_upsert

__all__ = [
    "PAID_STATUSES",
    "PHONE_HEADERS",
    "apply_order_totals",
    "customer_update_contact",
    "customers_refresh_totals",
    "customers_upsert",
    "group_add_customers",
    "group_create",
    "group_delete",
    "group_remove_customer",
    "group_update",
    "orders_upsert",
]
