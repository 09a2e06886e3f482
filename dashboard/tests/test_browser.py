"""Headless Chromium: the overview, switching windows."""

import datetime
import zoneinfo

import pytest
from django.db import transaction

from dashboard.services import dashboard_refresh
from dashboard.tests.test_overview import paid, phone
from loyalty.membership import members_activate
from loyalty.orders import order_record
from members.models import Customer
from shops.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_overview_switches_windows_and_its_figures_follow(page, owner, artifacts_dir):
    now = datetime.datetime.now(HCM)
    # One new customer today, two 5 days ago, three 20 days ago; one member today.
    moments = [now - datetime.timedelta(minutes=30)] + [now - datetime.timedelta(days=5)] * 2
    moments += [now - datetime.timedelta(days=20)] * 3
    with transaction.atomic():
        for index, moment in enumerate(moments):
            order_record(shop=owner.shop, data=paid(index, phone(index), moment, total=500_000))
    members_activate(shop=owner.shop, actor=owner, customer_ids=[Customer.objects.get(phone=phone(0)).pk])
    dashboard_refresh(shop=owner.shop)  # what beat does every minute

    log_in(page, "chu.hoamai")
    page.wait_for_url("**/overview/")
    new_customers = page.locator("#figure-new-customers .figure-value")
    assert new_customers.inner_text() == "3"  # last 7 days, the default
    assert page.locator("#figure-new-members .figure-value").inner_text() == "1"
    assert page.locator("#figure-revenue .figure-value").inner_text() == "1.500.000 ₫"
    assert page.locator(".chart svg rect:not(.series-revenue)").count() == 7 * 3
    assert page.locator("#revenue-by-day svg rect.series-revenue").count() == 7
    page.screenshot(path=str(artifacts_dir / "overview-7-days.png"), full_page=True)

    page.get_by_role("link", name="Hôm nay").click()
    page.wait_for_url("**/overview/?window=today")
    assert new_customers.inner_text() == "1"

    page.get_by_role("link", name="30 ngày gần đây").click()
    page.wait_for_url("**/overview/?window=30")
    assert new_customers.inner_text() == "6"
    assert "tier" not in page.locator("#tiers").inner_text()
    assert "Thành viên" in page.locator("#tiers").inner_text()

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=str(artifacts_dir / "overview-30-days-phone.png"), full_page=True)
    assert page.locator("#figure-orders").bounding_box()["width"] <= 390
