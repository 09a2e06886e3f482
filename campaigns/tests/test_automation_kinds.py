"""The thank-you, the purchase reminder, the tier-up congratulation and the points-expiring
reminder at their edges: an order cancelled or a new order between queueing and sending, a
member who left the tier, each occasion once."""

import datetime

from django.utils import timezone

from campaigns.automations import automation_run
from campaigns.models import Campaign, Recipient
from campaigns.tests.automation_support import VN, Status, _at, _member, _queued
from campaigns.tests.factories import AutomationFactory
from members.models import Order
from members.tests.factories import OrderFactory
from messaging.models import Message
from messaging.services import outbox_send

# --- thank-you ----------------------------------------------------------------------


def _thank_you(shop, **fields):
    fields.setdefault("started_at", timezone.now() - datetime.timedelta(days=7))
    return AutomationFactory(
        shop=shop,
        kind=Campaign.Kind.THANK_YOU,
        name="Cảm ơn",
        wait_hours=2,
        email_subject="Cảm ơn {ten|bạn}",
        email_body="Cảm ơn {ten|bạn} đã mua hàng.",
        **fields,
    )


def test_a_thank_you_goes_hours_after_an_order_is_paid_once_per_order(shop, email_ready, mail_server):
    automation = _thank_you(shop)
    lan = _member(shop, "Lan")
    paid = timezone.now() - datetime.timedelta(hours=3)
    first = OrderFactory(shop=shop, customer=lan, created_at=paid, paid_at=paid)
    second = OrderFactory(shop=shop, customer=lan, created_at=paid, paid_at=paid + datetime.timedelta(minutes=5))
    just_paid = OrderFactory(shop=shop, customer=lan, paid_at=timezone.now())  # not yet: 2 hours

    for _ in range(2):
        automation_run(campaign=automation, now=timezone.now())
        outbox_send(shop_id=shop.pk, channel="email")

    thanked = set(Recipient.objects.filter(campaign=automation).values_list("order_id", flat=True))
    assert thanked == {first.pk, second.pk}
    assert just_paid.pk not in thanked
    assert len(mail_server.received) == 2
    assert Message.objects.filter(source=automation.source, status=Status.SENT).count() == 2


def test_an_order_cancelled_inside_the_delay_is_not_thanked(shop, email_ready, mail_server):
    automation = _thank_you(shop)
    lan = _member(shop, "Lan")
    paid = timezone.now() - datetime.timedelta(hours=3)
    cancelled_before = OrderFactory(shop=shop, customer=lan, created_at=paid, paid_at=paid, cancelled_at=timezone.now())
    cancelled_after = OrderFactory(shop=shop, customer=lan, created_at=paid, paid_at=paid)
    automation_run(campaign=automation, now=timezone.now())
    assert set(Recipient.objects.filter(campaign=automation).values_list("order_id", flat=True)) == {cancelled_after.pk}
    assert cancelled_before.pk  # never chosen

    # Cancelled (or refunded) between the queueing and the send: the start refuses it.
    Order.objects.filter(pk=cancelled_after.pk).update(financial_status=Order.FinancialStatus.REFUNDED)
    outbox_send(shop_id=shop.pk, channel="email")

    message = Message.objects.get(source=automation.source)
    assert message.status == Status.SKIPPED
    assert "hủy" in message.error or "hoàn" in message.error
    assert mail_server.received == []


def test_orders_paid_before_the_thank_you_was_turned_on_are_not_thanked_late(shop):
    automation = _thank_you(shop, started_at=timezone.now() - datetime.timedelta(hours=1))
    lan = _member(shop, "Lan")
    paid = timezone.now() - datetime.timedelta(hours=3)
    OrderFactory(shop=shop, customer=lan, created_at=paid, paid_at=paid)
    automation_run(campaign=automation, now=timezone.now())
    assert not Recipient.objects.filter(campaign=automation).exists()


# --- purchase reminder ---------------------------------------------------------------


def _win_back(shop, **fields):
    return AutomationFactory(
        shop=shop,
        kind=Campaign.Kind.WIN_BACK,
        name="Nhắc mua hàng",
        idle_days=30,
        run_hour=0,
        email_subject="Lâu rồi không gặp {ten|bạn}",
        email_body="{ten_shop} nhớ bạn.",
        **fields,
    )


