from django.db import models
from django.db.models.functions import ExtractDay, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shops.models import ShopOwned, ShopScopedQuerySet, shop_key


class Customer(ShopOwned):
    """A shop's customer, identified in that shop by one phone number in E.164 (+84...).
    A customer becomes a member (thành viên) when activated: ``member_since`` is set."""

    class Gender(models.TextChoices):
        UNKNOWN = "", _("Unknown")
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")

    shop = shop_key(db_index=False)  # (shop, phone) is unique, and most indexes lead with the shop
    name = models.CharField(_("name"), max_length=200, blank=True)
    # The name folded for search (core.text.fold), kept in step by the services.
    search_name = models.CharField(max_length=200, blank=True, editable=False)
    phone = models.CharField(_("phone"), max_length=16)
    email = models.EmailField(_("email"), blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # When a birthday was entered or changed on a known customer (not by an import or the
    # first sync): a birthday changed in the last 30 days earns no gift this year.
    birthday_changed_at = models.DateTimeField(_("birthday changed"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True, default="")
    city = models.CharField(_("city"), max_length=100, blank=True)
    haravan_id = models.BigIntegerField(_("Haravan customer id"), null=True, blank=True)
    accepts_email = models.BooleanField(_("accepts email"), default=True)
    accepts_sms = models.BooleanField(_("accepts SMS"), default=True)
    member_since = models.DateTimeField(_("member since"), null=True, blank=True)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    # Whole đồng: paid orders minus refunds.
    total_spent = models.BigIntegerField(_("total spent"), default=0)
    # DTDauKy: what the customer spent before the shop used Haravan.
    opening_revenue = models.BigIntegerField(_("opening revenue"), default=0)
    # The sum of the customer's point ledger (loyalty.PointEntry), kept in the same transaction.
    points_balance = models.IntegerField(_("points"), default=0)
    tier = models.ForeignKey(
        "loyalty.Tier", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("tier")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["shop", "phone"], name="customer_unique_phone_per_shop"),
        ]
        indexes = [
            models.Index(fields=["shop", "member_since"], name="customer_shop_member_since"),
            models.Index(fields=["shop", "first_order_at"], name="customer_shop_first_order"),
            # The member list's sorts (members.selectors.customer_list), scanned either way;
            # "newest first, never last" has its own indexes on PostgreSQL (migration 0007).
            models.Index(fields=["shop", "last_order_at", "id"], name="customer_shop_last_order"),
            # Counting a spend-based group reads this index alone (PostgreSQL: INCLUDE).
            models.Index(
                fields=["shop", "total_spent", "id"],
                include=["member_since", "last_order_at"],
                name="customer_shop_total_spent",
            ),
            models.Index(fields=["shop", "search_name", "id"], name="customer_shop_search_name"),
            models.Index(fields=["shop", "orders_count", "id"], name="customer_shop_orders_count"),
            models.Index(fields=["shop", "points_balance", "id"], name="customer_shop_points"),
            # With the birthday itself included, PostgreSQL counts a birthday-month filter
            # from this index alone: it will not take the month from the key expression.
            models.Index(
                "shop",
                ExtractMonth("birthday"),
                include=["member_since", "city", "birthday"],
                name="customer_birth_month_cover",
            ),
            # A day's birthdays (campaigns.automations.birthday_selection: month and day): the
            # month's index alone leaves a twelfth of the shop to read and filter.
            models.Index("shop", ExtractMonth("birthday"), ExtractDay("birthday"), name="customer_birthday_day"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"


class OrderQuerySet(ShopScopedQuerySet):
    def live(self) -> "OrderQuerySet":
        """Orders that count: neither voided nor cancelled (``Order.is_live``; in raw SQL,
        ``live_orders_sql``)."""
        return self.exclude(financial_status=Order.FinancialStatus.VOIDED).filter(cancelled_at__isnull=True)


def live_orders_sql(alias: str) -> tuple[str, list[str]]:
    """``Order.objects.live()`` as a WHERE fragment on the orders table aliased ``alias``."""
    return (
        f"{alias}.cancelled_at IS NULL AND {alias}.financial_status <> %s",
        [Order.FinancialStatus.VOIDED],
    )


class Order(ShopOwned):
    """An order from a platform. Only live orders (``is_live``) count toward spend, tiers
    and points: a voided or cancelled one is kept but counts for nothing."""

    class Source(models.TextChoices):
        HARAVAN = "haravan", "Haravan"
        DEMO = "demo", _("Demo data")

    class FinancialStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        AUTHORIZED = "authorized", _("Authorized")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PAID = "paid", _("Paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        VOIDED = "voided", _("Voided")

    source = models.CharField(max_length=16, choices=Source.choices, default=Source.HARAVAN)
    external_id = models.CharField(max_length=64)
    number = models.CharField(_("order number"), max_length=64, blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="orders", verbose_name=_("customer")
    )
    # An order with no phone stays unattached; this keeps what the platform sent.
    phone_raw = models.CharField(max_length=64, blank=True)
    total = models.BigIntegerField(_("total"))
    # What was paid: the total once paid; the paid part of a partially paid order.
    paid_amount = models.BigIntegerField(_("paid"), default=0)
    financial_status = models.CharField(_("payment status"), max_length=24, choices=FinancialStatus.choices)
    refunded_amount = models.BigIntegerField(_("refunded"), default=0)
    discount_codes = models.JSONField(_("discount codes"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # The platform's own updated_at: an older version arriving late changes nothing.
    source_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["shop", "source", "external_id"], name="order_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["shop", "created_at"], name="order_shop_created"),
            models.Index(fields=["customer", "created_at"], name="order_customer_created"),
            # The thank-you automation's orders paid in a window (campaigns.automations
            # .thank_you_select, every minute): without it, a scan of all the shop's orders.
            models.Index(fields=["shop", "paid_at"], name="order_shop_paid"),
        ]

    def __str__(self) -> str:
        return self.number or self.external_id

    @property
    def is_live(self) -> bool:
        return self.financial_status != Order.FinancialStatus.VOIDED and self.cancelled_at is None


class CustomerGroup(ShopOwned):
    """An audience for campaigns: a static list of customers, or rules resolved each time the
    group is used, so that it stays current."""

    class Kind(models.TextChoices):
        STATIC = "static", _("Static list")
        RULES = "rules", _("By conditions")

    name = models.CharField(_("group name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # For rule groups: the conditions, combined with AND (see members.selectors.CustomerFilters).
    rules = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer group")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["shop", "name"], name="group_unique_name_per_shop")]

    def __str__(self) -> str:
        return self.name


class CustomerGroupMember(models.Model):
    group = models.ForeignKey(CustomerGroup, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="group_memberships")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "customer"], name="group_member_once")]
        indexes = [models.Index(fields=["customer"], name="group_member_customer")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.customer_id}"
