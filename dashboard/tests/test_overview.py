import datetime
import zoneinfo

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dashboard.models import ChangedDay, DailyFigures
from dashboard.selectors import dashboard_overview, range_window, rolling_window
from dashboard.services import dashboard_refresh
from loyalty.membership import members_activate
from loyalty.orders import order_record, orders_record
from loyalty.services import points_adjust
from members.models import Customer
from members.tests.factories import OrderDataFactory

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime.date(2026, 3, 16)  # week 2's Monday
NOW = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=HCM)


def local(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=HCM)


def paid(external_id, phone, created, total=1_000_000, cancelled=None, updated=None):
    return OrderDataFactory(external_id=str(external_id), phone=phone, total=total, created_at=created,
                            updated_at=updated or created, cancelled_at=cancelled)  # fmt: skip


def phone(index: int) -> str:
    return f"+8491{index:07d}"


def overview(shop, key="7", now=NOW):
    dashboard_refresh(shop=shop, now=now)
    today = now.astimezone(HCM).date()
    return dashboard_overview(shop=shop, window=rolling_window(key, today), now=now)


def test_the_window_edges_are_midnight_in_ho_chi_minh_city(shop):
    sunday = MONDAY - datetime.timedelta(days=1)
    with transaction.atomic():
        order_record(shop=shop, data=paid(1, phone(1), local(sunday, 23, 59)))  # 16:59 UTC on Sunday
        order_record(shop=shop, data=paid(2, phone(2), local(MONDAY, 0, 1)))  # 17:01 UTC, still Sunday in UTC

    today = overview(shop, "today")

    assert (today.figures["orders"].value, today.figures["orders"].previous) == (1, 1)
    assert today.figures["new_customers"].value == 1 and today.figures["revenue"].value == 1_000_000
    assert [day for day, values in today.by_day] == [MONDAY]
    assert DailyFigures.objects.get(shop=shop, day=sunday).orders == 1  # Sunday is stored; Monday is live


def test_the_tickets_worked_example_last_7_days_on_week_2s_monday(shop):
    week_1 = [MONDAY - datetime.timedelta(days=7 - offset) for offset in range(7)]  # Monday .. Sunday
    orders = []
    for index in range(500):
        day = week_1[0] if index < 100 else week_1[1 + index % 6]  # 100 on Monday, 400 Tuesday..Sunday
        orders.append(paid(index, phone(index), local(day)))
    with transaction.atomic():
        orders_record(shop=shop, items=orders)

    week = overview(shop, "7")

    assert (week.window.start, week.window.last_day) == (week_1[1], MONDAY)  # Tuesday to today
    assert week.figures["new_customers"].value == 400  # week 1 without its Monday, plus today's (none)
    assert week.figures["new_customers"].previous == 100  # the 7 days before: only that Monday had any
    assert week.figures["new_customers"].change == 300.0
    assert week.figures["new_customers_guests"].value == 400  # nobody was a member


def test_a_customer_who_was_a_member_before_their_first_order_is_a_new_member_customer(shop):
    member = Customer.objects.create(shop=shop, phone=phone(1))
    members_activate(shop=shop, actor=None, customer_ids=[member.pk], when=local(MONDAY, 8))
    late = Customer.objects.create(shop=shop, phone=phone(2))
    with transaction.atomic():
        order_record(shop=shop, data=paid(1, phone(1), local(MONDAY, 9)))
        order_record(shop=shop, data=paid(2, phone(2), local(MONDAY, 9)))
    members_activate(shop=shop, actor=None, customer_ids=[late.pk], when=local(MONDAY, 9, 30))

    today = overview(shop, "today")

    assert today.figures["new_customers_members"].value == 1  # their order earns points
    assert today.figures["new_customers_guests"].value == 1  # not a member when they ordered
    assert today.figures["new_members"].value == 2 and today.figures["total_members"].value == 2
    assert today.figures["member_revenue"].value == 1_000_000  # only the member's order


