"""The overview's reward figures: points spent count redemptions on their own day (but those
whose points came back) and staff deductions; the codes used by the live orders of the
window with those orders' revenue."""

import datetime
import re

import pytest
from django.db import transaction

from dashboard.models import ChangedDay, DailyFigures
from dashboard.selectors import dashboard_overview, rolling_window
from dashboard.services import dashboard_refresh
from dashboard.tests.test_overview import HCM, MONDAY, NOW, local, overview, phone
from haravan.models import HaravanConnection
from haravan.tasks import orders_recorded
from loyalty.models import PointEntry
from loyalty.orders import order_record
from loyalty.services import points_adjust
from members.tests.factories import CustomerFactory, OrderDataFactory
from rewards.models import Redemption
from rewards.services import points_return, redemption_create
from rewards.tests.factories import RewardFactory, points_give

SUNDAY = MONDAY - datetime.timedelta(days=1)
SATURDAY = MONDAY - datetime.timedelta(days=2)


def connect(shop) -> None:
    HaravanConnection.objects.create(shop=shop, access_token="t", client_secret="s")


def member_with_points(shop, index: int, points: int = 1_000):
    customer = CustomerFactory(shop=shop, phone=phone(index), member_since=local(MONDAY - datetime.timedelta(days=60)))
    points_give(customer, points)
    return customer


def redeem(shop, customer, reward, key: str) -> Redemption:
    return redemption_create(
        shop=shop, customer_id=customer.pk, reward_id=reward.pk, request_key=key, actor=None, ip=None
    ).redemption


def dated(redemption: Redemption, kind: str, when: datetime.datetime) -> None:
    """Place a redemption's ledger line at ``when`` (the services stamp the real time), and
    the redemption itself with its "redeem" line."""
    PointEntry.objects.filter(source=PointEntry.Source.REWARD, source_id=str(redemption.pk), kind=kind).update(
        created_at=when
    )
    if kind == PointEntry.Kind.REDEEM:
        Redemption.objects.filter(pk=redemption.pk).update(created_at=when)


def ordered(shop, external_id, customer, created, codes=(), total=1_000_000, **fields) -> int:
    """An order recorded the way Haravan's sync and webhooks record it: the order, then in the
    same transaction the codes it carried linked to their redemptions."""
    data = OrderDataFactory(
        external_id=str(external_id), phone=customer.phone, total=total, created_at=created,
        updated_at=fields.pop("updated", created), discount_codes=list(codes), **fields,
    )  # fmt: skip
    with transaction.atomic():
        result = order_record(shop=shop, data=data)
        orders_recorded(shop=shop, order_ids=[result.order_id])
    return result.order_id


@pytest.fixture
def reward(shop):
    connect(shop)
    return RewardFactory(shop=shop, points=100)


def test_points_spent_are_redemptions_kept_and_staff_deductions(shop, owner, reward):
    member = member_with_points(shop, 1)
    PointEntry.objects.filter(customer=member).update(created_at=local(MONDAY, 7))
    used = redeem(shop, member, reward, "a")
    failed = redeem(shop, member, reward, "b")
    points_return(redemption_id=failed.pk, state=Redemption.State.RETURNED, reason="Haravan refused the code")
    points_adjust(shop=shop, actor=owner, customer_id=member.pk, points=-20, reason="Đổi quà", request_key="k", ip=None)
    dated(used, PointEntry.Kind.REDEEM, local(MONDAY, 8))
    dated(failed, PointEntry.Kind.REDEEM, local(MONDAY, 8, 5))
    dated(failed, PointEntry.Kind.RETURN, local(MONDAY, 8, 10))
    PointEntry.objects.filter(kind=PointEntry.Kind.ADJUST, points=-20).update(created_at=local(MONDAY, 9))

    today = overview(shop, "today")

    assert today.figures["points_spent"].value == 100 + 20  # the failed code's points came back
    assert today.figures["points_earned"].value == 1_000  # the points given back are not earned
    assert today.figures["reward_codes_used"].value == 0  # redeemed is not used


def test_points_given_back_later_are_taken_off_the_day_they_were_redeemed(shop, reward):
    member = member_with_points(shop, 1)
    PointEntry.objects.filter(customer=member).update(created_at=local(SATURDAY, 7))
    lapsed = redeem(shop, member, reward, "a")
    dated(lapsed, PointEntry.Kind.REDEEM, local(SATURDAY, 8))
    assert dict(overview(shop, "7").by_day)[SATURDAY]["points_spent"] == 100
    assert DailyFigures.objects.get(shop=shop, day=SATURDAY).points_spent == 100  # stored by the refresh

    Redemption.objects.filter(pk=lapsed.pk).update(state=Redemption.State.SENT)  # its code was sent
    assert points_return(redemption_id=lapsed.pk, state=Redemption.State.EXPIRED, reason="lapsed unused")
    dated(lapsed, PointEntry.Kind.RETURN, local(MONDAY, 8))
    assert ChangedDay.objects.filter(shop=shop, day=SATURDAY).exists()  # marked for the next refresh
    week = overview(shop, "7")

    by_day = dict(week.by_day)
    assert by_day[SATURDAY]["points_spent"] == 0 and by_day.get(MONDAY, {}).get("points_spent", 0) == 0
    assert DailyFigures.objects.get(shop=shop, day=SATURDAY).points_spent == 0
    assert week.figures["points_spent"].value == 0  # never below zero


