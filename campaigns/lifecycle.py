"""Starting, pausing, resuming and cancelling a campaign; each is in the activity log.

Every change of state is one conditional UPDATE from the states it may leave: a form sent
twice, two staff members at once, or two beats all find at most one of them moving it.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.content import placeholders_check, sms_refuse_missing
from campaigns.models import Campaign, CampaignSettings, Offer
from campaigns.sending import campaign_hold, cancelled_reason
from haravan.selectors import connection_read
from messaging.selectors import messaging_settings_read
from messaging.services import messages_drop, messages_release, outbox_wake
from shops.activity import activity_record
from shops.models import ActivityKind, User

State = Campaign.State


class CampaignError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def campaign_problems(*, campaign: Campaign) -> list[str]:
    """What stops the campaign from starting, as staff read it (empty: it may start)."""
    problems: list[str] = []
    shop = campaign.shop
    if not campaign.channels:
        problems.append(_("Choose at least one channel: email or SMS."))
    config = messaging_settings_read(shop)
    with_offer = campaign.has_offer
    if campaign.send_email:
        if not config.email_ready:
            problems.append(_("Email sending is not set up: an owner enters the Gmail settings under Messaging."))
        if not campaign.email_subject.strip() or not campaign.email_body.strip():
            problems.append(_("Write the email's subject and content."))
        for text in (campaign.email_subject, campaign.email_body):
            problems += placeholders_check(text, channel="email", with_offer=with_offer, kind=campaign.kind)
    if campaign.send_sms:
        if not config.sms_ready:
            problems.append(_("SMS sending is not set up: an owner enters the VietGuys account under Messaging."))
        if not campaign.sms_text.strip():
            problems.append(_("Write the SMS content."))
        problems += placeholders_check(campaign.sms_text, channel="sms", with_offer=with_offer, kind=campaign.kind)
        if campaign.advertising:
            refuse = sms_refuse_missing(
                CampaignSettings.objects.filter(shop=shop).first() or CampaignSettings(shop=shop)
            )
            if refuse:
                problems.append(refuse)
    if with_offer:
        offer = campaign.offer
        if offer is None:
            problems.append(_("A notice with an offer needs its offer."))
        elif offer.codes == Offer.Codes.SHARED and not offer.shared_code.strip():
            problems.append(_("Type the shared code that the owner made in Haravan."))
        elif offer.codes == Offer.Codes.UNIQUE and not connection_read(shop).access_token:
            problems.append(
                _("Unique codes are made in Haravan: an owner connects Haravan under System settings › Haravan first.")
            )
    return problems


def _log(campaign: Campaign, *, actor: User | None, kind: ActivityKind, summary: str, ip: str | None) -> None:
    activity_record(
        shop=campaign.shop, actor=actor, kind=kind, target=campaign, target_label=campaign.name, summary=summary, ip=ip
    )


def _move(campaign: Campaign, *, from_states: list[str], **values) -> bool:
    moved = Campaign.objects.filter(pk=campaign.pk, state__in=from_states).update(**values)
    if moved:
        campaign.refresh_from_db()
    return bool(moved)


def campaign_start(*, campaign: Campaign, actor: User, ip: str | None) -> Campaign:
    """A draft starts now (PREPARING: the audience is taken, codes made, then sent) or at
    its time (SCHEDULED)."""
    problems = campaign_problems(campaign=campaign)
    if problems:
        raise CampaignError(" ".join(problems))
    now = timezone.now()
    later = campaign.send_at is not None and campaign.send_at > now
    with transaction.atomic():
        if not _move(
            campaign,
            from_states=[State.DRAFT],
            state=State.SCHEDULED if later else State.PREPARING,
            started_at=now,
            state_reason="",
        ):
            raise CampaignError(_("This campaign has already been started."))
        if later:
            summary = _("Scheduled for %(when)s") % {"when": timezone.localtime(campaign.send_at, campaign.shop.tzinfo)}
        else:
            summary = _("Started")
        _log(campaign, actor=actor, kind=ActivityKind.CAMPAIGN_STARTED, summary=summary, ip=ip)
        if not later:
            _prepare_soon(campaign)
    return campaign


def _prepare_soon(campaign: Campaign) -> None:
    from campaigns.tasks import prepare_campaign

    transaction.on_commit(lambda: prepare_campaign.delay(campaign.pk))


def campaign_pause(*, campaign: Campaign, actor: User, ip: str | None) -> Campaign:
    """Nothing more goes out until it is resumed; a message already handed over finishes."""
    with transaction.atomic():
        # The row lock orders this against the queueing step (sending._queue_and_send).
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not _move(campaign, from_states=[State.SCHEDULED, State.PREPARING, State.SENDING], state=State.PAUSED):
            raise CampaignError(_("Only a scheduled, preparing or sending campaign can be paused."))
        campaign_hold(campaign=campaign)
        _log(campaign, actor=actor, kind=ActivityKind.CAMPAIGN_PAUSED, summary=_("Paused"), ip=ip)
    return campaign


def campaign_resume(*, campaign: Campaign, actor: User, ip: str | None) -> Campaign:
    """Goes on from where it stopped: those already sent are not sent again."""
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        fresh = Campaign.objects.get(pk=campaign.pk)
        if fresh.queued_at is not None:
            target = State.SENDING
        elif fresh.send_at is not None and fresh.send_at > timezone.now():
            target = State.SCHEDULED
        else:
            target = State.PREPARING
        if not _move(campaign, from_states=[State.PAUSED], state=target, worker_until=None):
            raise CampaignError(_("Only a paused campaign can be resumed."))
        messages_release(shop=campaign.shop, source=campaign.source)
        _log(campaign, actor=actor, kind=ActivityKind.CAMPAIGN_RESUMED, summary=_("Resumed"), ip=ip)
        if target == State.SENDING:
            for channel in campaign.channels:
                outbox_wake(shop_id=campaign.shop_id, channel=channel)
        elif target == State.PREPARING:
            _prepare_soon(campaign)
    return campaign


def campaign_cancel(*, campaign: Campaign, actor: User, ip: str | None) -> Campaign:
    """Nothing more goes out, ever; what was sent stays in the report."""
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not _move(
            campaign,
            from_states=[State.DRAFT, State.SCHEDULED, State.PREPARING, State.SENDING, State.PAUSED],
            state=State.CANCELLED,
            finished_at=timezone.now(),
        ):
            raise CampaignError(_("This campaign has already ended."))
        dropped = messages_drop(shop=campaign.shop, source=campaign.source, reason=cancelled_reason())
        summary = _("Cancelled; %(count)d waiting messages will not be sent") % {"count": dropped}
        _log(campaign, actor=actor, kind=ActivityKind.CAMPAIGN_CANCELLED, summary=summary, ip=ip)
    return campaign


def automation_turn_on(*, campaign: Campaign, actor: User, ip: str | None) -> Campaign:
    """Beat runs it from now on: today's occasions still due are sent; nothing from before
    it was on is caught up."""
    problems = campaign_problems(campaign=campaign)
    if problems:
        raise CampaignError(" ".join(problems))
    with transaction.atomic():
        if not _move(campaign, from_states=[State.DRAFT, State.PAUSED], state=State.ACTIVE, started_at=timezone.now()):
            raise CampaignError(_("This automation is already on."))
        _log(campaign, actor=actor, kind=ActivityKind.CAMPAIGN_STARTED, summary=_("Turned on"), ip=ip)
    return campaign


def automation_turn_off(*, campaign: Campaign, actor: User, ip: str | None) -> Campaign:
    """Nothing more goes out: what waits is dropped with the reason (turned on again, it
    starts from that day; an occasion already taken is not sent again)."""
    with transaction.atomic():
        # The row lock orders this against a run's queueing (automations.recipients_queue).
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not _move(campaign, from_states=[State.ACTIVE], state=State.PAUSED):
            raise CampaignError(_("This automation is already off."))
        dropped = messages_drop(shop=campaign.shop, source=campaign.source, reason=turned_off_reason())
        summary = _("Turned off; %(count)d waiting messages will not be sent") % {"count": dropped}
        _log(campaign, actor=actor, kind=ActivityKind.CAMPAIGN_PAUSED, summary=summary, ip=ip)
    return campaign


def turned_off_reason() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("The automation was turned off before this message was sent.")
