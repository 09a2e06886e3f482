import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.jobs import JobStatus
from shops.models import Shop, ShopOwned


def _webhook_key() -> str:
    return secrets.token_urlsafe(24)


def _verify_token() -> str:
    return secrets.token_urlsafe(16)


class HaravanConnection(models.Model):
    """A shop's link to its Haravan store. Tokens and secrets are encrypted at rest and
    never shown back."""

    class Check(models.TextChoices):
        NEVER = "never", _("Not checked yet")
        PENDING = "pending", _("Checking…")
        OK = "ok", _("Connected")
        FAILED = "failed", _("Not working")

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="haravan")
    store_name = models.CharField(_("Haravan store"), max_length=200, blank=True)
    access_token = EncryptedTextField(_("access token"), blank=True)
    client_id = models.CharField(_("app client id"), max_length=200, blank=True)
    client_secret = EncryptedTextField(_("app client secret"), blank=True)
    # The webhook address holds this key; Haravan's handshake must echo verify_token.
    webhook_key = models.CharField(max_length=64, unique=True, default=_webhook_key)
    webhook_verify_token = models.CharField(max_length=64, default=_verify_token)
    org_id = models.CharField(max_length=64, blank=True)
    check_status = models.CharField(max_length=16, choices=Check.choices, default=Check.NEVER)
    check_message = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # Everything Haravan changed before this moment has been fetched (less an overlap).
    synced_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Haravan {self.store_name or self.shop}"


class SyncJob(ShopOwned):
    """A sync with Haravan, page by page. The cursors are saved with every page, so a
    failed or interrupted job resumes where it stopped, and nothing is written twice."""

    class Kind(models.TextChoices):
        FULL = "full", _("First sync")
        INCREMENTAL = "incremental", _("Incremental sync")

    Status = JobStatus

    class Phase(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        ORDERS = "orders", _("Orders")
        DONE = "done", _("Done")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.CUSTOMERS)
    updated_since = models.DateTimeField(null=True, blank=True)
    customers_total = models.PositiveIntegerField(null=True, blank=True)
    customers_done = models.PositiveIntegerField(default=0)
    customers_cursor = models.BigIntegerField(default=0)
    customers_skipped = models.PositiveIntegerField(default=0)
    orders_total = models.PositiveIntegerField(null=True, blank=True)
    orders_done = models.PositiveIntegerField(default=0)
    orders_cursor = models.BigIntegerField(default=0)
    orders_unattached = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop"], condition=Q(status__in=["pending", "running"]), name="one_active_sync_per_shop"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} sync #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        total = (self.customers_total or 0) + (self.orders_total or 0)
        if self.status == self.Status.DONE:
            return 100
        if not total:
            return 0
        return min(99, int((self.customers_done + self.orders_done) * 100 / total))


class WebhookEvent(ShopOwned):
    """One webhook delivery, stored before it is acknowledged. The same delivery twice has
    the same key, and the unique constraint keeps one."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")

    topic = models.CharField(max_length=64)
    dedupe_key = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "dedupe_key"], name="webhook_event_once"),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="webhook_status_received")]

    def __str__(self) -> str:
        return f"{self.topic} {self.dedupe_key[:12]}"
