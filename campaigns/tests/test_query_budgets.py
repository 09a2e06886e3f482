"""What the campaign pages cost in queries: the list costs the same for 3 campaigns as for
23, and a sent campaign's page (its report) a fixed number, whatever its recipients."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, CodeUse, Recipient
from campaigns.tests.factories import CampaignFactory, OfferCampaignFactory
from members.tests.factories import CustomerFactory, OrderFactory
from messaging.models import Message

pytestmark = pytest.mark.django_db

DETAIL_BUDGET = 12  # 10 measured on SQLite and PostgreSQL, plus 2


def _sent(shop, members: int) -> Campaign:
    now = timezone.now()
    campaign = OfferCampaignFactory(
        shop=shop, state=Campaign.State.FINISHED, started_at=now, queued_at=now, finished_at=now, holdout_percent=10
    )
    for n in range(members):
        customer = CustomerFactory(shop=shop, email=f"k{campaign.pk}-{n}@example.vn", member_since=now)
        recipient = Recipient.objects.create(
            campaign=campaign, customer=customer, held_out=n % 10 == 0, code=f"C{campaign.pk}X{n}", code_state="made"
        )
        if not recipient.held_out:
            Message.objects.create(
                shop=shop, customer=customer, channel="email", recipient=customer.email, source=campaign.source,
                status=Message.Status.SENT if n % 3 else Message.Status.SKIPPED, error="" if n % 3 else "Không nhận",
            )  # fmt: skip
        if n % 4 == 0:
            order = OrderFactory(shop=shop, customer=customer, discount_codes=[recipient.code])
            CodeUse.objects.create(campaign=campaign, order=order, recipient=recipient, code=recipient.code)
    return campaign


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_for_3_campaigns_as_for_23(staff_client, shop):
    for _n in range(2):
        _sent(shop, 3)
    CampaignFactory(shop=shop)
    few = _queries(staff_client, "/campaigns/")
    for _n in range(10):
        _sent(shop, 2)
        CampaignFactory(shop=shop)

    assert _queries(staff_client, "/campaigns/") == few


def test_a_sent_campaigns_page_keeps_its_budget_whatever_its_recipients(staff_client, shop):
    small, large = _sent(shop, 5), _sent(shop, 60)

    assert _queries(staff_client, f"/campaigns/{small.pk}/") == _queries(staff_client, f"/campaigns/{large.pk}/")
    spent = _queries(staff_client, f"/campaigns/{large.pk}/")
    assert spent <= DETAIL_BUDGET
