"""A large campaign's report, counted by a worker and read by its page.

Counting a million outbox rows by status and reason takes about a second on PostgreSQL; the
campaign's page refreshes every few seconds while it sends. So for a campaign of at least
``SNAPSHOT_FROM`` recipients, beat counts the report once a minute (while it sends, and then
for its revenue window) into the campaign row, and the page reads that, saying when it was
counted. A smaller campaign is counted at each view, exact and well under 100 ms.
"""

import dataclasses
import datetime
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.report import CampaignReport, ChannelFigures, ReasonCount, campaign_report

SNAPSHOT_FROM = 50_000  # recipients, held out included
# A snapshot older than this is counted again by the page itself (beat is late or down).
SNAPSHOT_FRESH = datetime.timedelta(seconds=150)

State = Campaign.State


def report_to_json(report: CampaignReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    for name in ("send_started_at", "window_ends_at"):
        value = getattr(report, name)
        data[name] = value.isoformat() if value else None
    return data


def report_from_json(data: dict[str, Any]) -> CampaignReport:
    values = dict(data)
    values["channels"] = {
        channel: ChannelFigures(
            **{
                **figures,
                "failed_reasons": tuple(ReasonCount(**item) for item in figures["failed_reasons"]),
                "skipped_reasons": tuple(ReasonCount(**item) for item in figures["skipped_reasons"]),
            }
        )
        for channel, figures in data["channels"].items()
    }
    for name in ("send_started_at", "window_ends_at"):
        values[name] = datetime.datetime.fromisoformat(data[name]) if data[name] else None
    return CampaignReport(**values)


def _large(campaign: Campaign) -> bool:
    return campaign.recipients_count + campaign.held_out_count >= SNAPSHOT_FROM


def campaign_report_read(campaign: Campaign) -> tuple[CampaignReport, datetime.datetime | None]:
    """The report and when it was counted (None: just now, exactly)."""
    if not _large(campaign):
        return campaign_report(campaign), None
    if campaign.report_json and campaign.report_at and timezone.now() - campaign.report_at < SNAPSHOT_FRESH:
        return report_from_json(campaign.report_json), campaign.report_at
    return campaign_report_refresh(campaign), timezone.now()


def campaign_report_refresh(campaign: Campaign) -> CampaignReport:
    report = campaign_report(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(report_json=report_to_json(report), report_at=timezone.now())
    return report


def campaign_reports_refresh() -> int:
    """Beat: count again the large campaigns that send, or whose revenue window is open (a
    day more, for late webhooks). How many were counted."""
    now = timezone.now()
    live = Q(state__in=[State.SENDING, State.PAUSED])
    recent = Q(state__in=[State.FINISHED, State.CANCELLED], queued_at__gte=now - datetime.timedelta(days=91))
    candidates = (
        Campaign.objects.filter(live | recent)
        .exclude(queued_at__isnull=True)
        .alias(size=F("recipients_count") + F("held_out_count"))
        .filter(size__gte=SNAPSHOT_FROM)
        .select_related("shop", "offer")
    )
    counted = 0
    for campaign in candidates:
        assert campaign.queued_at is not None
        window_open = now <= campaign.queued_at + datetime.timedelta(days=campaign.revenue_days + 1)
        if campaign.state in (State.SENDING, State.PAUSED) or window_open:
            campaign_report_refresh(campaign)
            counted += 1
    return counted
