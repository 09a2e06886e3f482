"""Saving a campaign as staff wrote it (a draft only), and the owners' campaign settings.
Each save is one transaction with its activity-log line."""

import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from campaigns.lifecycle import CampaignError
from campaigns.models import Campaign, CampaignSettings, Offer, Recipient
from shops.activity import activity_record, changed_values
from shops.models import ActivityKind, Shop, User

CAMPAIGN_FIELDS = (
    "name",
    "kind",
    "audience",
    "tier_ids",
    "group_ids",
    "send_email",
    "send_sms",
    "email_subject",
    "email_body",
    "sms_text",
    "sms_plain",
    "holdout_percent",
)
# What an automation's form sets (each kind's form shows the settings it uses).
AUTOMATION_FIELDS = (
    "send_email",
    "send_sms",
    "email_subject",
    "email_body",
    "sms_text",
    "sms_plain",
    "holdout_percent",
    "run_hour",
    "lead_days",
    "wait_hours",
    "idle_days",
    "gift_points",
)
OFFER_FIELDS = (
    "kind",
    "value",
    "max_amount",
    "minimum_order",
    "validity",
    "valid_days",
    "starts_on",
    "ends_on",
    "codes",
    "shared_code",
)


def campaign_settings_read(shop: Shop) -> CampaignSettings:
    return CampaignSettings.objects.filter(shop=shop).first() or CampaignSettings(shop=shop)


def _snapshot(campaign: Campaign) -> dict[str, Any]:
    values = {name: getattr(campaign, name) for name in CAMPAIGN_FIELDS}
    values["send_at"] = campaign.send_at.isoformat() if campaign.send_at else None
    if campaign.offer is not None:
        for name in OFFER_FIELDS:
            value = getattr(campaign.offer, name)
            values[f"offer_{name}"] = value.isoformat() if hasattr(value, "isoformat") else value
    return values


def _offer_from(data: dict[str, Any], *, shop: Shop, offer: Offer | None) -> Offer:
    """The form's offer, saved into ``offer`` (or a new one)."""
    offer = offer or Offer(shop=shop)
    for name in OFFER_FIELDS:
        setattr(offer, name, data.get(f"offer_{name}"))
    offer.value = offer.value or 0
    offer.minimum_order = offer.minimum_order or 0
    offer.shared_code = (offer.shared_code or "").strip() if offer.codes == Offer.Codes.SHARED else ""
    if offer.kind != Offer.Kind.PERCENTAGE:
        offer.max_amount = None
    if offer.kind == Offer.Kind.SHIPPING:
        offer.value = 0
    if offer.validity == Offer.Validity.DAYS:
        offer.starts_on = offer.ends_on = None
    else:
        offer.valid_days = None
    offer.save()
    return offer


def campaign_save(
    *, shop: Shop, actor: User, data: dict[str, Any], campaign: Campaign | None = None, ip: str | None
) -> Campaign:
    """Create a draft, or change one, from the form's cleaned data. A campaign that has
    started is not changed: what was sent must stay what the report describes."""
    with transaction.atomic():
        if campaign is None:
            campaign = Campaign(
                shop=shop,
                created_by=actor,
                holdout_seed=secrets.token_hex(8),
                revenue_days=campaign_settings_read(shop).revenue_days,
            )
            before: dict[str, Any] = {}
        else:
            campaign = (
                Campaign.objects.select_for_update(of=("self",)).select_related("offer").get(pk=campaign.pk, shop=shop)
            )
            if campaign.state != Campaign.State.DRAFT:
                raise CampaignError(_("This campaign has started: it can no longer be changed."))
            before = _snapshot(campaign)
        for name in CAMPAIGN_FIELDS:
            setattr(campaign, name, data[name])
        if campaign.kind != Campaign.Kind.OFFER:
            campaign.holdout_percent = 0  # a holdout measures an offer; a notice reaches everyone
        if campaign.audience != Campaign.Audience.TIERS:
            campaign.tier_ids = []
        if campaign.audience != Campaign.Audience.GROUPS:
            campaign.group_ids = []
        campaign.send_at = None if data["send_now"] else data["send_at"]
        old_offer = campaign.offer
        if campaign.kind == Campaign.Kind.OFFER:
            campaign.offer = _offer_from(data, shop=shop, offer=old_offer)
        else:
            campaign.offer = None
        campaign.save()
        if old_offer is not None and campaign.offer is None:
            old_offer.delete()
        after = _snapshot(campaign)
        old, new = changed_values(before, after)
        if not before or new:
            activity_record(
                shop=shop,
                actor=actor,
                kind=ActivityKind.CAMPAIGN_SAVED,
                target=campaign,
                target_label=campaign.name,
                summary=_("Campaign created") if not before else _("Campaign changed"),
                before=old or None,
                after=new,
                ip=ip,
            )
    return campaign


