"""Rewards (đổi điểm): what points buy, and each time a member bought one.

A redemption is a ledger line (kind "redeem") and a single-use Haravan discount code. Its
state moves one way: WAITING (the code is being made) → SENT (made, and sent to the member)
→ USED (an order carried it), or → EXPIRED (its last day passed unused: the points came
back) or RETURNED (the code could not be made: the points came back, with the reason).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shops.models import ShopOwned, shop_key


class Reward(ShopOwned):
    """One item of the shop's catalogue: a discount for N points."""

    class Kind(models.TextChoices):
        # The values are Haravan's discount types.
        FIXED_AMOUNT = "fixed_amount", _("Fixed amount off")
        PERCENTAGE = "percentage", _("Percent off")
        SHIPPING = "shipping", _("Free shipping")

    name = models.CharField(_("reward name"), max_length=100)
    kind = models.CharField(_("discount"), max_length=16, choices=Kind.choices, default=Kind.FIXED_AMOUNT)
    # Whole đồng for a fixed amount, a percent (1-100) for a percentage; 0 for free shipping.
    value = models.BigIntegerField(_("value"), default=0)
    points = models.PositiveIntegerField(_("points"))
    minimum_order = models.BigIntegerField(_("minimum order (₫)"), default=0)
    valid_days = models.PositiveSmallIntegerField(_("valid for (days)"), default=30)
    # Members of this tier and the tiers above it; empty: every member.
    tier = models.ForeignKey(
        "loyalty.Tier", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("tier")
    )
    per_member_limit = models.PositiveSmallIntegerField(_("times per member"), null=True, blank=True)
    active = models.BooleanField(_("on"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["points", "id"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")

    def __str__(self) -> str:
        return self.name


class Redemption(ShopOwned):
    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for the code")
        SENT = "sent", _("Sent")
        USED = "used", _("Used")
        EXPIRED = "expired", _("Expired, points returned")
        RETURNED = "returned", _("Code not made, points returned")

    shop = shop_key(db_index=False)  # every index and constraint leads with the shop
    customer = models.ForeignKey("members.Customer", on_delete=models.PROTECT, related_name="redemptions")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    # What was bought, as it was when it was bought (the catalogue may change later).
    name = models.CharField(_("reward"), max_length=100)
    kind = models.CharField(max_length=16, choices=Reward.Kind.choices)
    value = models.BigIntegerField(default=0)
    minimum_order = models.BigIntegerField(default=0)
    valid_days = models.PositiveSmallIntegerField()
    points = models.PositiveIntegerField(_("points"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.WAITING)
    # The form's (or the member page's button's) own id: the same request twice redeems once.
    request_key = models.CharField(max_length=64)
    # Named from the redemption's id when it is made: the same name at every try.
    code = models.CharField(_("code"), max_length=32, blank=True)
    discount_id = models.BigIntegerField(null=True, blank=True)
    # A worker's claim on making the code; a try stamped before may have reached Haravan.
    code_tried_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    ends_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    order = models.ForeignKey(
        "members.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # empty: the member, on their own page
    created_at = models.DateTimeField(_("redeemed on"), default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "request_key"], name="redemption_once_per_request"),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="redemption_customer_time"),
            models.Index(fields=["shop", "reward", "customer"], name="redemption_shop_reward"),
            # The sweep: codes still waiting, and sent ones whose last day has passed.
            models.Index(
                fields=["state", "ends_at"], condition=Q(state__in=["waiting", "sent"]), name="redemption_open"
            ),
            # Orders' typed codes are matched case-insensitively.
            models.Index(Lower("code"), "shop", condition=~Q(code=""), name="redemption_code_lower"),
            models.Index(fields=["shop", "created_at"], name="redemption_shop_time"),  # the overview's days
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code or self.pk})"
