import datetime
import threading
import zoneinfo

import pytest
from django.db import connection as db_connection
from django.db import connections
from django.utils import translation

from campaigns.codes import BATCH, _claim, code_name, codes_make, offer_window
from campaigns.models import Campaign, Offer, Recipient
from campaigns.tests.factories import OfferCampaignFactory, OfferFactory, RecipientFactory
from haravan.discounts import CODE_ALPHABET as ALPHABET
from members.tests.factories import CustomerFactory

VN = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def waiting(campaign, count, *, held_out=0):
    """``count`` recipients whose codes wait to be made (as the engine leaves them), and
    ``held_out`` who get none."""
    recipients = []
    for _index in range(count):
        customer = CustomerFactory(shop=campaign.shop)
        recipients.append(
            RecipientFactory(
                campaign=campaign,
                customer=customer,
                code=code_name(campaign=campaign, customer_id=customer.pk),
                code_state=Recipient.CodeState.WAITING,
            )
        )
    for _index in range(held_out):
        RecipientFactory(campaign=campaign, held_out=True)
    Campaign.objects.filter(pk=campaign.pk).update(codes_needed=count)
    return recipients


def states(campaign):
    return list(
        Recipient.objects.filter(campaign=campaign, held_out=False).order_by("pk").values_list("code_state", flat=True)
    )


def test_a_code_name_is_the_same_every_time_readable_and_unguessable(shop):
    campaign = OfferCampaignFactory(shop=shop, name="Khuyến mãi Tết")
    other = OfferCampaignFactory(shop=shop, name="Khuyến mãi Tết")

    name = code_name(campaign=campaign, customer_id=7)

    assert name == code_name(campaign=campaign, customer_id=7)
    assert name.startswith("KM") and len(name) == 10
    assert set(name) <= set(ALPHABET) and not set(name) & set("O0I1")
    assert name != code_name(campaign=campaign, customer_id=8)
    assert name[2:] != code_name(campaign=other, customer_id=7)[2:]
    assert len({code_name(campaign=campaign, customer_id=n) for n in range(2000)}) == 2000


def test_days_validity_ends_at_the_last_second_of_the_nth_day_in_shop_time(shop):
    offer = OfferFactory(shop=shop, validity=Offer.Validity.DAYS, valid_days=7)
    send_at = datetime.datetime(2026, 12, 6, 20, 30, tzinfo=datetime.UTC)  # 7 Dec 03:30 in Vietnam

    starts, ends = offer_window(offer=offer, shop=shop, send_at=send_at)

    assert starts == send_at
    assert ends == datetime.datetime(2026, 12, 14, 23, 59, 59, tzinfo=VN)


def test_dates_validity_runs_from_the_first_day_to_the_last_in_shop_time(shop):
    offer = OfferFactory(
        shop=shop,
        validity=Offer.Validity.DATES,
        starts_on=datetime.date(2027, 1, 20),
        ends_on=datetime.date(2027, 2, 5),
    )

    starts, ends = offer_window(offer=offer, shop=shop, send_at=datetime.datetime(2027, 1, 10, tzinfo=datetime.UTC))

    assert starts == datetime.datetime(2027, 1, 20, 0, 0, tzinfo=VN)
    assert ends == datetime.datetime(2027, 2, 5, 23, 59, 59, tzinfo=VN)
    assert starts.utcoffset() == datetime.timedelta(hours=7)


def test_codes_are_made_with_progress_counters_and_nothing_twice(shop, connection, fake_haravan):
    campaign = OfferCampaignFactory(shop=shop)
    recipients = waiting(campaign, 30, held_out=2)

    result = codes_make(campaign_id=campaign.pk)

    assert (result.made, result.failed, result.waiting, result.done) == (30, 0, 0, True)
    campaign.refresh_from_db()
    assert (campaign.codes_made, campaign.codes_failed) == (30, 0)
    assert states(campaign) == ["made"] * 30
    assert not Recipient.objects.filter(campaign=campaign, held_out=True).exclude(code_state="").exists()
    first = Recipient.objects.get(pk=recipients[0].pk)
    stored = fake_haravan.discounts[first.discount_id]
    assert stored["code"] == first.code and stored["value"] == 50000.0 and stored["usage_limit"] == 1
    assert first.code_ends_at == datetime.datetime.combine(
        campaign.send_at.astimezone(VN).date() + datetime.timedelta(days=7), datetime.time(23, 59, 59), VN
    )

    again = codes_make(campaign_id=campaign.pk)

    assert (again.made, again.failed) == (0, 0)
    assert fake_haravan.discount_creates == 30 and len(fake_haravan.discounts) == 30
    campaign.refresh_from_db()
    assert campaign.codes_made == 30


def test_a_code_stored_otherwise_fails_that_recipient_with_the_reason(shop, connection, fake_haravan):
    campaign = OfferCampaignFactory(shop=shop)
    recipients = waiting(campaign, 3)
    fake_haravan.differ_next_create = {"minimum_order_amount": 0.0}

    with translation.override("en"):
        result = codes_make(campaign_id=campaign.pk)

    assert (result.made, result.failed) == (2, 1)
    bad = Recipient.objects.get(pk=recipients[0].pk)
    assert bad.code_state == "failed"
    assert "minimum order is 0, not 300000" in bad.code_error and "disabled" in bad.code_error
    assert fake_haravan.discounts[min(fake_haravan.discounts)]["status"] == "disabled"
    campaign.refresh_from_db()
    assert (campaign.codes_made, campaign.codes_failed) == (2, 1)


