"""What the campaign pages show, read in one call per page (the views stay thin)."""

from typing import Any

from django.core.paginator import Paginator
from django.utils import timezone

from campaigns.automation_outlook import automation_outlook
from campaigns.automation_report import automation_report
from campaigns.content import PLACEHOLDERS
from campaigns.editing import automation_for, campaign_settings_read
from campaigns.lifecycle import campaign_problems
from campaigns.models import AUTOMATED_KINDS, Campaign
from campaigns.preview import campaign_preview
from campaigns.report import campaign_list_figures
from campaigns.report_snapshot import campaign_report_read
from campaigns.selectors import campaign_confirmation, preview_customers
from haravan.selectors import connection_read
from loyalty.models import Tier
from members.models import Customer, CustomerGroup
from messaging.selectors import messaging_settings_read
from shops.models import Shop

State = Campaign.State
LIVE = (State.PREPARING, State.SENDING)


def campaign_list_page(*, shop: Shop, number: str | None, per_page: int) -> dict[str, Any]:
    campaigns = (
        Campaign.objects.for_shop(shop)
        .exclude(kind__in=AUTOMATED_KINDS)
        .select_related("offer")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(campaigns, per_page).get_page(number)
    figures = campaign_list_figures(list(page.object_list))
    rows = []
    for campaign in page.object_list:
        row = figures.get(campaign.pk)
        sent = [(channel, row.sent.get(channel, 0) if row else 0) for channel in campaign.channels]
        rows.append((campaign, row, sent))
    return {"page": page, "rows": rows}


def audience_label(campaign: Campaign) -> str:
    """ "All members", or the tiers' or groups' names."""
    if campaign.audience == Campaign.Audience.TIERS:
        names = Tier.objects.for_shop(campaign.shop).filter(pk__in=campaign.tier_ids).values_list("name", flat=True)
    elif campaign.audience == Campaign.Audience.GROUPS:
        names = (
            CustomerGroup.objects.for_shop(campaign.shop)
            .filter(pk__in=campaign.group_ids)
            .values_list("name", flat=True)
        )
    else:
        return str(campaign.get_audience_display())
    return ", ".join(sorted(names)) or "—"


def campaign_form_page(*, shop: Shop) -> dict[str, Any]:
    """What the form says beside its fields: which channels are set up, whether unique
    codes can be made, and the shop's campaign settings."""
    config = messaging_settings_read(shop)
    return {
        "email_ready": config.email_ready,
        "sms_ready": config.sms_ready,
        "haravan_connected": bool(connection_read(shop).access_token),
        "campaign_settings": campaign_settings_read(shop),
        "sms_part_price": config.sms_part_price,
        "placeholders": list(PLACEHOLDERS.values()),
    }


def campaign_detail_page(*, campaign: Campaign) -> dict[str, Any]:
    report, counted_at = None, None
    if campaign.state not in (State.DRAFT, State.SCHEDULED):
        report, counted_at = campaign_report_read(campaign)
    return {
        "campaign": campaign,
        "counted_at": counted_at,
        "audience_label": audience_label(campaign),
        "report": report,
        "live": campaign.state in LIVE,
        "problems": campaign_problems(campaign=campaign) if campaign.state == State.DRAFT else [],
        "codes_percent": int(100 * campaign.codes_made / campaign.codes_needed) if campaign.codes_needed else 0,
    }


def campaign_confirm_page(*, campaign: Campaign) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "audience_label": audience_label(campaign),
        "confirmation": campaign_confirmation(campaign=campaign),
        "problems": campaign_problems(campaign=campaign),
        "config": messaging_settings_read(campaign.shop),
    }


def campaign_preview_page(*, campaign: Campaign, customer_id: str | None) -> dict[str, Any]:
    """The preview for a real member of the audience: the one asked for, or the first."""
    customers = preview_customers(campaign=campaign)
    chosen: Customer | None = None
    if customer_id and customer_id.isdigit():
        chosen = next((customer for customer in customers if customer.pk == int(customer_id)), None)
        if chosen is None:
            chosen = Customer.objects.for_shop(campaign.shop).filter(pk=int(customer_id)).first()
    if chosen is None and customers:
        chosen = customers[0]
    return {
        "campaign": campaign,
        "customers": customers,
        "chosen": chosen,
        "preview": campaign_preview(campaign=campaign, customer=chosen) if chosen else {},
    }


def automations_page(*, shop: Shop) -> dict[str, Any]:
    """Each automation with its state, who its next run reaches and its last week."""
    now = timezone.now()
    rows = []
    for kind in AUTOMATED_KINDS:
        automation = automation_for(shop=shop, kind=kind)
        week = automation_report(campaign=automation, by="day", periods=7, now=now).total
        rows.append((automation, automation_outlook(campaign=automation, now=now), week))
    return {"rows": rows}


def automation_page(*, automation: Campaign, by: str) -> dict[str, Any]:
    now = timezone.now()
    return {
        "automation": automation,
        "outlook": automation_outlook(campaign=automation, now=now),
        "report": automation_report(campaign=automation, by=by, periods=14 if by == "day" else 8, now=now),
        "by": by,
        "problems": campaign_problems(campaign=automation) if automation.state != State.ACTIVE else [],
        **campaign_form_page(shop=automation.shop),
    }