def test_an_order_cancelled_later_leaves_the_past_days_figures_after_the_next_refresh(shop):
    three_days_ago = MONDAY - datetime.timedelta(days=3)
    with transaction.atomic():
        order_record(shop=shop, data=paid(1, phone(1), local(three_days_ago)))
        order_record(shop=shop, data=paid(2, phone(1), local(MONDAY - datetime.timedelta(days=1))))
    before = overview(shop, "7")
    assert (before.figures["orders"].value, before.figures["new_customers"].value) == (2, 1)
    assert [values["new_customers_guests"] for _day, values in before.by_day][3] == 1

    with transaction.atomic():  # Haravan says, today, that the first order was cancelled
        order_record(shop=shop, data=paid(1, phone(1), local(three_days_ago), cancelled=NOW, updated=NOW))
    assert set(ChangedDay.objects.values_list("day", flat=True)) >= {three_days_ago}

    after = overview(shop, "7")
    assert after.figures["orders"].value == 1 and after.figures["revenue"].value == 1_000_000
    assert after.figures["new_customers"].value == 1  # the customer's first order is now yesterday's
    by_day = dict(after.by_day)
    assert by_day[three_days_ago]["new_customers_guests"] == 0
    assert by_day[MONDAY - datetime.timedelta(days=1)]["new_customers_guests"] == 1
    assert not ChangedDay.objects.exists()


def test_points_spent_are_what_staff_took_off(shop, owner):
    member = Customer.objects.create(shop=shop, phone=phone(1))
    members_activate(shop=shop, actor=None, customer_ids=[member.pk], when=local(MONDAY, 8))
    with transaction.atomic():
        order_record(shop=shop, data=paid(1, phone(1), local(MONDAY, 9), total=500_000))
    points_adjust(shop=shop, actor=owner, customer_id=member.pk, points=-20, reason="Đổi quà", request_key="k", ip=None)

    now = datetime.datetime.now(HCM)
    today = dashboard_overview(shop=shop, window=rolling_window("today", now.date()), now=now)

    assert (today.figures["points_earned"].value, today.figures["points_spent"].value) == (50, 20)


def test_the_page_runs_the_same_number_of_queries_for_a_day_and_for_a_quarter(shop):
    with transaction.atomic():
        orders_record(
            shop=shop, items=[paid(i, phone(i), local(MONDAY - datetime.timedelta(days=i))) for i in range(120)]
        )
    dashboard_refresh(shop=shop, now=NOW)

    counts = {}
    for key in ("today", "7", "30", "90"):
        with CaptureQueriesContext(connection) as queries:
            result = dashboard_overview(shop=shop, window=rolling_window(key, MONDAY), now=NOW)
        counts[key] = len(queries)
        assert result.figures["new_customers"].value == min(int(key) if key != "today" else 1, 120)
    assert len(set(counts.values())) == 1, counts
    with CaptureQueriesContext(connection) as queries:
        dashboard_overview(shop=shop, window=range_window(MONDAY - datetime.timedelta(days=365), MONDAY), now=NOW)
    assert len(queries) == counts["90"]


def test_the_page_shows_each_figure_beside_the_previous_window(staff_client, shop):
    today = datetime.datetime.now(HCM).date()
    with transaction.atomic():
        order_record(shop=shop, data=paid(1, phone(1), datetime.datetime.now(HCM) - datetime.timedelta(minutes=5)))
        order_record(shop=shop, data=paid(2, phone(2), local(today - datetime.timedelta(days=8))))
    dashboard_refresh(shop=shop)

    page = staff_client.get("/overview/").content.decode()
    ranged = staff_client.get(
        "/overview/", {"window": "range", "start": (today - datetime.timedelta(days=9)).isoformat(),
                       "end": today.isoformat()}
    ).content.decode()  # fmt: skip
    yesterday = today - datetime.timedelta(days=1)
    wrong = staff_client.get(
        "/overview/", {"window": "range", "start": today.isoformat(), "end": yesterday.isoformat()}
    ).content.decode()

    assert "7 ngày gần đây" in page and "Khách hàng mới" in page
    assert 'id="figure-orders"' in page and "kỳ trước:" in page
    assert '<p class="figure-value" data-value="1">' in page
    assert 'data-value="2000000"' in ranged
    assert "Ngày đầu đến sau ngày cuối: hãy đổi chỗ hai ngày." in wrong


def test_staff_see_only_their_own_shops_figures(staff_client, shop, other_shop):
    with transaction.atomic():
        order_record(shop=other_shop, data=paid(1, phone(1), datetime.datetime.now(HCM)))

    page = staff_client.get("/overview/?window=today").content.decode()

    assert 'id="figure-orders"' in page
    assert 'data-value="1"' not in page
