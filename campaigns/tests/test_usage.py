import datetime

from django.utils import timezone

from campaigns.models import Campaign, CodeUse, Offer, Recipient
from campaigns.tests.factories import OfferCampaignFactory, OfferFactory, RecipientFactory
from campaigns.usage import code_uses_record
from haravan.models import SyncJob, WebhookEvent
from haravan.services import sync_start
from haravan.tasks import process_webhook, run_sync
from haravan.tests.test_webhooks import order_body, post
from members.models import Order
from members.tests.factories import OrderFactory


def with_code(campaign, code):
    return RecipientFactory(campaign=campaign, code=code, code_state=Recipient.CodeState.MADE)


def test_a_unique_code_is_found_whatever_its_case_and_recorded_once(shop):
    campaign = OfferCampaignFactory(shop=shop)
    recipient = with_code(campaign, "TAQ7KX2M9P")
    used = OrderFactory(shop=shop, discount_codes=["taq7kx2m9p"])
    other = OrderFactory(shop=shop, discount_codes=["SOMETHINGELSE"])
    plain = OrderFactory(shop=shop)

    assert code_uses_record(shop=shop, order_ids=[used.pk, other.pk, plain.pk]) == 1
    assert code_uses_record(shop=shop, order_ids=[used.pk, other.pk, plain.pk]) == 0  # repeated: nothing more

    use = CodeUse.objects.get()
    assert (use.campaign_id, use.order_id, use.recipient_id, use.code) == (
        campaign.pk,
        used.pk,
        recipient.pk,
        "TAQ7KX2M9P",
    )


def test_haravans_code_objects_are_read_too(shop):
    campaign = OfferCampaignFactory(shop=shop)
    with_code(campaign, "TAQ7KX2M9P")
    order = OrderFactory(shop=shop, discount_codes=[{"code": "Taq7Kx2m9p", "amount": "50000", "type": "fixed_amount"}])

    assert code_uses_record(shop=shop, order_ids=[order.pk]) == 1


def test_a_shared_code_counts_for_orders_placed_once_its_campaign_started(shop):
    started = timezone.now() - datetime.timedelta(days=2)
    offer = OfferFactory(shop=shop, codes=Offer.Codes.SHARED, shared_code="TETVUIVE")
    campaign = OfferCampaignFactory(shop=shop, offer=offer, state=Campaign.State.SENDING, started_at=started)
    not_started = OfferCampaignFactory(
        shop=shop,
        state=Campaign.State.DRAFT,
        started_at=None,
        offer=OfferFactory(shop=shop, codes=Offer.Codes.SHARED, shared_code="TETVUIVE"),
    )
    after = OrderFactory(shop=shop, discount_codes=["tetvuive"], created_at=started + datetime.timedelta(hours=1))
    before = OrderFactory(shop=shop, discount_codes=["TETVUIVE"], created_at=started - datetime.timedelta(hours=1))

    assert code_uses_record(shop=shop, order_ids=[after.pk, before.pk]) == 1

    assert list(CodeUse.objects.values_list("campaign_id", "order_id", "recipient_id")) == [
        (campaign.pk, after.pk, None)
    ]
    assert not CodeUse.objects.filter(campaign=not_started).exists()


def test_another_shops_codes_and_orders_are_ignored(shop, other_shop):
    theirs = OfferCampaignFactory(shop=other_shop)
    with_code(theirs, "TAQ7KX2M9P")
    OfferCampaignFactory(
        shop=other_shop,
        offer=OfferFactory(shop=other_shop, codes=Offer.Codes.SHARED, shared_code="SENVANG"),
        state=Campaign.State.SENDING,
    )
    mine = OrderFactory(shop=shop, discount_codes=["TAQ7KX2M9P", "SENVANG"])
    their_order = OrderFactory(shop=other_shop, discount_codes=["TAQ7KX2M9P"])

    assert code_uses_record(shop=shop, order_ids=[mine.pk, their_order.pk]) == 0
    assert not CodeUse.objects.exists()


def test_a_signed_webhook_of_a_paid_order_that_used_a_code_records_its_use(
    client, connection, shop, django_capture_on_commit_callbacks
):
    campaign = OfferCampaignFactory(shop=shop)
    recipient = with_code(campaign, "TAQ7KX2M9P")
    body = order_body(
        order_id=7001, discount_codes=[{"code": "taq7kx2m9p", "amount": "50000.0", "type": "fixed_amount"}]
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert post(client, connection, body, topic="orders/paid").status_code == 200

    result = process_webhook.apply(args=[WebhookEvent.objects.get().pk])  # what the worker runs

    assert result.state == "SUCCESS"
    order = Order.objects.get(shop=shop, external_id="7001")
    use = CodeUse.objects.get()
    assert (use.campaign_id, use.order_id, use.recipient_id) == (campaign.pk, order.pk, recipient.pk)
    assert (order.financial_status, order.paid_amount) == ("paid", 1_200_000)


def test_a_sync_records_the_uses_of_the_orders_it_brings(
    connection, shop, fake_haravan, django_capture_on_commit_callbacks
):
    campaign = OfferCampaignFactory(shop=shop)
    with_code(campaign, "TAQ7KX2M9P")
    fake_haravan.add_order(
        9001,
        discount_codes=[{"code": "TAQ7KX2M9P", "amount": "50000.0", "type": "fixed_amount"}],
        customer={"id": 5, "phone": "0912345678"},
    )
    fake_haravan.add_order(9002)
    with django_capture_on_commit_callbacks(execute=False):
        job = sync_start(shop=shop, kind=SyncJob.Kind.FULL)

    run_sync.apply(args=[job.pk])

    assert SyncJob.objects.get(pk=job.pk).status == SyncJob.Status.DONE
    assert list(CodeUse.objects.values_list("order__external_id", flat=True)) == ["9001"]