def test_codes_used_by_the_live_orders_placed_today_count_with_those_orders_revenue(shop, other_shop, reward):
    member = member_with_points(shop, 1)
    first, second, third, cancelled = (redeem(shop, member, reward, key) for key in "abcd")
    # Two codes on one order: two codes used, the order's revenue once.
    ordered(shop, 1, member, local(MONDAY, 9), codes=[first.code, second.code.lower()], total=800_000)
    ordered(
        shop, 2, member, local(MONDAY, 9, 30), codes=[third.code], total=500_000,
        financial_status="partially_refunded", refunded_amount=100_000,
    )  # fmt: skip
    ordered(shop, 3, member, local(MONDAY, 10), total=300_000)  # no code
    ordered(shop, 4, member, local(MONDAY, 11), codes=[cancelled.code], cancelled_at=local(MONDAY, 11, 30))
    ordered(shop, 5, member, local(SUNDAY, 11), total=200_000)  # yesterday, no code
    connect(other_shop)
    elsewhere = member_with_points(other_shop, 2)
    other_code = redeem(other_shop, elsewhere, RewardFactory(shop=other_shop, points=100), "a")
    ordered(other_shop, 6, elsewhere, local(MONDAY, 9), codes=[other_code.code])
    assert Redemption.objects.filter(state=Redemption.State.USED).count() == 5  # the cancelled order's too

    today = overview(shop, "today")

    assert today.figures["reward_codes_used"].value == 3
    assert today.figures["reward_code_revenue"].value == 800_000 + 400_000
    assert (today.figures["reward_codes_used"].previous, today.figures["reward_code_revenue"].previous) == (0, 0)
    assert today.figures["orders"].value == 3 and today.figures["revenue"].value == 1_500_000
    assert dict(today.by_day)[MONDAY]["reward_codes_used"] == 3
    other = overview(other_shop, "today")
    assert (other.figures["reward_codes_used"].value, other.figures["reward_code_revenue"].value) == (1, 1_000_000)


def test_a_past_days_codes_come_from_its_stored_figures_and_change_when_the_order_is_cancelled(shop, reward):
    member = member_with_points(shop, 1)
    code = redeem(shop, member, reward, "a")
    ordered(shop, 1, member, local(SATURDAY, 23, 30), codes=[code.code], total=600_000)  # 16:30 UTC
    ordered(shop, 2, member, local(MONDAY, 0, 30), total=100_000)

    week = overview(shop, "7")  # the refresh stores Saturday and Sunday; Monday is live

    stored = DailyFigures.objects.get(shop=shop, day=SATURDAY)
    assert (stored.reward_codes_used, stored.reward_code_revenue) == (1, 600_000)
    assert not DailyFigures.objects.filter(shop=shop, day=MONDAY).exists()
    assert (week.figures["reward_codes_used"].value, week.figures["reward_code_revenue"].value) == (1, 600_000)
    assert dict(week.by_day)[SATURDAY]["reward_code_revenue"] == 600_000
    saturday = dashboard_overview(shop=shop, window=rolling_window("today", SATURDAY), now=NOW)  # stored
    assert (saturday.figures["reward_codes_used"].value, saturday.figures["reward_codes_used"].previous) == (1, 0)

    # Haravan says, on Monday, that Saturday's order was cancelled: the day is marked, and
    # until the next refresh the page shows what is stored.
    ordered(shop, 1, member, local(SATURDAY, 23, 30), codes=[code.code], total=600_000,
            cancelled_at=NOW, updated=NOW)  # fmt: skip
    assert ChangedDay.objects.filter(shop=shop, day=SATURDAY).exists()
    stale = dashboard_overview(shop=shop, window=rolling_window("7", MONDAY), now=NOW)
    assert stale.figures["reward_codes_used"].value == 1

    after = overview(shop, "7")

    assert (after.figures["reward_codes_used"].value, after.figures["reward_code_revenue"].value) == (0, 0)
    assert not DailyFigures.objects.filter(shop=shop, day=SATURDAY).exists()  # nothing is left that day


def figure_value(page: str, figure_id: str) -> str:
    found = re.search(rf'id="figure-{figure_id}">\s*<h3>.*?</h3>\s*<p class="figure-value" data-value="(-?\d+)"', page)
    assert found, figure_id
    return found.group(1)


def test_the_page_shows_the_codes_used_and_their_revenue(staff_client, shop, reward):
    member = member_with_points(shop, 1)
    code = redeem(shop, member, reward, "a")
    now = datetime.datetime.now(HCM)
    ordered(shop, 1, member, now - datetime.timedelta(minutes=5), codes=[code.code], total=700_000)
    dashboard_refresh(shop=shop)

    page = staff_client.get("/overview/?window=today").content.decode()

    assert figure_value(page, "reward-codes-used") == "1"
    assert figure_value(page, "reward-code-revenue") == "700000"
    assert figure_value(page, "points-spent") == "100"
    assert "700.000" in page
