"""Saving a campaign as staff wrote it (a draft only), and the owners' campaign settings.
Each save is one transaction with its activity-log line."""

import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.lifecycle import CampaignError
from campaigns.models import Campaign, CampaignSettings, Offer
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
            offer = old_offer or Offer(shop=shop)
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
            campaign.offer = offer
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
