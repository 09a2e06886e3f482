"""Redeeming a reward: the points, the ledger line, the Haravan code made once, the message,
the points given back when the code fails or lapses unused, and the order that uses it."""

import datetime
import threading

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from core.tests.threads import in_threads
from haravan.models import HaravanConnection
from loyalty.models import PointEntry, Tier
from loyalty.services import points_balance_mismatches, points_expire
from members.tests.factories import CustomerFactory, OrderFactory
from messaging.models import Message
from rewards.codes import Outcome, redemption_code_make
from rewards.lifecycle import GRACE, redemptions_expire, redemptions_waiting
from rewards.models import Redemption
from rewards.services import RedeemError, points_return, redemption_create
from rewards.tests.factories import RewardFactory, points_give
from rewards.usage import redemption_uses_record
from shops.models import ActivityEntry, ActivityKind


def redeem(shop, member, reward, key="k1", actor=None):
    return redemption_create(
        shop=shop, customer_id=member.pk, reward_id=reward.pk, request_key=key, actor=actor, ip="127.0.0.1"
    )


def test_a_redemption_takes_the_points_and_makes_a_single_use_code_sent_by_sms(
    shop, staff, member, reward, connection, fake_haravan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        redeemed = redeem(shop, member, reward, actor=staff)
    redemption = redeemed.redemption
    member.refresh_from_db()
    assert redeemed.created and member.points_balance == 150
    assert redemption.state == Redemption.State.WAITING and redemption.code.startswith("DD")
    line = PointEntry.objects.get(source=PointEntry.Source.REWARD, source_id=str(redemption.pk))
    assert (line.kind, line.points, line.actor) == (PointEntry.Kind.REDEEM, -100, staff)
    assert len(callbacks) == 1  # the worker's task, after the commit

    assert redemption_code_make(redemption_id=redemption.pk) == Outcome.SENT
    redemption.refresh_from_db()
    assert redemption.state == Redemption.State.SENT and redemption.discount_id
    (discount,) = fake_haravan.discounts.values()
    assert discount["code"] == redemption.code
    assert (discount["discount_type"], float(discount["value"])) == ("fixed_amount", 50_000)
    assert (float(discount["minimum_order_amount"]), discount["usage_limit"]) == (300_000, 1)
    last_day = timezone.localdate(redemption.created_at, shop.tzinfo) + datetime.timedelta(days=30)
    assert timezone.localtime(redemption.ends_at, shop.tzinfo).date() == last_day
    message = Message.objects.get(source=f"reward:{redemption.pk}")
    assert message.channel == Message.Channel.SMS and message.recipient == member.phone
    assert redemption.code in message.body and "50.000" in message.body
    assert not message.advertising and message.priority == 0  # the member's own, ahead of campaigns
    entry = ActivityEntry.objects.get(kind=ActivityKind.REWARD_REDEEMED)
    assert entry.actor == staff and redemption.code in entry.summary

    # The task run again (a retry, the sweep) does nothing more.
    assert redemption_code_make(redemption_id=redemption.pk) == Outcome.NOTHING
    assert fake_haravan.discount_creates == 1 and Message.objects.count() == 1


def test_a_member_without_sms_consent_gets_the_code_by_email(shop, member, reward, connection):
    member.accepts_sms = False
    member.save()
    redemption = redeem(shop, member, reward).redemption
    redemption_code_make(redemption_id=redemption.pk)
    message = Message.objects.get(source=f"reward:{redemption.pk}")
    assert message.channel == Message.Channel.EMAIL and message.recipient == "lan@example.vn"
    assert redemption.code in message.body and message.subject


def test_the_same_form_sent_twice_redeems_once(shop, member, reward, connection):
    first = redeem(shop, member, reward, key="same")
    second = redeem(shop, member, reward, key="same")
    member.refresh_from_db()
    assert first.created and not second.created and second.redemption.pk == first.redemption.pk
    assert member.points_balance == 150 and Redemption.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_staff_at_once_redeem_only_what_the_balance_covers(shop, connection):
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency: PostgreSQL")
    member = CustomerFactory(shop=shop, member_since=timezone.now() - datetime.timedelta(days=1))
    points_give(member, 150)
    reward = RewardFactory(shop=shop, points=100)
    results: list[object] = []

    def attempt(index: int) -> None:
        try:
            results.append(redeem(shop, member, reward, key=f"staff-{index}").created)
        except RedeemError as error:
            results.append(str(error))

    assert in_threads(attempt, count=4) == []
    member.refresh_from_db()
    assert results.count(True) == 1, results
    assert all("150" in str(r) or "50" in str(r) for r in results if r is not True)
    assert member.points_balance == 50 and Redemption.objects.count() == 1
    assert not points_balance_mismatches(shop=shop)


@pytest.mark.django_db(transaction=True)
def test_the_same_request_from_two_workers_at_once_redeems_once(shop, connection):
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency: PostgreSQL")
    member = CustomerFactory(shop=shop, member_since=timezone.now() - datetime.timedelta(days=1))
    points_give(member, 1000)
    reward = RewardFactory(shop=shop, points=100)
    results: list[bool] = []
    errors = in_threads(lambda _index: results.append(redeem(shop, member, reward, key="double-click").created), 3)
    assert errors == []
    member.refresh_from_db()
    assert sorted(results) == [False, False, True]
    assert member.points_balance == 900 and PointEntry.objects.filter(kind=PointEntry.Kind.REDEEM).count() == 1


def test_a_code_haravan_refuses_gives_the_points_back_with_the_reason(shop, member, reward, connection, fake_haravan):
    redemption = redeem(shop, member, reward).redemption
    fake_haravan.differ_next_create = {"value": 5000.0}  # stored otherwise than asked: disabled, refused
    assert redemption_code_make(redemption_id=redemption.pk) == Outcome.RETURNED
    assert next(iter(fake_haravan.discounts.values()))["status"] == "disabled"
    redemption.refresh_from_db()
    member.refresh_from_db()
    assert redemption.state == Redemption.State.RETURNED and redemption.reason
    assert member.points_balance == 250
    back = PointEntry.objects.get(kind=PointEntry.Kind.RETURN)
    assert back.points == 100 and redemption.reason in back.reason
    assert not Message.objects.exists()  # nothing sent for a code that does not exist
    assert ActivityEntry.objects.filter(kind=ActivityKind.REWARD_RETURNED).count() == 1


def test_haravan_down_keeps_the_redemption_waiting_and_a_later_run_makes_the_code_once(
    shop, member, reward, connection, fake_haravan
):
    redemption = redeem(shop, member, reward).redemption
    fake_haravan.lose_next_creates = ["drop"]  # stored, but the answer never comes
    fake_haravan.fail_next = 0
    outcome = redemption_code_make(redemption_id=redemption.pk)
    assert outcome in (Outcome.RETRY, Outcome.SENT)
    if outcome == Outcome.RETRY:
        redemption.refresh_from_db()
        assert redemption.state == Redemption.State.WAITING
        assert redemption.pk in redemptions_waiting()  # the claim was handed back
        assert redemption_code_make(redemption_id=redemption.pk) == Outcome.SENT
    assert len(fake_haravan.discounts) == 1  # looked up, not made twice
    member.refresh_from_db()
    assert member.points_balance == 150


def test_a_redemption_whose_task_was_lost_is_found_by_the_sweep(shop, member, reward, connection, clock):
    redemption = redeem(shop, member, reward).redemption
    assert redemptions_waiting() == []  # its task is on its way
    clock.set(timezone.now() + datetime.timedelta(minutes=3))
    assert redemptions_waiting() == [redemption.pk]


def test_an_unused_code_that_lapses_gives_the_points_back_once(shop, member, reward, connection, clock):
    redemption = redeem(shop, member, reward).redemption
    redemption_code_make(redemption_id=redemption.pk)
    redemption.refresh_from_db()
    clock.set(redemption.ends_at + datetime.timedelta(hours=1))
    assert redemptions_expire() == 0  # an order of the last day may still come in
    clock.set(redemption.ends_at + GRACE + datetime.timedelta(minutes=1))
    assert redemptions_expire() == 1
    assert redemptions_expire() == 0
    redemption.refresh_from_db()
    member.refresh_from_db()
    assert redemption.state == Redemption.State.EXPIRED and member.points_balance == 250
    assert PointEntry.objects.filter(kind=PointEntry.Kind.RETURN).count() == 1


def test_an_order_with_the_code_marks_it_used_once(shop, member, reward, connection):
    redemption = redeem(shop, member, reward).redemption
    redemption_code_make(redemption_id=redemption.pk)
    typed = [{"code": redemption.code.lower(), "amount": "50000"}]
    order = OrderFactory(shop=shop, customer=member, discount_codes=typed)
    assert redemption_uses_record(shop=shop, order_ids=[order.pk]) == 1
    assert redemption_uses_record(shop=shop, order_ids=[order.pk]) == 0
    redemption.refresh_from_db()
    assert redemption.state == Redemption.State.USED and redemption.order == order


def test_a_code_used_after_its_points_came_back_takes_them_again_once(shop, member, reward, connection, clock):
    redemption = redeem(shop, member, reward).redemption
    redemption_code_make(redemption_id=redemption.pk)
    redemption.refresh_from_db()
    clock.set(redemption.ends_at + GRACE + datetime.timedelta(minutes=1))
    redemptions_expire()
    order = OrderFactory(shop=shop, customer=member, discount_codes=[redemption.code])  # a late sync
    redemption_uses_record(shop=shop, order_ids=[order.pk])
    redemption_uses_record(shop=shop, order_ids=[order.pk])
    member.refresh_from_db()
    redemption.refresh_from_db()
    assert redemption.state == Redemption.State.USED and member.points_balance == 150
    assert not points_balance_mismatches(shop=shop)


def test_points_given_back_still_lapse_when_their_time_has_come(shop, connection, clock):
    """Earned points that were spent on a code, then given back, lapse on their own date."""
    member = CustomerFactory(shop=shop, member_since=timezone.now() - datetime.timedelta(days=1))
    lapse = timezone.now() + datetime.timedelta(days=10)
    points_give(member, 100, expires_at=lapse)
    reward = RewardFactory(shop=shop, points=100, valid_days=2)
    redemption = redeem(shop, member, reward).redemption
    redemption_code_make(redemption_id=redemption.pk)
    redemption.refresh_from_db()
    clock.set(redemption.ends_at + GRACE + datetime.timedelta(minutes=1))
    redemptions_expire()
    member.refresh_from_db()
    assert member.points_balance == 100
    points_expire(shop=shop, now=lapse + datetime.timedelta(minutes=1))
    member.refresh_from_db()
    assert member.points_balance == 0


def test_the_limits_per_member(shop, member, connection):
    reward = RewardFactory(shop=shop, points=50, per_member_limit=2)
    redeem(shop, member, reward, key="a")
    second = redeem(shop, member, reward, key="b").redemption
    with pytest.raises(RedeemError, match="2"):
        redeem(shop, member, reward, key="c")
    # A redemption whose points came back does not count.
    Redemption.objects.filter(pk=second.pk).update(state=Redemption.State.RETURNED)
    assert redeem(shop, member, reward, key="d").created


def test_a_reward_reserved_for_a_tier_and_above(shop, member, connection):
    tiers = list(Tier.objects.for_shop(shop).order_by("threshold"))
    reward = RewardFactory(shop=shop, points=10, tier=tiers[1])
    member.tier = tiers[0]
    member.save()
    with pytest.raises(RedeemError, match=tiers[1].name):
        redeem(shop, member, reward, key="low")
    member.tier = tiers[2]
    member.save()
    assert redeem(shop, member, reward, key="high").created


def test_refusals_change_nothing(shop, member, connection):
    too_dear = RewardFactory(shop=shop, points=1000)
    off = RewardFactory(shop=shop, points=10, active=False)
    guest = CustomerFactory(shop=shop)
    points_give(guest, 500)
    with pytest.raises(RedeemError, match="1000"):
        redeem(shop, member, too_dear, key="1")
    with pytest.raises(RedeemError):
        redeem(shop, member, off, key="2")
    with pytest.raises(RedeemError):
        redeem(shop, guest, RewardFactory(shop=shop, points=10), key="3")
    HaravanConnection.objects.all().delete()
    with pytest.raises(RedeemError, match="Haravan"):
        redeem(shop, member, RewardFactory(shop=shop, points=10), key="4")
    member.refresh_from_db()
    assert member.points_balance == 250 and not Redemption.objects.exists()
    assert not PointEntry.objects.filter(kind=PointEntry.Kind.REDEEM).exists()


def test_another_shops_reward_or_member_cannot_be_redeemed(shop, other_shop, member, connection):
    HaravanConnection.objects.create(shop=other_shop, access_token="other", client_secret="other")
    foreign = RewardFactory(shop=other_shop, points=10)
    with pytest.raises(RedeemError, match=r"quà|reward"):
        redeem(shop, member, foreign)
    with pytest.raises(RedeemError, match=r"thành viên|member"):
        redemption_create(
            shop=other_shop, customer_id=member.pk, reward_id=foreign.pk, request_key="x", actor=None, ip=None
        )


def test_a_retry_minutes_after_a_lost_answer_finds_the_code_and_sends_it(
    shop, member, reward, connection, fake_haravan, clock
):
    redemption = redeem(shop, member, reward).redemption
    fake_haravan.lose_next_creates = ["500"]  # stored at Haravan, the answer lost
    fake_haravan.fail_after_requests = len(fake_haravan.requests) + 1  # and the look-up fails too
    assert redemption_code_make(redemption_id=redemption.pk) == Outcome.RETRY
    fake_haravan.fail_after_requests = None
    assert redemption_code_make(redemption_id=redemption.pk) == Outcome.NOTHING  # handed back for 30 s
    clock.set(timezone.now() + datetime.timedelta(minutes=3))  # the next try asks a later start
    assert redemption_code_make(redemption_id=redemption.pk) == Outcome.SENT
    (discount,) = fake_haravan.discounts.values()
    assert discount["status"] == "enabled" and fake_haravan.discount_creates == 1
    member.refresh_from_db()
    assert member.points_balance == 150 and Message.objects.filter(source=f"reward:{redemption.pk}").exists()


def test_a_run_that_outlived_its_claim_neither_sends_again_nor_gives_the_points_back(
    shop, member, reward, connection, fake_haravan, clock, monkeypatch
):
    from rewards import codes

    redemption = redeem(shop, member, reward).redemption
    real = codes.discount_ensure

    def stalled(**kwargs):
        # Run A waits on Haravan past its lease; the sweep's run B makes and sends the code.
        monkeypatch.setattr(codes, "discount_ensure", real)
        clock.set(timezone.now() + datetime.timedelta(minutes=6))
        assert redemption_code_make(redemption_id=redemption.pk) == Outcome.SENT
        return real(**kwargs)  # A's create meets "already taken"

    monkeypatch.setattr(codes, "discount_ensure", stalled)
    assert redemption_code_make(redemption_id=redemption.pk) == Outcome.NOTHING
    redemption.refresh_from_db()
    member.refresh_from_db()
    assert redemption.state == Redemption.State.SENT and member.points_balance == 150
    assert Message.objects.filter(source=f"reward:{redemption.pk}").count() == 1
    assert not PointEntry.objects.filter(kind=PointEntry.Kind.RETURN).exists()


def test_a_code_made_by_a_try_that_seemed_to_fail_takes_the_points_again_when_used(
    shop, member, reward, connection, fake_haravan
):
    redemption = redeem(shop, member, reward).redemption
    fake_haravan.lose_next_creates = ["500"]
    fake_haravan.fail_after_requests = len(fake_haravan.requests) + 1
    assert redemption_code_make(redemption_id=redemption.pk) == Outcome.RETRY
    fake_haravan.fail_after_requests = None
    HaravanConnection.objects.all().delete()  # the owner disconnected Haravan meanwhile
    Redemption.objects.filter(pk=redemption.pk).update(code_tried_at=timezone.now() - datetime.timedelta(hours=2))
    assert redemption_code_make(redemption_id=redemption.pk) == Outcome.RETURNED
    member.refresh_from_db()
    assert member.points_balance == 250
    order = OrderFactory(shop=shop, customer=member, discount_codes=[redemption.code])  # the code worked after all
    assert redemption_uses_record(shop=shop, order_ids=[order.pk]) == 1
    member.refresh_from_db()
    redemption.refresh_from_db()
    assert redemption.state == Redemption.State.USED and member.points_balance == 150
    assert not points_balance_mismatches(shop=shop)


@pytest.mark.django_db(transaction=True)
def test_a_late_order_and_the_lapse_sweep_at_once_wait_for_each_other(shop, connection, monkeypatch):
    """The order path locks the customer and then the redemption; giving points back takes
    them in the same order, so the two wait instead of deadlocking."""
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency: PostgreSQL")
    from django.db import transaction

    import rewards.services
    from haravan.tasks import orders_recorded
    from loyalty.orders import orders_record
    from members.records import CustomerData, OrderData

    member = CustomerFactory(shop=shop, phone="+84912345678", member_since=timezone.now() - datetime.timedelta(days=3))
    points_give(member, 500)
    redemption = redeem(shop, member, RewardFactory(shop=shop, points=100)).redemption
    redemption_code_make(redemption_id=redemption.pk)
    both_in = threading.Barrier(2, timeout=10)
    real_lock = rewards.services.customer_lock

    def lock_when_both_are_in(customers, *, pk):
        both_in.wait()
        return real_lock(customers, pk=pk)

    monkeypatch.setattr(rewards.services, "customer_lock", lock_when_both_are_in)
    now = timezone.now()
    order = OrderData(
        source="haravan", external_id="9001", number="#9001", total=500_000, paid_amount=500_000,
        refunded_amount=0, financial_status="paid", created_at=now, updated_at=now,
        discount_codes=[redemption.code], customer=CustomerData(phone=member.phone, haravan_id=77),
    )  # fmt: skip

    def order_path():
        with transaction.atomic():
            results = orders_record(shop=shop, items=[order])  # locks the customer
            both_in.wait()
            orders_recorded(shop=shop, order_ids=[result.order_id for result in results])

    def sweep_path():
        points_return(redemption_id=redemption.pk, state=Redemption.State.EXPIRED, reason="lapsed")

    errors = in_threads(lambda index: (order_path, sweep_path)[index]())
    assert errors == []
    redemption.refresh_from_db()
    member.refresh_from_db()
    assert redemption.state == Redemption.State.USED
    assert not points_balance_mismatches(shop=shop)
