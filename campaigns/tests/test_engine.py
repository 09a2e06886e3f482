"""The campaign engine: the audience taken once, each recipient's channel queued once, the
holdout, and pause, resume and cancel acting on what waits."""

import datetime

import pytest
from django.utils import timezone

from campaigns.lifecycle import CampaignError, campaign_cancel, campaign_pause, campaign_resume, campaign_start
from campaigns.models import Campaign, Recipient
from campaigns.selectors import campaign_confirmation
from campaigns.sending import (
    _reasons,
    campaign_prepare,
    campaigns_due,
    campaigns_finish,
    cancelled_reason,
    is_held_out,
    messages_queue,
    recipients_take,
)
from campaigns.tests.factories import CampaignFactory
from members.models import CustomerGroup, CustomerGroupMember
from members.tests.factories import CustomerFactory
from messaging.models import Message
from messaging.services import outbox_send
from shops.models import ActivityEntry, ActivityKind

Status = Message.Status


def _messages(campaign, **filters):
    return Message.objects.filter(source=campaign.source, **filters)


def test_a_started_campaign_queues_each_member_once_per_channel(shop, owner, members, email_ready, sms_ready):
    no_email = CustomerFactory(shop=shop, name="Trần Văn Bình", member_since=timezone.now())
    refused_sms = CustomerFactory(shop=shop, email="an@example.vn", accepts_sms=False, member_since=timezone.now())
    CustomerFactory(shop=shop, email="khach@example.vn")  # a customer, not a member
    campaign = CampaignFactory(shop=shop, send_sms=True)

    campaign_start(campaign=campaign, actor=owner, ip=None)
    assert campaign.state == Campaign.State.PREPARING
    assert campaign_prepare(campaign_id=campaign.pk) == "queued"

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING
    assert campaign.recipients_count == 7
    assert _messages(campaign, channel="email", status=Status.QUEUED).count() == 6
    assert _messages(campaign, channel="sms", status=Status.QUEUED).count() == 6
    skipped_email = _messages(campaign, channel="email", status=Status.SKIPPED).get()
    assert skipped_email.customer == no_email and skipped_email.error == _reasons()["no_email"]
    skipped_sms = _messages(campaign, channel="sms", status=Status.SKIPPED).get()
    assert skipped_sms.customer == refused_sms and skipped_sms.error == _reasons()["sms_refused"]
    assert set(_messages(campaign).values_list("composer", "priority", "advertising").distinct()) == {
        ("campaign", 1, False)
    }
    assert ActivityEntry.objects.filter(shop=shop, kind=ActivityKind.CAMPAIGN_STARTED).count() == 1


def test_taking_the_audience_and_queueing_again_adds_nobody(shop, owner, members, email_ready):
    campaign = CampaignFactory(shop=shop)
    campaign_start(campaign=campaign, actor=owner, ip=None)
    campaign_prepare(campaign_id=campaign.pk)

    # A second worker (or beat after a crash) repeats both steps.
    recipients_take(campaign=campaign)
    assert messages_queue(campaign=campaign) == 0

    assert Recipient.objects.filter(campaign=campaign).count() == 5
    assert _messages(campaign).count() == 5
    assert campaign_prepare(campaign_id=campaign.pk) == "busy"  # SENDING: nothing to prepare


def test_a_member_in_two_groups_of_the_audience_is_one_recipient(shop, owner, members, email_ready):
    regulars = CustomerGroup.objects.create(shop=shop, name="Khách quen", kind=CustomerGroup.Kind.STATIC)
    vip = CustomerGroup.objects.create(shop=shop, name="VIP", kind=CustomerGroup.Kind.STATIC)
    for group, customers in ((regulars, members[:3]), (vip, members[2:4])):
        CustomerGroupMember.objects.bulk_create(CustomerGroupMember(group=group, customer=c) for c in customers)
    by_rules = CustomerGroup.objects.create(
        shop=shop, name="Có email", kind=CustomerGroup.Kind.RULES, rules={"q": members[0].email}
    )
    campaign = CampaignFactory(
        shop=shop, audience=Campaign.Audience.GROUPS, group_ids=[regulars.pk, vip.pk, by_rules.pk]
    )

    campaign_start(campaign=campaign, actor=owner, ip=None)
    campaign_prepare(campaign_id=campaign.pk)

    assert sorted(_messages(campaign).values_list("customer_id", flat=True)) == sorted(c.pk for c in members[:4])