def test_a_member_who_orders_between_queueing_and_sending_is_not_reminded(shop, email_ready, mail_server):
    automation = _win_back(shop)
    idle = timezone.now() - datetime.timedelta(days=40)
    ordered = _member(shop, "Lan", last_order_at=idle)
    still_idle = _member(shop, "Huệ", last_order_at=idle)
    _member(shop, "Mai", last_order_at=timezone.now() - datetime.timedelta(days=5))  # ordered lately

    automation_run(campaign=automation, now=timezone.now())
    assert set(_queued(automation).values_list("customer_id", flat=True)) == {ordered.pk, still_idle.pk}
    type(ordered).objects.filter(pk=ordered.pk).update(last_order_at=timezone.now())  # a new order arrives

    outbox_send(shop_id=shop.pk, channel="email")

    assert [message["To"] for message in mail_server.received] == [still_idle.email]
    skipped = Message.objects.get(source=automation.source, customer=ordered)
    assert skipped.status == Status.SKIPPED and "đặt hàng" in skipped.error


def test_a_reminder_is_sent_once_and_again_only_after_a_new_order_and_another_wait(shop):
    automation = _win_back(shop)
    lan = _member(shop, "Lan", last_order_at=timezone.now() - datetime.timedelta(days=40))
    automation_run(campaign=automation, now=timezone.now())
    automation_run(campaign=automation, now=timezone.now() + datetime.timedelta(days=1))
    assert Message.objects.filter(source=automation.source, customer=lan).count() == 1

    type(lan).objects.filter(pk=lan.pk).update(last_order_at=timezone.now() - datetime.timedelta(days=10))
    automation_run(campaign=automation, now=timezone.now() + datetime.timedelta(days=2))
    assert Message.objects.filter(source=automation.source, customer=lan).count() == 1  # not yet 30 days
    automation_run(campaign=automation, now=timezone.now() + datetime.timedelta(days=21))
    assert Message.objects.filter(source=automation.source, customer=lan).count() == 2


# --- sending ------------------------------------------------------------------------


def test_a_birthday_message_reaches_the_smtp_server_once_with_the_members_name(shop, email_ready, mail_server):
    local_now = timezone.localtime(timezone.now(), shop.tzinfo)
    automation = AutomationFactory(shop=shop, run_hour=0, started_at=timezone.now() - datetime.timedelta(days=2))
    lan = _member(shop, "Lan", birthday=local_now.date().replace(year=1992))  # a leap year: any day exists

    for _ in range(2):
        automation_run(campaign=automation, now=timezone.now())
        outbox_send(shop_id=shop.pk, channel="email")

    assert len(mail_server.received) == 1
    received = mail_server.received[0]
    assert received["To"] == lan.email and "Lan" in received["Subject"]


def test_birthday_points_are_one_ledger_line_per_member_and_year(shop):
    from loyalty.models import PointEntry

    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1), gift_points=200)
    lan = _member(shop, "Lan", birthday=datetime.date(1990, 3, 15), email="")  # no address: the points still come
    now = _at(2026, 3, 15, 9, zone=VN)
    automation_run(campaign=automation, now=now)
    Recipient.objects.filter(campaign=automation).update(queued_at=None)  # as if queued again after a crash
    automation_run(campaign=automation, now=now)

    lines = PointEntry.objects.filter(customer=lan, kind=PointEntry.Kind.BIRTHDAY)
    assert list(lines.values_list("points", "key")) == [(200, "birthday:2026")]
    lan.refresh_from_db()
    assert lan.points_balance == 200


