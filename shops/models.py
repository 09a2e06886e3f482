import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.jobs import JobStatus

DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"


class ShopScopedQuerySet(models.QuerySet):
    """Every read of shop data starts here, so no query forgets its shop."""

    def for_shop(self, shop: "Shop"):
        return self.filter(shop=shop)


def shop_key(*, db_index: bool = True) -> models.ForeignKey:
    """The shop a row belongs to. ``db_index=False`` where an index or unique constraint
    leading with the shop exists already: a second index only costs every write."""
    return models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+", db_index=db_index)


class ShopOwned(models.Model):
    shop = shop_key()

    objects = ShopScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class Shop(models.Model):
    name = models.CharField(_("shop name"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE)
    auto_activate_members = models.BooleanField(
        _("activate customers as members on their first paid order"), default=False
    )
    # The member page's short address: /m/<slug>/ (printed on receipts, put in a bio).
    slug = models.CharField(_("member page address"), max_length=40, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        constraints = [models.UniqueConstraint(fields=["slug"], condition=~models.Q(slug=""), name="shop_unique_slug")]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class StaffUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Usernames are stored lower-case; people type them in any case.
        return self.get(**{self.model.USERNAME_FIELD: (username or "").strip().lower()})


class User(AbstractUser):
    """A staff account. Shop staff belong to exactly one shop; superusers may have none."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("shop")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STAFF)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)

    objects = StaffUserManager()

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shop__isnull=False) | models.Q(is_superuser=True),
                name="user_shop_or_superuser",
            ),
        ]

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER

    def has_role(self, role: str) -> bool:
        """Whether this person may see what ``role`` may see: an owner may see everything."""
        return self.is_owner or self.role == role

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ActivityKind(models.TextChoices):
    LOGIN = "auth.login", _("Login")
    LOGOUT = "auth.logout", _("Logout")
    LOGIN_FAILED = "auth.login_failed", _("Failed login")
    LOGIN_LOCKED = "auth.login_locked", _("Login refused (locked)")
    PASSWORD_CHANGED = "auth.password_changed", _("Password changed")
    LANGUAGE_CHANGED = "auth.language_changed", _("Language changed")
    SHOP_SETTINGS_CHANGED = "settings.shop", _("Shop settings changed")
    STAFF_CREATED = "settings.staff_created", _("Staff account created")
    STAFF_CHANGED = "settings.staff_changed", _("Staff account changed")
    HARAVAN_SETTINGS_CHANGED = "settings.haravan", _("Haravan connection changed")
    HARAVAN_SYNC_STARTED = "haravan.sync", _("Haravan sync started")
    EXPORT_REQUESTED = "export.requested", _("Export requested")
    SHOP_CREATED = "system.shop_created", _("Shop created")
    LOYALTY_SETTINGS_CHANGED = "settings.loyalty", _("Loyalty settings changed")
    MEMBER_ACTIVATED = "member.activated", _("Member activated")
    POINTS_ADJUSTED = "member.points_adjusted", _("Points adjusted")
    CUSTOMER_CHANGED = "member.changed", _("Customer details changed")
    DATA_IMPORT = "data.import", _("Data import")
    MESSAGING_SETTINGS_CHANGED = "settings.messaging", _("Messaging settings changed")
    MESSAGE_QUEUED = "member.message", _("Message sent to a customer")
    GROUP_DELETED = "group.deleted", _("Customer group deleted")
    CAMPAIGN_SAVED = "campaign.saved", _("Campaign created or changed")
    CAMPAIGN_TEST_SENT = "campaign.test_sent", _("Campaign test sent")
    CAMPAIGN_STARTED = "campaign.started", _("Campaign started")
    CAMPAIGN_PAUSED = "campaign.paused", _("Campaign paused")
    CAMPAIGN_RESUMED = "campaign.resumed", _("Campaign resumed")
    CAMPAIGN_CANCELLED = "campaign.cancelled", _("Campaign cancelled")
    CAMPAIGN_SETTINGS_CHANGED = "settings.campaigns", _("Campaign settings changed")
    REWARD_SAVED = "settings.reward", _("Reward created or changed")
    REWARD_REDEEMED = "member.redeemed", _("Points redeemed for a reward")
    REWARD_RETURNED = "member.redemption_returned", _("Redeemed points returned")
    MEMBER_SIGNED_IN = "member.signed_in", _("Member signed in to their page")


class ActivityEntry(models.Model):
    """One line of the activity log (Nhật ký hoạt động). Append-only: the database refuses
    updates (and, on PostgreSQL, deletes) of these rows; see the migration."""

    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("shop")
    )
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("person")
    )
    # A snapshot of who acted, kept as it was then; empty for the system.
    actor_name = models.CharField(_("person"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=64, choices=ActivityKind.choices)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    summary = models.TextField(_("summary"))
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = ShopScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity log entry")
        verbose_name_plural = _("activity log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "-created_at"], name="activity_shop_time"),
            models.Index(fields=["shop", "kind", "-created_at"], name="activity_shop_kind_time"),
            models.Index(fields=["shop", "actor", "-created_at"], name="activity_shop_actor_time"),
            # Counting recent failed logins for one username or one address.
            models.Index(fields=["kind", "target_label", "created_at"], name="activity_kind_target_time"),
            models.Index(fields=["kind", "ip", "created_at"], name="activity_kind_ip_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.summary}"

    @property
    def actor_display(self) -> str:
        from django.utils.translation import gettext

        return self.actor_name or gettext("system")


class ExportJob(ShopOwned):
    """A spreadsheet export built by a worker; the page polls this row and offers the file."""

    Status = JobStatus

    kind = models.CharField(max_length=32)
    params = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # Who may open the file: set by the page that asks for it, so an export is never more
    # widely readable than the page its rows come from (the activity log is the owner's).
    required_role = models.CharField(max_length=16, choices=User.Role.choices, default=User.Role.OWNER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    row_count = models.PositiveIntegerField(default=0)
    filename = models.CharField(max_length=200, blank=True)
    # Kept in the database so that a worker on one host and the web on another both see it.
    content = models.BinaryField(null=True, blank=True, editable=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} export #{self.pk} ({self.status})"


class Heartbeat(models.Model):
    """Celery beat schedules a task that a worker runs to touch this row: when it is fresh,
    both are alive. The settings pages warn when it is stale."""

    name = models.CharField(max_length=64, unique=True)
    last_seen = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.name} {self.last_seen:%Y-%m-%d %H:%M:%S}"