def test_another_shops_group_reaches_nobody(shop, other_shop, owner, members, email_ready):
    theirs = CustomerGroup.objects.create(shop=other_shop, name="Của họ", kind=CustomerGroup.Kind.STATIC)
    campaign = CampaignFactory(shop=shop, audience=Campaign.Audience.GROUPS, group_ids=[theirs.pk])

    campaign_start(campaign=campaign, actor=owner, ip=None)
    campaign_prepare(campaign_id=campaign.pk)

    assert Recipient.objects.filter(campaign=campaign).count() == 0


def test_the_holdout_is_fixed_by_the_seed_and_gets_nothing(shop, owner, email_ready):
    joined = timezone.now()
    customers = CustomerFactory.create_batch(300, shop=shop, email="k@example.vn", member_since=joined)
    campaign = CampaignFactory(shop=shop, holdout_percent=10)
    expected = campaign_confirmation(campaign=campaign)

    campaign_start(campaign=campaign, actor=owner, ip=None)
    campaign_prepare(campaign_id=campaign.pk)

    held = set(Recipient.objects.filter(campaign=campaign, held_out=True).values_list("customer_id", flat=True))
    assert held == {c.pk for c in customers if is_held_out(campaign=campaign, customer_id=c.pk)}
    assert 10 <= len(held) <= 60  # about 30 of 300
    assert expected.held_out == len(held) and expected.recipients == {"email": 300 - len(held)}
    assert not _messages(campaign, customer_id__in=held).exists()
    assert _messages(campaign).count() == 300 - len(held)
    campaign.refresh_from_db()
    assert campaign.held_out_count == len(held)


def test_a_campaign_starts_once(shop, owner, staff, members, email_ready):
    campaign = CampaignFactory(shop=shop)
    campaign_start(campaign=campaign, actor=owner, ip=None)

    with pytest.raises(CampaignError, match="đã được bắt đầu"):
        campaign_start(campaign=Campaign.objects.get(pk=campaign.pk), actor=staff, ip=None)


def test_a_campaign_that_cannot_send_does_not_start(shop, owner, members):
    campaign = CampaignFactory(shop=shop, email_body="Chào {ten}", send_sms=False)

    with pytest.raises(CampaignError, match="Chưa cấu hình gửi email"):
        campaign_start(campaign=campaign, actor=owner, ip=None)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


def test_a_scheduled_campaign_is_prepared_once_when_its_time_comes(shop, owner, members, email_ready):
    campaign = CampaignFactory(shop=shop, send_at=timezone.now() + datetime.timedelta(hours=2))
    campaign_start(campaign=campaign, actor=owner, ip=None)
    assert campaign.state == Campaign.State.SCHEDULED
    assert campaigns_due() == []

    Campaign.objects.filter(pk=campaign.pk).update(send_at=timezone.now() - datetime.timedelta(minutes=1))
    # Two beats see it due; both hand it out, one worker prepares it.
    assert campaigns_due() == [campaign.pk]
    assert campaigns_due() == [campaign.pk]
    assert campaign_prepare(campaign_id=campaign.pk) == "queued"
    assert campaign_prepare(campaign_id=campaign.pk) == "busy"
    assert _messages(campaign).count() == 5


def test_pause_stops_the_sending_and_resume_sends_each_message_once(shop, owner, members, email_ready, mail_server):
    campaign = CampaignFactory(shop=shop)
    campaign_start(campaign=campaign, actor=owner, ip=None)
    campaign_prepare(campaign_id=campaign.pk)
    campaign_pause(campaign=campaign, actor=owner, ip=None)

    assert outbox_send(shop_id=shop.pk, channel="email").sent == 0
    assert _messages(campaign, status=Status.QUEUED).count() == 5

    campaign_resume(campaign=campaign, actor=owner, ip=None)
    assert campaign.state == Campaign.State.SENDING
    assert outbox_send(shop_id=shop.pk, channel="email").sent == 5
    campaign_pause(campaign=campaign, actor=owner, ip=None)
    campaign_resume(campaign=campaign, actor=owner, ip=None)
    assert outbox_send(shop_id=shop.pk, channel="email").sent == 0

    for member in members:
        assert len(mail_server.to(member.email)) == 1
    assert campaigns_finish() == 1
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.FINISHED
    kinds = list(ActivityEntry.objects.filter(shop=shop).values_list("kind", flat=True))
    assert kinds.count(ActivityKind.CAMPAIGN_PAUSED) == 2 and kinds.count(ActivityKind.CAMPAIGN_RESUMED) == 2


