"""Opening the overview only reads: beat's refresh stores the days, for every shop, and the
page computes the few days the last refresh has not stored yet beside today."""

import datetime
import re

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dashboard.models import DailyFigures, DashboardState
from dashboard.services import dashboard_refresh
from dashboard.tasks import refresh_dashboards
from dashboard.tests.test_overview import HCM, local, paid, phone
from loyalty.orders import order_record

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if WRITES.match(query["sql"])]


def test_the_overview_of_a_shop_never_refreshed_shows_its_last_days_and_writes_nothing(staff_client, shop):
    today = datetime.datetime.now(HCM).date()
    with transaction.atomic():
        order_record(shop=shop, data=paid(1, phone(1), local(today - datetime.timedelta(days=2))))
        order_record(shop=shop, data=paid(2, phone(2), datetime.datetime.now(HCM) - datetime.timedelta(minutes=5)))

    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get("/overview/").content.decode()

    assert '<p class="figure-value" data-value="2">' in page  # two orders in the last 7 days
    assert "đang được tổng hợp" not in page
    assert _writes(queries) == []
    assert not DashboardState.objects.exists() and not DailyFigures.objects.exists()


def test_days_the_last_refresh_did_not_store_are_counted_live_beside_the_stored_ones(staff_client, shop):
    now = datetime.datetime.now(HCM)
    today = now.date()
    with transaction.atomic():
        order_record(shop=shop, data=paid(1, phone(1), local(today - datetime.timedelta(days=5))))
    dashboard_refresh(shop=shop, now=now - datetime.timedelta(days=3))  # beat stopped three days ago
    with transaction.atomic():
        order_record(shop=shop, data=paid(2, phone(2), local(today - datetime.timedelta(days=2))))
        order_record(shop=shop, data=paid(3, phone(3), local(today - datetime.timedelta(days=1))))

    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get("/overview/").content.decode()

    assert '<p class="figure-value" data-value="3">' in page  # one stored day and two live ones
    assert 'data-value="3000000"' in page
    assert _writes(queries) == []
    assert DashboardState.objects.get(shop=shop).complete_before == today - datetime.timedelta(days=3)


def test_a_long_history_waits_for_beats_refresh_which_reaches_every_shop(staff_client, shop, other_shop):
    today = datetime.datetime.now(HCM).date()
    with transaction.atomic():
        order_record(shop=shop, data=paid(1, phone(1), local(today - datetime.timedelta(days=40))))
        order_record(shop=other_shop, data=paid(2, phone(2), local(today - datetime.timedelta(days=3))))

    with CaptureQueriesContext(connection) as queries:
        waiting = staff_client.get("/overview/?window=90").content.decode()
    assert "Số liệu các ngày trước đang được tổng hợp" in waiting
    assert _writes(queries) == [] and not DashboardState.objects.exists()

    refresh_dashboards()  # what beat runs every minute

    assert set(DashboardState.objects.values_list("shop", "complete_before")) == {
        (shop.pk, today),
        (other_shop.pk, today),
    }  # the other shop too, though nobody opened its overview
    ready = staff_client.get("/overview/?window=90").content.decode()
    assert "đang được tổng hợp" not in ready
    assert '<p class="figure-value" data-value="1">' in ready


def test_the_overview_page_runs_a_pinned_number_of_queries(staff_client, shop, django_assert_max_num_queries):
    today = datetime.datetime.now(HCM).date()
    with transaction.atomic():
        for index in range(20):
            order_record(shop=shop, data=paid(index, phone(index), local(today - datetime.timedelta(days=index))))
    dashboard_refresh(shop=shop)

    # The session, the user, their shop; the state, the stored days, six for today, the
    # members in total, the tiers' names and their order.
    with django_assert_max_num_queries(14):
        assert staff_client.get("/overview/?window=30").status_code == 200