def _automation_defaults(kind: str) -> dict[str, Any]:
    """An automation's first words, in the shop's language: staff change them."""
    kinds = Campaign.Kind
    with translation.override(settings.LANGUAGE_CODE):
        defaults: dict[str, dict[str, Any]] = {
            kinds.BIRTHDAY: {
                "name": str(kinds.BIRTHDAY.label),
                "email_subject": _("Happy birthday, {ten|dear customer}!"),
                "email_body": _("Hello {ten|there},\n\n{ten_shop} wishes you a happy birthday and a wonderful year."),
                "sms_text": _("{ten_shop} wishes {ten|you} a happy birthday!"),
            },
            kinds.THANK_YOU: {
                "name": str(kinds.THANK_YOU.label),
                "email_subject": _("Thank you for your order, {ten|dear customer}"),
                "email_body": _(
                    "Hello {ten|there},\n\nThank you for shopping at {ten_shop}. You now have {diem} points."
                ),
                "sms_text": _("{ten_shop} thanks {ten|you} for your order. Points: {diem}."),
            },
            kinds.WIN_BACK: {
                "name": str(kinds.WIN_BACK.label),
                "email_subject": _("We miss you, {ten|dear customer}"),
                "email_body": _("Hello {ten|there},\n\nIt has been a while: {ten_shop} has new things to show you."),
                "sms_text": _("{ten_shop} misses {ten|you}: come and see what is new."),
            },
            kinds.TIER_UP: {
                "name": str(kinds.TIER_UP.label),
                "email_subject": _("Congratulations, {ten|dear customer}: you are now {hang}"),
                "email_body": _(
                    "Hello {ten|there},\n\nYou have reached the {hang} tier at {ten_shop}: {uu_dai_hang}. "
                    "Thank you for shopping with us."
                ),
                "sms_text": _("{ten_shop}: congratulations {ten|}, you are now {hang}: {uu_dai_hang}."),
            },
            kinds.POINTS_EXPIRING: {
                "name": str(kinds.POINTS_EXPIRING.label),
                "email_subject": _("{diem_sap_het} of your points lapse after {han_diem}"),
                "email_body": _(
                    "Hello {ten|there},\n\n{diem_sap_het} of your {diem} points at {ten_shop} can be used until "
                    "{han_diem}. Use them before they lapse."
                ),
                "sms_text": _("{ten_shop}: {diem_sap_het} points of yours lapse after {han_diem}."),
                "lead_days": 7,
            },
        }
        return defaults[kind]


def automation_for(*, shop: Shop, kind: str) -> Campaign:
    """The shop's automation of a kind (one each, a unique constraint), made as an off draft
    with first words the first time it is asked for."""
    automation = Campaign.objects.for_shop(shop).select_related("offer", "shop").filter(kind=kind).first()
    if automation is not None:
        return automation
    try:
        with transaction.atomic():
            Campaign.objects.create(
                shop=shop,
                kind=kind,
                holdout_seed=secrets.token_hex(8),
                revenue_days=campaign_settings_read(shop).revenue_days,
                **_automation_defaults(kind),
            )
    except IntegrityError:
        pass  # made by another request meanwhile
    return Campaign.objects.for_shop(shop).select_related("offer", "shop").get(kind=kind)


def automation_save(*, shop: Shop, actor: User, automation: Campaign, data: dict[str, Any], ip: str | None) -> bool:
    """Change an automation's settings and content from its form, on or off: the change
    applies to its later sends. Whether anything changed."""
    with transaction.atomic():
        automation = (
            Campaign.objects.select_for_update(of=("self",)).select_related("offer").get(pk=automation.pk, shop=shop)
        )
        before = {**_snapshot(automation), **{name: getattr(automation, name) for name in AUTOMATION_FIELDS}}
        for name in AUTOMATION_FIELDS:
            if name in data:
                setattr(automation, name, data[name])
        old_offer = automation.offer
        had_codes = old_offer is not None and old_offer.codes == Offer.Codes.UNIQUE
        if data.get("offered"):
            automation.offer = _offer_from(data, shop=shop, offer=old_offer)
        else:
            automation.offer = None
        automation.save()
        if old_offer is not None and automation.offer is None:
            old_offer.delete()
        has_codes = automation.offer is not None and automation.offer.codes == Offer.Codes.UNIQUE
        if had_codes != has_codes:
            # Those already chosen and not yet queued follow the new offer: they wait for a
            # code now, or no longer do (else they would wait for ever, or go without one).
            unqueued = Recipient.objects.filter(campaign=automation, queued_at__isnull=True, held_out=False)
            if has_codes:
                unqueued.filter(code_state=Recipient.CodeState.NONE).update(code_state=Recipient.CodeState.WAITING)
            else:
                unqueued.filter(code_state=Recipient.CodeState.WAITING).update(code_state=Recipient.CodeState.NONE)
        after = {**_snapshot(automation), **{name: getattr(automation, name) for name in AUTOMATION_FIELDS}}
        old, new = changed_values(before, after)
        if new:
            activity_record(
                shop=shop,
                actor=actor,
                kind=ActivityKind.CAMPAIGN_SAVED,
                target=automation,
                target_label=automation.name,
                summary=_("Automation changed"),
                before=old or None,
                after=new,
                ip=ip,
            )
    return bool(new)


def campaign_settings_save(*, shop: Shop, actor: User, values: dict[str, Any], ip: str | None) -> bool:
    """Whether anything changed."""
    with transaction.atomic():
        settings, _created = CampaignSettings.objects.select_for_update().get_or_create(shop=shop)
        before = {name: getattr(settings, name) for name in values}
        old, new = changed_values(before, values)
        if not new:
            return False
        for name, value in new.items():
            setattr(settings, name, value)
        settings.save()
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.CAMPAIGN_SETTINGS_CHANGED,
            target=settings,
            target_label=_("Campaign settings"),
            summary=_("Campaign settings changed"),
            before=old,
            after=new,
            ip=ip,
        )
    return True
