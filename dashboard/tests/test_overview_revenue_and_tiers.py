"""The overview draws revenue by day, and counts members who are in no tier honestly."""

import datetime
import re

from django.db import transaction

from dashboard.services import dashboard_refresh
from dashboard.tests.test_overview import HCM, local, paid, phone
from loyalty.models import Tier
from loyalty.orders import order_record
from loyalty.tiers import tiers_read
from members.models import Customer
from members.tests.factories import CustomerFactory


def _section(page: str, marker: str) -> str:
    start = page.index(marker)
    return page[start : page.index("</section>", start)]


def test_the_overview_draws_revenue_by_day_as_svg(staff_client, shop):
    today = datetime.datetime.now(HCM).date()
    two_days_ago = today - datetime.timedelta(days=2)
    with transaction.atomic():
        order_record(shop=shop, data=paid(1, phone(1), local(two_days_ago), total=1_500_000))
        order_record(shop=shop, data=paid(2, phone(2), local(two_days_ago, 15), total=500_000))
        order_record(shop=shop, data=paid(3, phone(3), local(today - datetime.timedelta(days=1)), total=750_000))
    dashboard_refresh(shop=shop)

    chart = _section(staff_client.get("/overview/").content.decode(), 'id="revenue-by-day"')

    assert "Doanh thu theo ngày" in chart
    titles = re.findall(r'<rect [^>]*class="series-revenue"><title>([^<]*)</title>', chart)
    assert len(titles) == 7  # a bar for each day of the window, zero days included
    assert f"{two_days_ago:%d/%m}: Doanh thu 2.000.000 ₫" in titles
    assert f"{today - datetime.timedelta(days=1):%d/%m}: Doanh thu 750.000 ₫" in titles
    assert '<span class="chart-top">2.000.000 ₫</span>' in chart
    assert "style=" not in chart  # a strict Content-Security-Policy forbids inline styles


def test_members_in_no_tier_are_counted_as_such_not_as_no_members(staff_client, shop):
    Tier.objects.filter(shop=shop).delete()  # a shop made before shops were made with their tiers
    CustomerFactory.create_batch(3, shop=shop, member_since=datetime.datetime.now(HCM))
    assert not Tier.objects.filter(shop=shop).exists()  # as the demo left a shop before the tier page was saved
    dashboard_refresh(shop=shop)

    tiers = _section(staff_client.get("/overview/").content.decode(), 'id="tiers"')

    assert "Chưa có thành viên" not in tiers
    assert re.search(r"Chưa xếp hạng</span>.*?<span class=\"share-count\">3 · 100 %</span>", tiers, re.S)


def test_members_in_tiers_and_in_none_are_shown_side_by_side(staff_client, shop):
    bronze = tiers_read(shop)[0]
    CustomerFactory.create_batch(3, shop=shop, member_since=datetime.datetime.now(HCM), tier=bronze)
    CustomerFactory(shop=shop, member_since=datetime.datetime.now(HCM))
    dashboard_refresh(shop=shop)

    tiers = _section(staff_client.get("/overview/").content.decode(), 'id="tiers"')

    rows = re.findall(r'share-name">([^<]*)</span>.*?share-count">([^<]*)</span>', tiers, re.S)
    assert rows[0] == (bronze.name, "3 · 75 %")
    assert rows[-1] == ("Chưa xếp hạng", "1 · 25 %")
    assert Customer.objects.filter(shop=shop, tier__isnull=True).count() == 1