def test_a_pause_before_the_queueing_holds_what_is_queued(shop, owner, members, email_ready, mail_server):
    campaign = CampaignFactory(shop=shop)
    campaign_start(campaign=campaign, actor=owner, ip=None)
    campaign_pause(campaign=campaign, actor=owner, ip=None)

    assert campaign_prepare(campaign_id=campaign.pk) == "busy"  # paused: no worker takes it
    campaign_resume(campaign=campaign, actor=owner, ip=None)
    assert campaign.state == Campaign.State.PREPARING
    assert campaign_prepare(campaign_id=campaign.pk) == "queued"
    assert outbox_send(shop_id=shop.pk, channel="email").sent == 5


def test_cancel_drops_what_waits_and_keeps_what_was_sent(shop, owner, members, email_ready, mail_server):
    campaign = CampaignFactory(shop=shop)
    campaign_start(campaign=campaign, actor=owner, ip=None)
    campaign_prepare(campaign_id=campaign.pk)
    first_two = list(_messages(campaign).order_by("pk").values_list("pk", flat=True)[:2])
    Message.objects.filter(pk__in=first_two).update(status=Status.SENT, sent_at=timezone.now())

    campaign_cancel(campaign=campaign, actor=owner, ip=None)

    assert _messages(campaign, status=Status.SENT).count() == 2
    assert list(_messages(campaign, status=Status.SKIPPED).values_list("error", flat=True)) == [cancelled_reason()] * 3
    assert outbox_send(shop_id=shop.pk, channel="email").sent == 0
    assert mail_server.received == []
    with pytest.raises(CampaignError):
        campaign_resume(campaign=campaign, actor=owner, ip=None)


def test_an_unsubscribe_between_queueing_and_sending_is_honoured(shop, owner, members, email_ready, mail_server):
    campaign = CampaignFactory(shop=shop)
    campaign_start(campaign=campaign, actor=owner, ip=None)
    campaign_prepare(campaign_id=campaign.pk)
    type(members[0]).objects.filter(pk=members[0].pk).update(accepts_email=False)

    assert outbox_send(shop_id=shop.pk, channel="email").sent == 4
    assert mail_server.to(members[0].email) == []
    assert _messages(campaign, customer=members[0]).get().status == Status.SKIPPED


def test_one_refused_recipient_neither_holds_back_nor_repeats_the_others(
    shop, owner, members, email_ready, mail_server
):
    mail_server.refuse[members[1].email] = "550 5.1.1 The email account that you tried to reach does not exist."
    campaign = CampaignFactory(shop=shop)
    campaign_start(campaign=campaign, actor=owner, ip=None)
    campaign_prepare(campaign_id=campaign.pk)

    assert outbox_send(shop_id=shop.pk, channel="email").sent == 4
    assert outbox_send(shop_id=shop.pk, channel="email").sent == 0

    refused = _messages(campaign, customer=members[1]).get()
    assert refused.status == Status.FAILED and "550" in refused.error
    for member in members[:1] + members[2:]:
        assert len(mail_server.to(member.email)) == 1


def test_unique_codes_are_made_before_anything_is_sent_and_each_message_carries_its_own(
    shop, owner, members, email_ready, connection, fake_haravan, mail_server
):
    from campaigns.codes import codes_make
    from campaigns.sending import campaign_codes_done

    campaign = CampaignFactory(shop=shop, with_offer=True, holdout_percent=0)
    campaign_start(campaign=campaign, actor=owner, ip=None)

    assert campaign_prepare(campaign_id=campaign.pk) == "codes"
    assert not _messages(campaign).exists()  # nothing queued while codes are made
    assert campaign_prepare(campaign_id=campaign.pk) == "busy"  # the code maker holds it
    assert codes_make(campaign_id=campaign.pk).done
    assert campaign_codes_done(campaign_id=campaign.pk) == "queued"

    campaign.refresh_from_db()
    assert (campaign.codes_needed, campaign.codes_made, campaign.codes_failed) == (5, 5, 0)
    codes = dict(Recipient.objects.filter(campaign=campaign).values_list("customer_id", "code"))
    assert len(set(codes.values())) == 5 and {d["code"] for d in fake_haravan.discounts.values()} == set(codes.values())
    assert outbox_send(shop_id=shop.pk, channel="email").sent == 5
    for member in members:
        (received,) = mail_server.to(member.email)
        assert codes[member.pk] in received.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    "seed",
    ["seed-228", "seed-411", "seed-663", "seed-924", "seed-1037", "seed-1148", *(f"seed-{n}" for n in range(20))],
)
def test_the_holdout_takes_its_share_of_consecutive_ids_whatever_the_seed(seed):
    campaign = Campaign(holdout_percent=10, holdout_seed=seed)
    held = sum(is_held_out(campaign=campaign, customer_id=customer_id) for customer_id in range(1, 2001))
    assert 140 <= held <= 260  # 10 % of 2,000 is 200
