"""Automations at their edges: the shop's calendar, 29 February, a birthday changed lately,
an order cancelled or a new order between queueing and sending, beat stopped or doubled, a
run that died, the holdout; each occasion once."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from campaigns.automations import (
    _late_reason,
    automation_run,
    birthday_recently_changed,
    daily_select,
    days_to_select,
    recipients_queue,
)
from campaigns.models import AutomationRun, Campaign, Recipient
from campaigns.sending import is_held_out
from campaigns.tests.factories import AutomationFactory
from members.models import Order
from members.tests.factories import CustomerFactory, OrderFactory
from messaging.models import Message
from messaging.services import outbox_send

Status = Message.Status
UTC = datetime.UTC
VN = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def _member(shop, name, *, birthday=None, **fields):
    fields.setdefault("member_since", timezone.now() - datetime.timedelta(days=400))
    fields.setdefault("email", f"{name.lower()}@example.vn")
    return CustomerFactory(shop=shop, name=name, birthday=birthday, **fields)


def _queued(campaign):
    return Message.objects.filter(source=campaign.source, status=Status.QUEUED)


def _at(year, month, day, hour=0, minute=0, zone=UTC):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=zone)


# --- the birthday's calendar ----------------------------------------------------------


def test_a_birthday_today_in_vietnam_but_still_yesterday_in_utc_goes_out_today(shop):
    now = _at(2026, 3, 15, 0, 0)  # 07:00 in Hồ Chí Minh City
    automation = AutomationFactory(shop=shop, run_hour=7, started_at=now - datetime.timedelta(hours=1))
    today = _member(shop, "Lan", birthday=datetime.date(1990, 3, 15))
    yesterday = _member(shop, "Huệ", birthday=datetime.date(1991, 3, 14))
    tomorrow = _member(shop, "Mai", birthday=datetime.date(1992, 3, 16))

    automation_run(campaign=automation, now=now)

    assert list(_queued(automation).values_list("customer_id", "occasion")) == [(today.pk, "2026")]
    # Tomorrow's is chosen a day ahead (its code would be made now), and waits for its hour.
    ahead = Recipient.objects.get(campaign=automation, customer=tomorrow)
    assert ahead.send_at == _at(2026, 3, 16, 7, zone=VN) and ahead.queued_at is None
    assert not Recipient.objects.filter(campaign=automation, customer=yesterday).exists()


def test_before_the_hour_nothing_of_today_is_sent_and_at_the_hour_it_is(shop):
    automation = AutomationFactory(shop=shop, run_hour=9, started_at=_at(2026, 3, 1))
    lan = _member(shop, "Lan", birthday=datetime.date(1990, 3, 15))

    automation_run(campaign=automation, now=_at(2026, 3, 15, 8, 59, zone=VN))
    assert not _queued(automation).exists()
    assert Recipient.objects.get(campaign=automation, customer=lan).queued_at is None  # chosen the day before

    automation_run(campaign=automation, now=_at(2026, 3, 15, 9, 0, zone=VN))
    assert _queued(automation).get().customer == lan


def test_a_shop_in_another_time_zone_runs_at_its_own_hour(shop):
    shop.time_zone = "America/New_York"
    shop.save()
    new_york = zoneinfo.ZoneInfo("America/New_York")
    automation = AutomationFactory(shop=shop, run_hour=9, started_at=_at(2026, 6, 1))
    june_10 = _member(shop, "Lan", birthday=datetime.date(1990, 6, 10))

    # 09:00 in Vietnam on 10 June is still the evening of 9 June in New York.
    automation_run(campaign=automation, now=_at(2026, 6, 10, 9, 0, zone=VN))
    assert not _queued(automation).exists()
    automation_run(campaign=automation, now=_at(2026, 6, 10, 8, 59, zone=new_york))
    assert not _queued(automation).exists()
    automation_run(campaign=automation, now=_at(2026, 6, 10, 9, 0, zone=new_york))
    assert _queued(automation).get().customer == june_10


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2027, 2, 28), {"feb28", "feb29"}),  # a common year: 29 February on the 28th
        (datetime.date(2027, 3, 1), set()),
        (datetime.date(2028, 2, 28), {"feb28"}),  # a leap year: each on its own day
        (datetime.date(2028, 2, 29), {"feb29"}),
    ],
)
def test_29_february_is_celebrated_on_28_february_in_a_common_year(shop, day, expected):
    automation = AutomationFactory(shop=shop, started_at=_at(2027, 1, 1))
    born = {
        "feb28": _member(shop, "Lan", birthday=datetime.date(1990, 2, 28)),
        "feb29": _member(shop, "Huệ", birthday=datetime.date(1992, 2, 29)),
    }
    daily_select(campaign=automation, day=day)
    chosen = set(Recipient.objects.filter(campaign=automation).values_list("customer_id", flat=True))
    assert chosen == {born[name].pk for name in expected}
    assert set(Recipient.objects.filter(campaign=automation).values_list("occasion", flat=True)) <= {str(day.year)}


def test_days_ahead_sends_before_the_birthday_and_keys_it_by_the_birthdays_year(shop):
    automation = AutomationFactory(shop=shop, lead_days=3, started_at=_at(2026, 12, 1))
    january_2 = _member(shop, "Lan", birthday=datetime.date(1990, 1, 2))
    daily_select(campaign=automation, day=datetime.date(2026, 12, 30))
    recipient = Recipient.objects.get(campaign=automation)
    assert recipient.customer == january_2 and recipient.occasion == "2027"


def test_a_birthday_changed_ten_days_ago_earns_nothing_this_year_and_the_page_can_say_so(shop):
    now = _at(2026, 3, 15, 9, zone=VN)
    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1))
    _member(shop, "Lan", birthday=datetime.date(1990, 3, 15), birthday_changed_at=now - datetime.timedelta(days=10))
    settled = _member(
        shop, "Huệ", birthday=datetime.date(1991, 3, 15), birthday_changed_at=now - datetime.timedelta(days=45)
    )
    imported = _member(shop, "Mai", birthday=datetime.date(1992, 3, 15))  # came with it: never changed

    automation_run(campaign=automation, now=now)

    assert set(_queued(automation).values_list("customer_id", flat=True)) == {settled.pk, imported.pk}
    assert birthday_recently_changed(campaign=automation, day=datetime.date(2026, 3, 15)) == 1


def test_a_customer_who_is_not_a_member_gets_no_birthday_message(shop):
    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1))
    _member(shop, "Lan", birthday=datetime.date(1990, 3, 15), member_since=None)
    automation_run(campaign=automation, now=_at(2026, 3, 15, 9, zone=VN))
    assert not Recipient.objects.filter(campaign=automation).exists()


# --- once, whatever happens ----------------------------------------------------------


def test_once_per_member_per_year_whatever_runs_again(shop):
    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1))
    lan = _member(shop, "Lan", birthday=datetime.date(1990, 3, 15))
    for now in (_at(2026, 3, 15, 9, zone=VN), _at(2026, 3, 15, 9, 1, zone=VN), _at(2026, 3, 16, 9, zone=VN)):
        automation_run(campaign=automation, now=now)
    assert Message.objects.filter(source=automation.source, customer=lan).count() == 1
    # The run of the day is made once, however many beats ran.
    assert AutomationRun.objects.filter(campaign=automation, day=datetime.date(2026, 3, 15)).count() == 1

    automation_run(campaign=automation, now=_at(2027, 3, 15, 9, zone=VN))
    assert list(
        Message.objects.filter(source=automation.source, customer=lan)
        .order_by("occasion")
        .values_list("occasion", flat=True)
    ) == ["2026", "2027"]


def test_two_beats_at_once_select_and_queue_each_member_once(shop):
    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1))
    for index in range(5):
        _member(shop, f"Khach{index}", birthday=datetime.date(1990, 3, 15))
    now = _at(2026, 3, 15, 9, zone=VN)
    # The second beat finds the day's run made but (as if the first were still at work)
    # unfinished: it selects again, and the unique keys add nobody.
    automation_run(campaign=automation, now=now)
    AutomationRun.objects.filter(campaign=automation).update(finished_at=None)
    Recipient.objects.filter(campaign=automation).update(queued_at=None)
    automation_run(campaign=automation, now=now)
    assert Recipient.objects.filter(campaign=automation).count() == 5
    assert Message.objects.filter(source=automation.source).count() == 5


def test_a_run_that_died_midway_is_finished_by_the_next_beat_without_doubles(shop):
    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1))
    members = [_member(shop, f"Khach{index}", birthday=datetime.date(1990, 3, 15)) for index in range(4)]
    # The dead worker had made the day's run and taken two members, and queued one of them.
    run = AutomationRun.objects.create(campaign=automation, day=datetime.date(2026, 3, 15))
    send_at = _at(2026, 3, 15, 9, zone=VN)
    for member in members[:2]:
        Recipient.objects.create(
            campaign=automation, customer=member, occasion="2026", run=run, send_at=send_at, held_out=False
        )
    recipients_queue(campaign=automation, now=send_at)
    Recipient.objects.filter(customer=members[1]).update(queued_at=None)  # its batch never committed

    automation_run(campaign=automation, now=send_at + datetime.timedelta(minutes=5))

    assert Recipient.objects.filter(campaign=automation).count() == 4
    assert sorted(Message.objects.filter(source=automation.source).values_list("customer_id", flat=True)) == sorted(
        member.pk for member in members
    )


def test_beat_stopped_for_three_hours_still_sends_todays_birthdays_today(shop):
    automation = AutomationFactory(shop=shop, run_hour=8, started_at=_at(2026, 3, 1))
    lan = _member(shop, "Lan", birthday=datetime.date(1990, 3, 15))
    # Beat's last run was the evening before (which chose today's members); it is back at 11:00.
    automation_run(campaign=automation, now=_at(2026, 3, 14, 20, zone=VN))
    assert not _queued(automation).exists()
    back = _at(2026, 3, 15, 11, zone=VN)
    automation_run(campaign=automation, now=back)
    message = _queued(automation).get()
    assert message.customer == lan and message.next_attempt_at == back


def test_a_day_the_shop_was_down_is_caught_up_a_day_late_at_most(shop):
    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1))
    lost = _member(shop, "Lan", birthday=datetime.date(1990, 3, 12))  # chosen the eve, then four days down
    yesterday = _member(shop, "Huệ", birthday=datetime.date(1991, 3, 15))
    today = _member(shop, "Mai", birthday=datetime.date(1992, 3, 16))
    automation_run(campaign=automation, now=_at(2026, 3, 11, 9, zone=VN))  # then down until the 16th

    back = _at(2026, 3, 16, 10, zone=VN)
    assert days_to_select(campaign=automation, now=back) == [
        datetime.date(2026, 3, 15),
        datetime.date(2026, 3, 16),
        datetime.date(2026, 3, 17),
    ]
    automation_run(campaign=automation, now=back)
    assert set(_queued(automation).values_list("customer_id", flat=True)) == {yesterday.pk, today.pk}
    late = Message.objects.get(source=automation.source, customer=lost)
    assert late.status == Status.SKIPPED and late.error == _late_reason()


def test_nothing_is_caught_up_from_before_the_automation_was_turned_on(shop):
    turned_on = _at(2026, 3, 15, 10, zone=VN)
    automation = AutomationFactory(shop=shop, started_at=turned_on)
    _member(shop, "Lan", birthday=datetime.date(1990, 3, 14))
    today = _member(shop, "Huệ", birthday=datetime.date(1991, 3, 15))
    automation_run(campaign=automation, now=turned_on)
    assert set(_queued(automation).values_list("customer_id", flat=True)) == {today.pk}


def test_a_member_in_the_holdout_is_recorded_and_gets_nothing(shop):
    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1), holdout_percent=50)
    members = [_member(shop, f"Khach{index}", birthday=datetime.date(1990, 3, 15)) for index in range(20)]
    held = {member.pk for member in members if is_held_out(campaign=automation, customer_id=member.pk)}
    assert 0 < len(held) < 20

    automation_run(campaign=automation, now=_at(2026, 3, 15, 9, zone=VN))

    assert set(Recipient.objects.filter(campaign=automation, held_out=True).values_list("customer_id", flat=True)) == (
        held
    )
    assert (
        set(Message.objects.filter(source=automation.source).values_list("customer_id", flat=True))
        == {member.pk for member in members} - held
    )


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


# --- found in review --------------------------------------------------------------------


def test_a_birthday_member_who_orders_the_day_before_still_gets_the_birthday_message(shop):
    from messaging.services.outbox_start import still_eligible

    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1))
    lan = _member(shop, "Lan", birthday=datetime.date(1990, 3, 16), last_order_at=_at(2026, 1, 1))
    automation_run(campaign=automation, now=_at(2026, 3, 15, 9, zone=VN))  # chosen a day ahead
    type(lan).objects.filter(pk=lan.pk).update(last_order_at=_at(2026, 3, 15, 15, zone=VN))
    automation_run(campaign=automation, now=_at(2026, 3, 16, 9, zone=VN))
    assert still_eligible(message=_queued(automation).get())


def test_days_ahead_raised_while_on_leaves_no_birthday_behind(shop):
    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1))
    born = [_member(shop, f"Khach{day}", birthday=datetime.date(1990, 3, day)) for day in range(15, 25)]
    automation_run(campaign=automation, now=_at(2026, 3, 15, 9, zone=VN))  # 15th sent, 16th chosen
    Campaign.objects.filter(pk=automation.pk).update(lead_days=7)
    automation.refresh_from_db()
    automation_run(campaign=automation, now=_at(2026, 3, 16, 9, zone=VN))
    chosen = set(Recipient.objects.filter(campaign=automation).values_list("customer_id", flat=True))
    assert chosen == {member.pk for member in born[:10]}  # the 15th to the 24th: none skipped, none twice
    assert Recipient.objects.filter(campaign=automation).count() == 10


def test_a_first_placement_in_a_tier_is_not_a_move_up(shop):
    from loyalty.models import TierChange
    from loyalty.tests.factories import TierFactory

    base = TierFactory(shop=shop, name="Đồng Xanh", threshold=1)
    automation = _tier_up(shop)
    lan = _member(shop, "Lan", tier=base)
    TierChange.objects.create(shop=shop, customer=lan, from_tier=None, to_tier=base, reason="x")
    automation_run(campaign=automation, now=timezone.now())
    assert not Recipient.objects.filter(campaign=automation).exists()


def test_an_offer_changed_while_on_carries_those_already_chosen(shop, staff):
    from campaigns.editing import automation_save
    from campaigns.tests.factories import OfferFactory

    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1), offer=OfferFactory(shop=shop))
    _member(shop, "Lan", birthday=datetime.date(1990, 3, 16))
    automation_run(campaign=automation, now=_at(2026, 3, 15, 9, zone=VN))
    assert Recipient.objects.get(campaign=automation).code_state == Recipient.CodeState.WAITING

    data = {
        "send_email": True, "send_sms": False, "email_subject": "Chúc mừng", "email_body": "Chào {ten|bạn}",
        "sms_text": "", "sms_plain": False, "holdout_percent": 0, "run_hour": 9, "lead_days": 0, "gift_points": 0,
        "offered": False,
    }  # fmt: skip
    automation_save(shop=shop, actor=staff, automation=automation, data=data, ip=None)
    assert Recipient.objects.get(campaign=automation).code_state == Recipient.CodeState.NONE
    automation.refresh_from_db()
    recipients_queue(campaign=automation, now=_at(2026, 3, 16, 9, zone=VN))
    assert _queued(automation).count() == 1


def test_a_turned_off_automation_queues_nothing_more(shop, staff):
    from campaigns.lifecycle import automation_turn_off

    automation = AutomationFactory(shop=shop, started_at=_at(2026, 3, 1))
    _member(shop, "Lan", birthday=datetime.date(1990, 3, 16))
    automation_run(campaign=automation, now=_at(2026, 3, 15, 9, zone=VN))
    automation_turn_off(campaign=automation, actor=staff, ip=None)
    stale = Campaign.objects.get(pk=automation.pk)
    stale.state = Campaign.State.ACTIVE  # a run that read the automation before it was turned off
    assert recipients_queue(campaign=stale, now=_at(2026, 3, 16, 9, zone=VN)) == 0
    assert not Message.objects.filter(source=automation.source).exists()
