from django.db import models
from django.utils import timezone

from shops.models import Shop, ShopOwned


class DailyFigures(ShopOwned):
    """One shop's figures for one complete local day, summed by the dashboard over a window.
    Written by ``dashboard_refresh``; today's figures are always computed live."""

    day = models.DateField()
    orders = models.PositiveIntegerField(default=0)
    revenue = models.BigIntegerField(default=0)  # paid minus refunded, of the live orders placed that day
    member_revenue = models.BigIntegerField(default=0)  # of those, orders placed by members
    new_members = models.PositiveIntegerField(default=0)
    new_customers_guests = models.PositiveIntegerField(default=0)  # first order that day, not a member then
    new_customers_members = models.PositiveIntegerField(default=0)  # first order that day, a member then
    points_earned = models.BigIntegerField(default=0)
    points_spent = models.BigIntegerField(default=0)
    reward_codes_used = models.BigIntegerField(default=0)  # redemptions whose code a live order that day carried
    reward_code_revenue = models.BigIntegerField(default=0)  # paid minus refunded, of those orders

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "day"], name="daily_figures_once_per_day")]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.day}"


class ChangedDay(ShopOwned):
    """A past day whose figures changed (an order placed that day was cancelled, a first
    order moved, a member was activated with an earlier date): the next refresh recomputes
    its ``DailyFigures``. Deliberately not unique: a refresh deletes the marks it sees
    before it computes, so a change committed later always leaves a mark of its own."""

    day = models.DateField()

    def __str__(self) -> str:
        return f"{self.shop_id} {self.day}"


class DashboardState(models.Model):
    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="dashboard_state")
    # Every day before this one has its DailyFigures; None until the first refresh.
    complete_before = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # Members per tier id at the last refresh (counting them live takes a scan of all members).
    tiers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Dashboard of {self.shop_id}"