def test_haravan_down_stops_the_run_with_the_reason_and_the_rest_wait(shop, connection, fake_haravan, settings):
    settings.HARAVAN_MAX_ATTEMPTS = 2
    campaign = OfferCampaignFactory(shop=shop)
    waiting(campaign, 5)
    fake_haravan.fail_after_requests = 2  # two codes made, then 500 on everything

    with translation.override("en"):
        result = codes_make(campaign_id=campaign.pk)

    assert (result.made, result.failed, result.waiting, result.retry) == (2, 0, 3, True)
    assert states(campaign) == ["made", "made", "waiting", "waiting", "waiting"]
    campaign.refresh_from_db()
    assert "Haravan had an internal error (HTTP 500)" in campaign.state_reason
    assert campaign.codes_made == 2

    fake_haravan.fail_after_requests = None
    later = codes_make(campaign_id=campaign.pk)

    assert (later.made, later.waiting) == (3, 0)
    campaign.refresh_from_db()
    assert (campaign.codes_made, campaign.state_reason) == (5, "")
    assert fake_haravan.discount_creates == 5


def test_a_create_whose_answer_was_lost_when_the_run_stopped_is_found_by_the_next_run(
    shop, connection, fake_haravan, settings
):
    settings.HARAVAN_MAX_ATTEMPTS = 1
    campaign = OfferCampaignFactory(shop=shop)
    recipients = waiting(campaign, 3)
    fake_haravan.lose_next_creates = ["500"]
    fake_haravan.fail_after_requests = 1  # stored, answer lost, and the look-up fails too

    first = codes_make(campaign_id=campaign.pk)

    assert (first.made, first.waiting) == (0, 3) and fake_haravan.discount_creates == 1
    assert Recipient.objects.get(pk=recipients[0].pk).code_tried_at is not None  # a create may have gone through
    assert Recipient.objects.get(pk=recipients[1].pk).code_tried_at is None  # handed back untouched

    fake_haravan.fail_after_requests = None
    second = codes_make(campaign_id=campaign.pk)

    assert (second.made, second.waiting) == (3, 0)
    assert fake_haravan.discount_creates == 3 and len(fake_haravan.discounts) == 3
    assert Recipient.objects.get(pk=recipients[0].pk).discount_id == min(fake_haravan.discounts)


def test_a_spent_budget_hands_the_rest_back(shop, connection, fake_haravan):
    campaign = OfferCampaignFactory(shop=shop)
    waiting(campaign, 4)

    result = codes_make(campaign_id=campaign.pk, budget_seconds=0)

    assert (result.made, result.waiting, result.retry, result.budget_spent) == (0, 4, True, True)
    assert not Recipient.objects.filter(campaign=campaign, code_tried_at__isnull=False).exists()
    campaign.refresh_from_db()
    assert campaign.state_reason == ""


def test_two_workers_claim_different_codes(shop):
    campaign = OfferCampaignFactory(shop=shop)
    waiting(campaign, BATCH + 5)

    first, second, third = _claim(campaign.pk), _claim(campaign.pk), _claim(campaign.pk)

    assert len(first) == BATCH and len(second) == 5 and third == []
    assert not {row.id for row in first} & {row.id for row in second}


def test_without_a_haravan_connection_nothing_is_made_and_the_page_says_why(shop, fake_haravan):
    campaign = OfferCampaignFactory(shop=shop)
    waiting(campaign, 2)

    with translation.override("en"):
        result = codes_make(campaign_id=campaign.pk)

    assert (result.made, result.waiting, result.retry) == (0, 2, False)
    campaign.refresh_from_db()
    assert "Unique codes need the Haravan connection" in campaign.state_reason
    assert not fake_haravan.requests


def test_a_percentage_with_a_cap_is_refused_for_every_code(shop, connection, fake_haravan):
    offer = OfferFactory(shop=shop, kind=Offer.Kind.PERCENTAGE, value=20, max_amount=100_000)
    campaign = OfferCampaignFactory(shop=shop, offer=offer)
    waiting(campaign, 3)

    with translation.override("en"):
        result = codes_make(campaign_id=campaign.pk)

    assert (result.failed, result.waiting) == (3, 0)
    assert set(Recipient.objects.filter(campaign=campaign).values_list("code_error", flat=True)) == {
        "Haravan's discount codes cannot cap a percentage: remove the cap, or use a shared code made in Haravan."
    }
    campaign.refresh_from_db()
    assert campaign.codes_failed == 3
    assert not fake_haravan.discounts


def test_a_paused_campaign_makes_no_codes(shop, connection, fake_haravan):
    campaign = OfferCampaignFactory(shop=shop, state=Campaign.State.PAUSED)
    waiting(campaign, 2)

    assert codes_make(campaign_id=campaign.pk).waiting == 2
    assert not fake_haravan.discounts


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="SQLite runs one code worker at a time")
def test_two_workers_at_once_make_each_code_once(shop, connection, fake_haravan):
    campaign = OfferCampaignFactory(shop=shop)
    waiting(campaign, BATCH * 2)
    results, errors = [], []

    def worker():
        try:
            results.append(codes_make(campaign_id=campaign.pk))
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert sum(result.made for result in results) == BATCH * 2
    assert fake_haravan.discount_creates == BATCH * 2 and len(fake_haravan.discounts) == BATCH * 2
    campaign.refresh_from_db()
    assert campaign.codes_made == BATCH * 2
    assert states(campaign) == ["made"] * BATCH * 2
