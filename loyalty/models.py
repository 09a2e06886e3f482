from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.jobs import JobStatus
from shops.models import Shop, ShopOwned, shop_key


class EarningSettings(models.Model):
    """How a shop's members earn points (Cấu hình tích điểm)."""

    class Rounding(models.TextChoices):
        DOWN = "down", _("Round down")
        NEAREST = "nearest", _("Round to the nearest point")

    class Expiry(models.TextChoices):
        NEVER = "never", _("Never")
        MONTHS = "months", _("N months after they are earned")
        YEAR_END = "year_end", _("At the end of the calendar year")

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="earning_settings")
    dong_per_point = models.PositiveIntegerField(_("đồng per point"), default=10_000)
    rounding = models.CharField(_("rounding"), max_length=16, choices=Rounding.choices, default=Rounding.DOWN)
    signup_points = models.PositiveIntegerField(_("points for becoming a member"), default=0)
    opening_revenue_earns = models.BooleanField(_("opening revenue (DTDauKy) also earns points"), default=False)
    expiry = models.CharField(_("points expire"), max_length=16, choices=Expiry.choices, default=Expiry.NEVER)
    expiry_months = models.PositiveSmallIntegerField(_("months until points expire"), default=12)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Earning settings of {self.shop}"


class PointEntry(ShopOwned):
    """One line of the point ledger. Append-only; a customer's balance is the sum of their
    lines (cached on the customer in the same transaction). Each line has a source and a
    key: the same event processed twice, or by two workers at once, meets the unique
    constraint and adds nothing."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REVERSE = "reverse", _("Reversed")
        ADJUST = "adjust", _("Adjusted")
        EXPIRE = "expire", _("Expired")
        OPENING = "opening", _("Opening balance")
        SIGNUP = "signup", _("Welcome points")
        BIRTHDAY = "birthday", _("Birthday points")
        REDEEM = "redeem", _("Redeemed")
        RETURN = "return", _("Returned")

    class Source(models.TextChoices):
        ORDER = "order", _("Order")
        IMPORT = "import", _("Import")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")
        REWARD = "reward", _("Reward")

    customer = models.ForeignKey("members.Customer", on_delete=models.PROTECT, related_name="point_entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    points = models.IntegerField()
    source = models.CharField(max_length=16, choices=Source.choices)
    source_id = models.CharField(max_length=64)
    # What makes this line happen once: for an order, the paid and refunded amounts it was
    # computed from; for a staff adjustment, its own request id.
    key = models.CharField(max_length=64)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # For points gained: when they lapse, set from the shop's expiry rule when they were earned.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "source", "source_id", "kind", "key"], name="point_entry_once"),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="point_entry_customer_time"),
            models.Index(fields=["shop", "created_at"], name="point_entry_shop_time"),  # the overview's days
            # The points-expiring reminder: which points lapse on a day.
            models.Index(
                fields=["shop", "expires_at"],
                condition=models.Q(points__gt=0, expires_at__isnull=False),
                name="point_entry_shop_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d} ({self.source} {self.source_id})"


class TierSettings(models.Model):
    """How tiers are measured and reviewed (Cấu hình thăng hạng), beside the tiers themselves."""

    class Basis(models.TextChoices):
        LIFETIME = "lifetime", _("All spend since the first order")
        LAST_12_MONTHS = "12_months", _("Spend in the last 12 months")

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="tier_settings")
    basis = models.CharField(_("ranking spend counts"), max_length=16, choices=Basis.choices, default=Basis.LIFETIME)
    downgrade = models.BooleanField(_("move members down at a yearly review"), default=False)
    review_month = models.PositiveSmallIntegerField(_("review month"), default=1)
    review_day = models.PositiveSmallIntegerField(_("review day"), default=1)
    # Reviews are held from the day the yearly review was switched on, never for dates before.
    reviews_since = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Tier settings of {self.shop}"


class Tier(ShopOwned):
    """A tier (hạng) reached when ranking spend (opening revenue + paid orders − refunds)
    reaches its threshold. A removed tier is kept (its history still names it) but no
    longer places anyone."""

    name = models.CharField(_("tier name"), max_length=100)
    threshold = models.BigIntegerField(_("threshold (₫)"))
    multiplier = models.DecimalField(_("points multiplier"), max_digits=4, decimal_places=2, default=1)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["threshold"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "threshold"], condition=models.Q(removed_at__isnull=True), name="tier_unique_threshold"
            ),
            models.UniqueConstraint(
                fields=["shop", "name"], condition=models.Q(removed_at__isnull=True), name="tier_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TierChange(ShopOwned):
    """A member's move between tiers: from, to, why, when."""

    # Read by member (the member page's history), and by shop and time for the tier-up
    # congratulation; nothing looks lines up by tier (tiers are never deleted, only removed
    # from use), so that key has no index: each import or recalculation writes a line per
    # member moved.
    shop = shop_key(db_index=False)
    customer = models.ForeignKey("members.Customer", on_delete=models.PROTECT, related_name="tier_changes")
    from_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+", db_index=False)
    reason = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The tier-up congratulation reads the last day's moves of a shop.
        indexes = [models.Index(fields=["shop", "created_at"], name="tier_change_shop_time")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier_id} -> {self.to_tier_id}"


class TierRecalculation(ShopOwned):
    """Placing every member in the tier their spend reaches, after the tiers changed; run by
    a worker in batches of customers, which the settings page shows as progress."""

    Status = JobStatus

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Set for a yearly review: the review date, which the unique constraint holds to once.
    review_date = models.DateField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    moved_up = models.PositiveIntegerField(default=0)
    moved_down = models.PositiveIntegerField(default=0)
    # Saved with nothing changed: only members below what their spend reaches move (up).
    upward_only = models.BooleanField(default=False)
    # The next customer id to place: a job that is run again continues from here.
    cursor = models.BigIntegerField(default=0)
    # Empty for the yearly review, which the scheduler starts.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "review_date"],
                condition=models.Q(review_date__isnull=False),
                name="tier_review_once_per_date",
            )
        ]

    def __str__(self) -> str:
        return f"Tier recalculation #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(self.done * 100 / self.total)) if self.total else 0


class OpeningBalance(ShopOwned):
    """A phone's opening revenue (DTDauKy), brought in once: the unique constraint on
    (shop, phone) is what makes every later import of that phone a no-op, even two imports
    confirmed at the same moment."""

    shop = shop_key(db_index=False)  # (shop, phone) is unique
    phone = models.CharField(max_length=16)
    customer = models.ForeignKey(
        "members.Customer", on_delete=models.PROTECT, null=True, related_name="opening_balances"
    )
    job = models.ForeignKey("imports.ImportJob", on_delete=models.PROTECT, related_name="+")
    row = models.PositiveIntegerField()
    amount = models.BigIntegerField()
    created_customer = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "members_openingbalance"  # where it was made, before it moved with its import
        constraints = [models.UniqueConstraint(fields=["shop", "phone"], name="opening_balance_once_per_phone")]

    def __str__(self) -> str:
        return f"{self.phone}: {self.amount}"
