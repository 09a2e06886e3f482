"""Campaigns (Chiến dịch): offers, the campaigns that send them, each campaign's recipients
and the orders that used its codes.

A campaign's audience is taken once, when it starts, into ``Recipient`` rows (one per
customer, whatever number of its groups they are in), so that pause, resume, a crash or a
second start all work from the same list. Each recipient's messages are outbox rows
(``messaging.Message``, source ``campaign:<id>``), sent at most once per channel.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shops.models import ShopOwned


class Offer(ShopOwned):
    """Ưu đãi: what a 5-2 campaign gives. Unique codes are Haravan discounts made by a worker
    ahead of the send; a shared code is typed in (the owner made it in Haravan)."""

    class Kind(models.TextChoices):
        FIXED_AMOUNT = "fixed_amount", _("Fixed amount off")
        PERCENTAGE = "percentage", _("Percent off")
        SHIPPING = "shipping", _("Free shipping")

    class Codes(models.TextChoices):
        SHARED = "shared", _("One code shared by all recipients")
        UNIQUE = "unique", _("A unique single-use code per recipient")

    class Validity(models.TextChoices):
        DATES = "dates", _("Between two dates")
        DAYS = "days", _("N days from the send")

    kind = models.CharField(_("offer"), max_length=16, choices=Kind.choices, default=Kind.FIXED_AMOUNT)
    # Whole đồng for a fixed amount, a percent (1-100) for a percentage; 0 for free shipping.
    value = models.BigIntegerField(_("value"), default=0)
    # For a percentage: the most it takes off, in đồng; empty = no cap.
    max_amount = models.BigIntegerField(_("at most (₫)"), null=True, blank=True)
    minimum_order = models.BigIntegerField(_("minimum order (₫)"), default=0)
    validity = models.CharField(_("validity"), max_length=8, choices=Validity.choices, default=Validity.DAYS)
    starts_on = models.DateField(_("valid from"), null=True, blank=True)
    ends_on = models.DateField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("valid for (days)"), null=True, blank=True)
    codes = models.CharField(_("codes"), max_length=8, choices=Codes.choices, default=Codes.UNIQUE)
    shared_code = models.CharField(_("shared code"), max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")

    def __str__(self) -> str:
        return f"offer {self.pk} ({self.kind} {self.value})"


class Campaign(ShopOwned):
    class Kind(models.TextChoices):
        NOTICE = "notice", _("5-1 Notice")
        OFFER = "offer", _("5-2 Notice with an offer")
        # Automations (campaigns.automations): run by beat, each occasion once.
        BIRTHDAY = "birthday", _("5-3 Birthday")
        THANK_YOU = "thank_you", _("5-4 Thank-you")
        WIN_BACK = "win_back", _("5-5 Purchase reminder")
        TIER_UP = "tier_up", _("Tier-up congratulation")
        POINTS_EXPIRING = "points_expiring", _("Points-expiring reminder")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        # The audience is being taken and, for unique codes, the codes made in Haravan.
        PREPARING = "preparing", _("Preparing")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        FINISHED = "finished", _("Finished")
        # An automation that is on: beat runs it (off, it is PAUSED, or a DRAFT never turned on).
        ACTIVE = "active", _("On")

    class Audience(models.TextChoices):
        ALL = "all", _("All members")
        TIERS = "tiers", _("Members of some tiers")
        GROUPS = "groups", _("Customer groups")

    name = models.CharField(_("campaign name"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.NOTICE)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.ALL)
    tier_ids = models.JSONField(default=list, blank=True)
    group_ids = models.JSONField(default=list, blank=True)
    send_email = models.BooleanField(_("email"), default=True)
    send_sms = models.BooleanField(_("SMS"), default=False)
    email_subject = models.CharField(_("email subject"), max_length=200, blank=True)
    email_body = models.TextField(_("email content"), blank=True)
    sms_text = models.TextField(_("SMS content"), blank=True)
    sms_plain = models.BooleanField(_("SMS without diacritics"), default=False)
    offer = models.OneToOneField(
        Offer, on_delete=models.PROTECT, null=True, blank=True, related_name="campaign", verbose_name=_("offer")
    )
    # A share of the audience (percent) that gets nothing, chosen by a hash seeded per campaign.
    holdout_percent = models.PositiveSmallIntegerField(_("holdout (%)"), default=0)
    holdout_seed = models.CharField(max_length=32, blank=True)
    # Revenue of recipients' paid orders within this many days of the send counts in the report.
    revenue_days = models.PositiveSmallIntegerField(_("revenue window (days)"), default=7)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # When the audience was put into the outbox: from then on the messages carry the campaign.
    queued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # What the workers have done, for the page's progress (kept by the services with F()).
    recipients_count = models.PositiveIntegerField(default=0)
    held_out_count = models.PositiveIntegerField(default=0)
    codes_needed = models.PositiveIntegerField(default=0)
    codes_made = models.PositiveIntegerField(default=0)
    codes_failed = models.PositiveIntegerField(default=0)
    # Why it waits or stopped, as staff read it.
    state_reason = models.TextField(blank=True)
    # The worker preparing it (taking the audience, queueing) holds it until then; a worker
    # that died lets beat hand the work to another once this has passed.
    worker_until = models.DateTimeField(null=True, blank=True)
    # A large campaign's report as last counted (campaigns.report_snapshot): its page reads
    # this instead of counting a million messages at each view.
    report_json = models.JSONField(null=True, blank=True, editable=False)
    report_at = models.DateTimeField(null=True, blank=True, editable=False)
    # An automation's settings (each kind reads the ones it needs; campaigns.automations).
    run_hour = models.PositiveSmallIntegerField(_("run at (hour, shop time)"), default=9)
    lead_days = models.PositiveSmallIntegerField(_("days ahead"), default=0)
    wait_hours = models.PositiveSmallIntegerField(_("hours after the order is paid"), default=24)
    idle_days = models.PositiveSmallIntegerField(_("days without an order"), default=90)
    gift_points = models.PositiveIntegerField(_("birthday points"), default=0)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            # Each automation is one campaign of its kind per shop.
            models.UniqueConstraint(
                fields=["shop", "kind"],
                condition=Q(kind__in=["birthday", "thank_you", "win_back", "tier_up", "points_expiring"]),
                name="automation_once_per_shop",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "-created_at"], name="campaign_shop_created"),
            models.Index(fields=["state", "send_at"], name="campaign_state_send_at"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        """The outbox's key for this campaign's messages."""
        return f"campaign:{self.pk}"

    @property
    def automated(self) -> bool:
        return self.kind in AUTOMATED_KINDS

    @property
    def has_offer(self) -> bool:
        """A 5-2 notice has its offer; an automation may have one."""
        return self.kind == self.Kind.OFFER or (self.automated and self.offer_id is not None)

    @property
    def advertising(self) -> bool:
        """A message with an offer is advertising (Decree 91); a notice is customer care."""
        return self.has_offer

    @property
    def channels(self) -> list[str]:
        return [channel for channel, on in (("email", self.send_email), ("sms", self.send_sms)) if on]


AUTOMATED_KINDS = (
    Campaign.Kind.BIRTHDAY,
    Campaign.Kind.THANK_YOU,
    Campaign.Kind.WIN_BACK,
    Campaign.Kind.TIER_UP,
    Campaign.Kind.POINTS_EXPIRING,
)


class AutomationRun(models.Model):
    """One day's run of a daily automation (birthday, reminder, points expiring), in the
    shop's local calendar: made once per (automation, day), so two beats or a repeated run
    select nobody twice, and a day missed is seen and caught up within the limit."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs", db_index=False)
    day = models.DateField(_("day"))
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    selected = models.PositiveIntegerField(default=0)
    # A reminder's run: the last order it reached back to (orders at or before it were
    # selected); the next run selects only those who crossed it since, and new members.
    cutoff = models.DateTimeField(null=True, blank=True)
    # A birthday's or points notice's run: the last day (birthday, lapse day) it selected.
    target = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "day"], name="automation_run_once_a_day")]

    def __str__(self) -> str:
        return f"{self.campaign_id} on {self.day}"


