"""The admin's export of tiers (django-import-export), one shop at a time. Export only:
a tier changes on the tier page, whose service logs the change and places members again."""

from loyalty.models import Tier
from shops.resources import ShopScopedResource


class TierResource(ShopScopedResource):
    class Meta:
        model = Tier
        fields = ("id", "shop_column", "name", "threshold", "multiplier", "removed_at")
        export_order = fields
