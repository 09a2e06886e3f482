from django.contrib import admin

from members.models import Customer, Order
from members.resources import CustomerResource, OrderResource
from shops.admin_io import ShopScopedExportMixin, ShopScopedImportExportMixin


@admin.register(Customer)
class CustomerAdmin(ShopScopedImportExportMixin, admin.ModelAdmin):
    """Import (contact details, by phone) and export, one shop at a time; the product's pages
    are where customers are worked with."""

    resource_classes = [CustomerResource]
    list_display = ["phone", "name", "shop", "member_since", "tier", "points_balance"]
    list_filter = ["shop"]
    list_select_related = ["shop", "tier"]
    search_fields = ["phone", "name"]
    readonly_fields = ["search_name"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Order)
class OrderAdmin(ShopScopedExportMixin, admin.ModelAdmin):
    """Export only: orders come from Haravan through loyalty's order service."""

    resource_classes = [OrderResource]
    list_display = ["number", "shop", "customer", "total", "financial_status", "created_at", "cancelled_at"]
    list_filter = ["shop", "financial_status"]
    list_select_related = ["shop", "customer"]
    search_fields = ["number", "external_id"]
    raw_id_fields = ["customer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