class Recipient(models.Model):
    """One customer of a campaign's audience, taken when it started: held out, or sent to.
    With unique codes, the recipient's own code and how its making went."""

    class CodeState(models.TextChoices):
        NONE = "", _("No code")
        WAITING = "waiting", _("Waiting to be made")
        MADE = "made", _("Made")
        FAILED = "failed", _("Could not be made")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients", db_index=False)
    customer = models.ForeignKey("members.Customer", on_delete=models.CASCADE, related_name="+")
    held_out = models.BooleanField(_("held out"), default=False)
    code = models.CharField(_("code"), max_length=64, blank=True)
    code_state = models.CharField(_("code"), max_length=8, choices=CodeState.choices, blank=True, default="")
    code_error = models.TextField(blank=True)
    discount_id = models.BigIntegerField(null=True, blank=True)  # Haravan's id of the discount
    code_ends_at = models.DateTimeField(null=True, blank=True)
    # When a worker last took this code to make it (campaigns.codes): it holds it for a lease,
    # and once set, a create may have reached Haravan, so the code is looked up before another.
    code_tried_at = models.DateTimeField(null=True, blank=True)
    # An automation's occasion: what it is sent once for ("2026" a birthday's year,
    # "o<order>" a thank-you, "w<date>" a reminder since that last order...); empty for a
    # broadcast, which reaches each customer once. The outbox key carries it too.
    occasion = models.CharField(max_length=40, blank=True, default="", db_default="")
    # The three keys an automation's recipient may have are indexed only where set (Meta):
    # a broadcast's million recipients write no index entries for them.
    run = models.ForeignKey(
        AutomationRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # What the automation's message is about, checked again in the statement that starts it
    # (campaigns.automations.ELIGIBLE_SQL): the order still paid and not cancelled; the last
    # order still the one it was; the member still in the tier.
    order = models.ForeignKey(
        "members.Order", on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    last_order_at = models.DateTimeField(null=True, blank=True)
    tier = models.ForeignKey(
        "loyalty.Tier", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # When its messages go (an automation's; a broadcast's go when it is queued), and when
    # they were put into the outbox.
    send_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "occasion"], name="recipient_once_per_campaign_occasion"
            ),
            models.UniqueConstraint(
                fields=["campaign", "order"], condition=Q(order__isnull=False), name="recipient_once_per_order"
            ),
        ]
        indexes = [
            # An automation's recipients waiting to be queued (their codes made or not needed).
            models.Index(
                fields=["campaign", "send_at"], condition=Q(queued_at__isnull=True), name="recipient_to_queue"
            ),
            # An automation's report, by the day of each send.
            models.Index(
                fields=["campaign", "send_at"], condition=Q(send_at__isnull=False), name="recipient_campaign_send"
            ),
            models.Index(fields=["run"], condition=Q(run__isnull=False), name="recipient_run"),
            models.Index(fields=["order"], condition=Q(order__isnull=False), name="recipient_order"),
            models.Index(fields=["tier"], condition=Q(tier__isnull=False), name="recipient_tier"),
            models.Index(fields=["campaign", "id"], condition=Q(code_state="waiting"), name="recipient_code_waiting"),
            models.Index(Lower("code"), name="recipient_code_lower", condition=~Q(code="")),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id}"


