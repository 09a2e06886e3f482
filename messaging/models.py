from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from shops.models import ShopOwned, shop_key


class MessagingSettings(models.Model):
    """How a shop sends: its Gmail/SMTP account (1-3-1) and its VietGuys SMS account with
    brandname (1-3-2). Passwords are encrypted at rest and never shown back."""

    class Security(models.TextChoices):
        STARTTLS = "starttls", _("STARTTLS (port 587)")
        SSL = "ssl", _("SSL/TLS (port 465)")
        NONE = "none", _("None (a server on this machine only)")

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="messaging")
    smtp_host = models.CharField(_("SMTP server"), max_length=200, default="smtp.gmail.com")
    smtp_port = models.PositiveIntegerField(_("port"), default=587)
    smtp_security = models.CharField(_("encryption"), max_length=16, choices=Security.choices, default="starttls")
    smtp_username = models.CharField(_("Gmail address (login)"), max_length=254, blank=True)
    smtp_password = EncryptedTextField(_("app password"), blank=True)
    from_email = models.EmailField(_("sender address"), blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    sms_username = models.CharField(_("VietGuys account"), max_length=200, blank=True)
    sms_password = EncryptedTextField(_("VietGuys password or token"), blank=True)
    sms_brandname = models.CharField(_("brandname"), max_length=11, blank=True)
    # What one SMS part costs the shop, in đồng, to show the cost of a message; 0 = not known.
    sms_part_price = models.PositiveIntegerField(_("price of one SMS part (₫)"), default=0)
    # Emails a day the account may send (Gmail: about 500 for a personal account, 2,000 for
    # Google Workspace). Every worker counts against it; one-to-one messages go first.
    email_daily_quota = models.PositiveIntegerField(_("emails a day"), default=500)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("messaging settings")

    def __str__(self) -> str:
        return f"messaging settings of shop {self.shop_id}"

    @property
    def email_ready(self) -> bool:
        return bool(self.smtp_host and self.sender_address)

    @property
    def sms_ready(self) -> bool:
        return bool(self.sms_username and self.sms_password and self.sms_brandname)

    @property
    def sender_address(self) -> str:
        return self.from_email or self.smtp_username


class Message(ShopOwned):
    """One email or SMS to one customer: the outbox row and, once sent, its record.

    A message is sent at most once per (source, customer, channel): the unique constraint
    makes queueing it twice a no-op. A worker leases a batch (``lease_token``), marks each
    message SENDING just before handing it to the server, then SENT or FAILED; a message
    left SENDING by a worker that died is never sent again (messaging.services.outbox)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not sent")
        # The worker stopped, or the line broke, while handing it over: it may have arrived.
        UNKNOWN = "unknown", _("Unknown: may have arrived")
        SKIPPED = "skipped", _("Skipped")

    shop = shop_key(db_index=False)  # the unique constraint leads with the shop
    customer = models.ForeignKey(
        "members.Customer", on_delete=models.PROTECT, related_name="messages", verbose_name=_("customer")
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    # What the message is for, as a key: "manual:<request>", later "campaign:<id>" and the
    # triggers' own keys. Staff read ``source_label``.
    source = models.CharField(max_length=100)
    source_label = models.CharField(_("source"), max_length=200, blank=True)
    # Within a source that sends more than once to a customer (an automation), what this
    # message is for ("2026", a birthday's year; "o<order id>", a thank-you): once per
    # (source, occasion, customer, channel). Empty for a source that sends once.
    occasion = models.CharField(max_length=40, blank=True, default="", db_default="")
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("content"))
    sms_parts = models.PositiveSmallIntegerField(_("SMS parts"), default=0)
    # Lower goes first: a member's own one-to-one message (0) ahead of a campaign's (1).
    priority = models.PositiveSmallIntegerField(default=0)
    # Advertising (a message with an offer; Decree 91): 3 per recipient and channel per 24
    # hours, SMS only 07:00-22:00 in the shop's time zone. Otherwise customer care.
    advertising = models.BooleanField(_("advertising"), default=False)
    # A registered composer (messaging.composers) writes the subject and body just before the
    # message is sent, from what is true then: campaigns' messages are queued without a body.
    composer = models.CharField(max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Why it was not sent (yet): what the server answered, put so that staff can act on it.
    error = models.TextField(_("reason"), blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "source", "customer", "channel", "occasion"],
                name="message_once_per_source_occasion_customer_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="message_customer_time"),
            # The outbox: only waiting messages are indexed, so it stays small.
            models.Index(
                fields=["shop", "channel", "priority", "next_attempt_at"],
                condition=Q(status="queued"),
                name="message_due",
            ),
            # The advertising cap: what a recipient got on a channel in the last 24 hours.
            models.Index(
                fields=["customer", "channel", "sending_at"],
                condition=Q(advertising=True),
                name="message_advertising_recent",
            ),
            # The frequency cap: what a member got from campaigns on a channel lately.
            models.Index(
                fields=["customer", "channel", "sending_at"],
                condition=Q(priority=1),
                name="message_campaign_recent",
            ),
            # A campaign's page and report count its messages by state.
            models.Index(fields=["shop", "source", "channel", "status"], name="message_source_status"),
            models.Index(fields=["sending_at"], condition=Q(status="sending"), name="message_in_flight"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"


class MessageHold(ShopOwned):
    """Messages of this source wait while the row exists: a paused campaign's. The outbox
    neither leases nor starts them, so a pause takes effect between two messages, and
    resuming is deleting the row, whatever the number of messages."""

    shop = shop_key(db_index=False)
    source = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "source"], name="message_hold_once_per_source")]

    def __str__(self) -> str:
        return f"hold on {self.source}"


class SendingDay(ShopOwned):
    """How many messages a shop's channel handed over on one local day (the shop's time
    zone): the daily quota (``MessagingSettings.email_daily_quota``) shared by every worker
    and host. A batch reserves its share with a conditional UPDATE that never goes past the
    quota, and gives back what it did not hand over (messaging.services.limits)."""

    shop = shop_key(db_index=False)  # the unique constraint leads with the shop
    channel = models.CharField(max_length=8, choices=Message.Channel.choices)
    day = models.DateField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "channel", "day"], name="sending_day_once_per_shop_channel_day")
        ]

    def __str__(self) -> str:
        return f"{self.channel} of shop {self.shop_id} on {self.day}: {self.used}"


class SendingPace(ShopOwned):
    """The provider's rate for a shop's account, across every worker and host: the next
    free sending slot. A worker moves it forward by its batch's share (``count / rate``
    seconds) with a compare-and-swap UPDATE, then sends each message of the batch no
    earlier than its own slot (messaging.services.limits)."""

    shop = shop_key(db_index=False)
    channel = models.CharField(max_length=8, choices=Message.Channel.choices)
    next_slot_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "channel"], name="sending_pace_once_per_shop_channel")]

    def __str__(self) -> str:
        return f"{self.channel} of shop {self.shop_id}: next slot {self.next_slot_at}"