def test_the_shops_cap_across_campaigns_skips_one_more_message_with_the_reason(shop, owner, email_ready, mail_server):
    from campaigns.lifecycle import campaign_start
    from campaigns.models import CampaignSettings
    from campaigns.sending import campaign_prepare
    from campaigns.tests.factories import CampaignFactory

    CampaignSettings.objects.create(shop=shop, cap_messages=2, cap_days=7)
    lan = _member(shop, "Lan")
    for _round in range(3):
        campaign = CampaignFactory(shop=shop)
        campaign_start(campaign=campaign, actor=owner, ip=None)
        campaign_prepare(campaign_id=campaign.pk)
        outbox_send(shop_id=shop.pk, channel="email")

    assert len(mail_server.received) == 2
    skipped = Message.objects.get(customer=lan, status=Status.SKIPPED)
    assert "2 tin chiến dịch" in skipped.error and "7 ngày" in skipped.error
    # A member's own one-to-one message is neither counted nor held back.
    from messaging.services import message_queue

    message_queue(
        shop=shop, customer=lan, channel="email", source="manual:1", source_label="Nhân viên",
        subject="Điểm của bạn", body="Bạn có 100 điểm.",
    )  # fmt: skip
    outbox_send(shop_id=shop.pk, channel="email")
    assert len(mail_server.received) == 3


# --- tier-up and points expiring ------------------------------------------------------


def _tier_up(shop, **fields):
    fields.setdefault("started_at", timezone.now() - datetime.timedelta(days=7))
    return AutomationFactory(
        shop=shop,
        kind=Campaign.Kind.TIER_UP,
        name="Lên hạng",
        email_subject="Chúc mừng {ten|bạn} lên hạng {hang}",
        email_body="Hạng {hang}: {uu_dai_hang}.",
        **fields,
    )


def test_a_move_up_is_congratulated_once_naming_the_tier_and_what_it_gives(shop, email_ready, mail_server):
    from decimal import Decimal

    from loyalty.models import TierChange
    from loyalty.tests.factories import TierFactory

    silver = TierFactory(shop=shop, name="Đồng Xanh", threshold=1)
    gold = TierFactory(shop=shop, name="Ngọc Lục", threshold=5_000_001, multiplier=Decimal("1.5"))
    automation = _tier_up(shop)
    up = _member(shop, "Lan", tier=gold)
    down = _member(shop, "Huệ", tier=silver)
    TierChange.objects.create(shop=shop, customer=up, from_tier=silver, to_tier=gold, reason="x")
    TierChange.objects.create(shop=shop, customer=down, from_tier=gold, to_tier=silver, reason="x")

    for _ in range(2):
        automation_run(campaign=automation, now=timezone.now())
        outbox_send(shop_id=shop.pk, channel="email")

    assert [message["To"] for message in mail_server.received] == [up.email]
    received = mail_server.received[0]
    assert "Ngọc Lục" in received["Subject"]
    text = received.get_body(("plain",)).get_content()
    assert "×1,5 điểm" in text


def test_a_member_who_left_the_tier_before_the_send_is_not_congratulated(shop, email_ready, mail_server):
    from loyalty.models import TierChange
    from loyalty.tests.factories import TierFactory

    silver = TierFactory(shop=shop, name="Đồng Xanh", threshold=1)
    gold = TierFactory(shop=shop, name="Ngọc Lục", threshold=5_000_001)
    automation = _tier_up(shop)
    lan = _member(shop, "Lan", tier=gold)
    TierChange.objects.create(shop=shop, customer=lan, from_tier=silver, to_tier=gold, reason="x")
    automation_run(campaign=automation, now=timezone.now())
    type(lan).objects.filter(pk=lan.pk).update(tier=silver)  # a refund moved them back down
    outbox_send(shop_id=shop.pk, channel="email")
    message = Message.objects.get(source=automation.source)
    assert message.status == Status.SKIPPED and "hạng" in message.error
    assert mail_server.received == []


def _points_expiring(shop, **fields):
    return AutomationFactory(
        shop=shop,
        kind=Campaign.Kind.POINTS_EXPIRING,
        name="Điểm sắp hết hạn",
        lead_days=7,
        run_hour=0,
        email_subject="{diem_sap_het} điểm sắp hết hạn",
        email_body="Bạn có {diem_sap_het} điểm dùng được đến hết ngày {han_diem}.",
        **fields,
    )