class CodeUse(models.Model):
    """An order that used one of a campaign's codes, found in the order's ``discount_codes``.
    Whether it still counts (paid, not cancelled, less refunds) is read from the order."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="code_uses", db_index=False)
    order = models.ForeignKey("members.Order", on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(Recipient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    code = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order"], name="code_use_once_per_order"),
        ]

    def __str__(self) -> str:
        return f"{self.code} in order {self.order_id}"


# The frequency cap's defaults (a shop changes them in its campaign settings).
CAP_MESSAGES = 5
CAP_DAYS = 7


class CampaignSettings(models.Model):
    """A shop's campaign settings (owners change them)."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="campaign_settings")
    revenue_days = models.PositiveSmallIntegerField(_("revenue window after a send (days)"), default=7)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout for campaigns with an offer (%)"), default=10)
    # Decree 91: an advertising SMS ends with how to refuse. There is no shortcode to text a
    # refusal to, so it is the shop's own words; empty until the owner writes them, and an SMS
    # campaign with an offer cannot start before (campaigns.content.sms_refuse_missing).
    sms_refuse_text = models.CharField(
        _("how to refuse advertising SMS"),
        max_length=60,
        blank=True,
        help_text=_("Put at the end of every SMS with an offer, such as “Tu choi QC: goi 0901234567”."),
    )
    # Across every campaign and automation, per member and channel: at most this many
    # messages in this many days; one more is skipped with the reason (0: no cap). A
    # member's own one-to-one messages are not counted. Checked in the start statement.
    cap_messages = models.PositiveSmallIntegerField(
        _("at most this many campaign messages per member and channel"),
        default=CAP_MESSAGES,
        help_text=_("Counted across all campaigns and automations; 0 sets no limit."),
    )
    cap_days = models.PositiveSmallIntegerField(_("within this many days"), default=CAP_DAYS)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"campaign settings of shop {self.shop_id}"
