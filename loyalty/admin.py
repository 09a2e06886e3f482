from django.contrib import admin

from loyalty.models import Tier
from loyalty.resources import TierResource
from shops.admin_io import ShopScopedExportMixin


@admin.register(Tier)
class TierAdmin(ShopScopedExportMixin, admin.ModelAdmin):
    """Export only: a tier changes on the tier page, whose service logs it and places members."""

    resource_classes = [TierResource]
    list_display = ["name", "shop", "threshold", "multiplier", "removed_at"]
    list_filter = ["shop"]
    list_select_related = ["shop"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