def test_points_lapsing_in_n_days_are_announced_with_the_amount_and_the_last_day(shop, email_ready, mail_server):
    from campaigns.models import CampaignSettings
    from loyalty.services import customers_refresh_points
    from loyalty.tests.factories import PointEntryFactory

    CampaignSettings.objects.create(shop=shop, cap_messages=1, cap_days=7)
    zone = shop.tzinfo
    today = timezone.localtime(timezone.now(), zone).date()
    lapse = datetime.datetime.combine(today + datetime.timedelta(days=7), datetime.time(0), tzinfo=zone)
    automation = _points_expiring(shop, started_at=timezone.now() - datetime.timedelta(days=2))
    lan = _member(shop, "Lan")
    spent = _member(shop, "Huệ")
    PointEntryFactory(shop=shop, customer=lan, points=300, expires_at=lapse)
    PointEntryFactory(shop=shop, customer=lan, points=50, expires_at=lapse + datetime.timedelta(days=60))
    PointEntryFactory(shop=shop, customer=spent, points=200, expires_at=lapse)
    customers_refresh_points(customer_ids=[lan.pk, spent.pk])
    # Lan already had a campaign message this week: a points notice is her own account's, not capped.
    Message.objects.create(
        shop=shop, customer=lan, channel="email", source="campaign:999", recipient=lan.email, body="x",
        priority=1, status=Status.SENT, sending_at=timezone.now(),
    )  # fmt: skip

    automation_run(campaign=automation, now=timezone.now())
    PointEntryFactory(shop=shop, customer=spent, points=-200)  # spent before the send
    customers_refresh_points(customer_ids=[spent.pk])
    outbox_send(shop_id=shop.pk, channel="email")

    assert [message["To"] for message in mail_server.received] == [lan.email]
    last_day = (lapse - datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    assert mail_server.received[0]["Subject"] == "300 điểm sắp hết hạn"
    assert last_day in mail_server.received[0].get_body(("plain",)).get_content()
    skipped = Message.objects.get(source=automation.source, customer=spent)
    assert skipped.status == Status.SKIPPED and skipped.priority == 0


def test_the_points_placeholders_belong_to_the_points_reminder_only():
    from campaigns.content import placeholders_check

    assert (
        placeholders_check("{diem_sap_het} {han_diem}", channel="sms", with_offer=False, kind="points_expiring") == []
    )
    (problem,) = placeholders_check("{diem_sap_het}", channel="sms", with_offer=False, kind="birthday")
    assert "diem_sap_het" in problem


def test_a_reminders_later_runs_take_those_who_crossed_the_line_or_joined_since(shop):
    automation = _win_back(shop, started_at=_at(2026, 3, 1))
    now = _at(2026, 3, 15, 12, zone=VN)
    _member(shop, "Lan", last_order_at=now - datetime.timedelta(days=40))
    crossing = _member(shop, "Huệ", last_order_at=now - datetime.timedelta(days=29))
    joined = _member(shop, "Mai", last_order_at=now - datetime.timedelta(days=200), member_since=None)
    automation_run(campaign=automation, now=now)
    assert Recipient.objects.filter(campaign=automation).count() == 1  # Huệ not yet 30 days, Mai not a member

    type(joined).objects.filter(pk=joined.pk).update(member_since=now + datetime.timedelta(hours=2))
    automation_run(campaign=automation, now=now + datetime.timedelta(days=2))
    chosen = set(Recipient.objects.filter(campaign=automation).values_list("customer_id", flat=True))
    assert {crossing.pk, joined.pk} <= chosen and len(chosen) == 3

    # Fewer days without an order: those between the two lines are reached too.
    twenty = _member(shop, "Cúc", last_order_at=now - datetime.timedelta(days=22))
    Campaign.objects.filter(pk=automation.pk).update(idle_days=20)
    automation.refresh_from_db()
    automation_run(campaign=automation, now=now + datetime.timedelta(days=3))
    assert Recipient.objects.filter(campaign=automation, customer=twenty).exists()


def test_a_first_placement_in_a_tier_is_not_a_move_up(shop):
    from loyalty.models import TierChange
    from loyalty.tests.factories import TierFactory

    base = TierFactory(shop=shop, name="Đồng Xanh", threshold=1)
    automation = _tier_up(shop)
    lan = _member(shop, "Lan", tier=base)
    TierChange.objects.create(shop=shop, customer=lan, from_tier=None, to_tier=base, reason="x")
    automation_run(campaign=automation, now=timezone.now())
    assert not Recipient.objects.filter(campaign=automation).exists()
