"""A large campaign's page reads the report beat counted; a small one counts at each view."""

import datetime

import pytest
from django.utils import timezone

from campaigns import report_snapshot
from campaigns.models import Campaign, Recipient
from campaigns.report import campaign_report
from campaigns.report_snapshot import campaign_report_read, campaign_reports_refresh, report_from_json, report_to_json
from campaigns.tests.factories import OfferCampaignFactory
from members.tests.factories import CustomerFactory
from messaging.models import Message

pytestmark = pytest.mark.django_db

Status = Message.Status


def _sending(shop, members: int = 4) -> Campaign:
    now = timezone.now()
    campaign = OfferCampaignFactory(
        shop=shop, state=Campaign.State.SENDING, started_at=now, queued_at=now, recipients_count=members
    )
    for n in range(members):
        customer = CustomerFactory(shop=shop, email=f"k{n}@example.vn", member_since=now)
        Recipient.objects.create(campaign=campaign, customer=customer)
        Message.objects.create(
            shop=shop, customer=customer, channel="email", recipient=customer.email, source=campaign.source,
            status=Status.SENT if n % 2 else Status.SKIPPED, error="" if n % 2 else "Không nhận email",
        )  # fmt: skip
    return campaign


def _sent(campaign) -> int:
    return Message.objects.filter(source=campaign.source).update(status=Status.SENT, error="")


def test_a_report_survives_its_snapshot(shop):
    report = campaign_report(_sending(shop))

    assert report_from_json(report_to_json(report)) == report


def test_a_large_campaign_reads_its_snapshot_until_beat_counts_again(shop, monkeypatch):
    monkeypatch.setattr(report_snapshot, "SNAPSHOT_FROM", 3)
    campaign = _sending(shop)

    first, counted_at = campaign_report_read(campaign)  # none yet: counted now, and kept
    _sent(campaign)
    campaign.refresh_from_db()
    kept, kept_at = campaign_report_read(campaign)

    assert counted_at is not None and kept_at == campaign.report_at
    assert kept.channels["email"].sent == first.channels["email"].sent == 2
    assert campaign_reports_refresh() == 1
    campaign.refresh_from_db()
    assert campaign_report_read(campaign)[0].channels["email"].sent == 4


def test_a_stale_snapshot_is_counted_again_by_the_page(shop, monkeypatch):
    monkeypatch.setattr(report_snapshot, "SNAPSHOT_FROM", 3)
    campaign = _sending(shop)
    campaign_report_read(campaign)
    _sent(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(report_at=timezone.now() - datetime.timedelta(minutes=5))
    campaign.refresh_from_db()

    assert campaign_report_read(campaign)[0].channels["email"].sent == 4


def test_a_small_campaign_is_counted_at_each_view_and_beat_leaves_it(shop):
    campaign = _sending(shop)

    assert campaign_report_read(campaign) == (campaign_report(campaign), None)
    _sent(campaign)
    assert campaign_report_read(campaign)[0].channels["email"].sent == 4
    assert campaign_reports_refresh() == 0


def test_beat_stops_counting_once_the_revenue_window_closed(shop, monkeypatch):
    monkeypatch.setattr(report_snapshot, "SNAPSHOT_FROM", 3)
    campaign = _sending(shop)
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.FINISHED, queued_at=long_ago)

    assert campaign_reports_refresh() == 0
    Campaign.objects.filter(pk=campaign.pk).update(queued_at=timezone.now() - datetime.timedelta(days=3))
    assert campaign_reports_refresh() == 1


def test_the_page_says_when_a_large_campaigns_figures_were_counted(staff_client, shop, monkeypatch):
    monkeypatch.setattr(report_snapshot, "SNAPSHOT_FROM", 3)
    campaign = _sending(shop)

    page = staff_client.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert 'id="report-counted-at"' in page
