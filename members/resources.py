"""The admin's import and export of customers and orders (django-import-export), one shop
at a time (``shops.resources``).

Customers are imported by phone, normalised as everywhere in the product
(``members.phones.normalize_phone``): '0912 345 678' finds or makes +84912345678, and a
row whose phone is not a number is refused with the reason. Only contact details are
imported; what orders and the ledger make (spend, points, tier, membership) is exported
only. Orders are exported only: they come from Haravan through loyalty's order service,
which also moves points, tiers and the overview's days.
"""

from typing import Any

from django.core.exceptions import ValidationError
from import_export import fields

from core.text import fold
from members.models import Customer, Order
from members.phones import InvalidPhone, normalize_phone
from shops.resources import ShopScopedResource

CUSTOMER_IMPORTED = ("phone", "name", "email", "birthday", "gender", "city", "accepts_email", "accepts_sms")
# Exported, never imported: what the product computed from orders and the ledger.
CUSTOMER_COMPUTED = ("id", "member_since", "first_order_at", "last_order_at", "orders_count", "total_spent",
                     "opening_revenue", "points_balance", "created_at")  # fmt: skip


class CustomerResource(ShopScopedResource):
    tier = fields.Field(attribute="tier__name", column_name="tier", readonly=True)

    class Meta:
        model = Customer
        import_id_fields = ("phone",)
        fields = ("shop_column", *CUSTOMER_IMPORTED, "tier", *CUSTOMER_COMPUTED)
        export_order = fields
        skip_unchanged = True
        report_skipped = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in CUSTOMER_COMPUTED:
            self.fields[name].readonly = True

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        super().before_import_row(row, **kwargs)
        try:
            row["phone"] = normalize_phone(row.get("phone"))
        except InvalidPhone as error:
            raise ValidationError({"phone": str(error)}) from error

    def before_save_instance(self, instance: Customer, row: Any, **kwargs: Any) -> None:
        instance.search_name = fold(instance.name)  # as the services keep it, for the member search


class OrderResource(ShopScopedResource):
    """Export only (the admin offers no import)."""

    customer_phone = fields.Field(attribute="customer__phone", column_name="customer_phone", readonly=True)

    class Meta:
        model = Order
        fields = ("id", "shop_column", "source", "external_id", "number", "customer_phone", "total", "paid_amount",
                  "financial_status", "refunded_amount", "created_at", "paid_at", "cancelled_at")  # fmt: skip
        export_order = fields
