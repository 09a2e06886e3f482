"""Automations at their edges: the shop's calendar, 29 February, a birthday changed lately,
beat stopped or doubled, a run that died, the holdout, the sending, the cap; each occasion
once. The thank-you, reminder, tier-up and points kinds: ``test_automation_kinds``."""

import datetime
import zoneinfo

import pytest

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
from campaigns.tests.automation_support import VN, Status, _at, _member, _queued
from campaigns.tests.factories import AutomationFactory
from messaging.models import Message

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
