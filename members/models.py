from django.conf import settings
from django.db import models
from django.db.models.functions import ExtractMonth
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


class ImportJob(ShopOwned):
    """An uploaded spreadsheet on its way in: read and previewed by a worker (nothing
    written but this row), confirmed by staff, then applied by a worker in batches. The
    cursor (the last spreadsheet row applied) commits with each batch, so a job whose
    worker died goes on where it stopped. The file is kept here so any host can read it."""

    class Kind(models.TextChoices):
        OPENING = "opening", _("Opening balances")
        POINTS = "points", _("Point adjustments")
        PHONE_LIST = "phones", _("Phone list for a group")

    class Status(models.TextChoices):
        ANALYSING = "analysing", _("Reading the file")
        READY = "ready", _("Waiting for your confirmation")
        REFUSED = "refused", _("File refused")
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ANALYSING)
    file_name = models.CharField(_("file"), max_length=255)
    file_content = models.BinaryField(editable=False)
    file_size = models.PositiveIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64)
    rows_total = models.PositiveIntegerField(default=0)
    # Outcome -> rows: predicted by the preview, then counted as the rows are applied.
    preview = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    # The first rows that will not go in as they are (errors, skips), for the preview page.
    problems = models.JSONField(default=list, blank=True)
    # Keys (phones) found on more than one row, with those rows: errors, kept by the analysis.
    repeated_keys = models.JSONField(default=dict, blank=True)
    # Rows read well but refused when applied (e.g. a deduction below zero): row -> reason.
    apply_errors = models.JSONField(default=dict, blank=True)
    # When the file was deleted (refused, cancelled, or finished IMPORT_FILE_KEEP_DAYS ago);
    # a finished job's report is then read from report_content, its rows kept compressed.
    file_dropped_at = models.DateTimeField(null=True, blank=True)
    report_content = models.BinaryField(default=b"", editable=False)
    # A phone list's static group: the customers its phones match go into it.
    # A phone list's group; a list stays in the history when its group is deleted (which
    # waits for a list being read or added: see group_delete).
    group = models.ForeignKey("CustomerGroup", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rows_done = models.PositiveIntegerField(default=0)
    cursor = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progressed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["shop", "kind", "-created_at"], name="import_job_shop_kind")]

    def __str__(self) -> str:
        return f"{self.kind} import #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(self.rows_done * 100 / self.rows_total)) if self.rows_total else 0

    @property
    def seconds_left(self) -> int | None:
        """From the pace so far; None until there is a pace to go by."""
        if self.status != self.Status.RUNNING or not self.started_at or not self.rows_done:
            return None
        elapsed = ((self.progressed_at or timezone.now()) - self.started_at).total_seconds()
        return max(0, round(elapsed / self.rows_done * (self.rows_total - self.rows_done)))


class ImportRow(models.Model):
    """One row of a file as the preview read it, for the preview's pages: every row, paged
    and filtered by outcome, before anything is confirmed. Written by the analysis, dropped
    once the job is confirmed or cancelled (the report reads the file). Reached only
    through its job, which is the shop's.

    Kept small, since a file may have a million rows: the primary key (job, outcome, row)
    is the only index but for the few flagged rows (a page of one outcome reads it in
    order; every row is a merge of the outcomes' pages), and the cells are one text each."""

    pk = models.CompositePrimaryKey("job", "outcome", "number")
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+", db_index=False)
    outcome = models.CharField(max_length=16)
    number = models.PositiveIntegerField()  # as the spreadsheet shows it
    # The cells as typed, in the template's order, then what the kind read from them in the
    # order of its ``read_columns`` (e.g. the phone in E.164, the amount): joined by SEPARATOR.
    cells = models.TextField()
    read = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    # What staff should look at before confirming (a name unlike the matched customer's).
    flag = models.TextField(blank=True)

    SEPARATOR = "\x1f"  # ASCII's unit separator: no cell a person types holds one

    class Meta:
        indexes = [models.Index(fields=["job", "number"], condition=~models.Q(flag=""), name="import_row_flagged")]

    def __str__(self) -> str:
        return f"row {self.number} of import #{self.job_id} ({self.outcome})"


class OpeningBalance(ShopOwned):
    """A phone's opening revenue (DTDauKy), brought in once: the unique constraint on
    (shop, phone) is what makes every later import of that phone a no-op, even two imports
    confirmed at the same moment."""

    shop = shop_key(db_index=False)  # (shop, phone) is unique
    phone = models.CharField(max_length=16)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, related_name="opening_balances")
    job = models.ForeignKey(ImportJob, on_delete=models.PROTECT, related_name="+")
    row = models.PositiveIntegerField()
    amount = models.BigIntegerField()
    created_customer = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "phone"], name="opening_balance_once_per_phone")]

    def __str__(self) -> str:
        return f"{self.phone}: {self.amount}"
