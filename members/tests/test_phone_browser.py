"""Headless Chromium at a phone's width and a laptop's: the member page as staff read it."""

import datetime

import pytest

from loyalty.membership import members_activate
from loyalty.orders import order_record
from loyalty.services import points_adjust
from members.models import Customer
from members.tests.factories import OrderDataFactory
from shops.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+84382345678"
T0 = datetime.datetime(2026, 3, 2, 3, 0, tzinfo=datetime.UTC)


@pytest.fixture
def member_with_history(shop, staff):
    customer = Customer.objects.create(
        shop=shop, phone=PHONE, name="Nguyễn Thị Thanh Hương", email="thanhhuong.nguyen@gmail.com", city="Hà Nội"
    )
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk], when=T0 - datetime.timedelta(days=30))
    for number, (total, status) in enumerate(
        [(12_450_000, "paid"), (1_890_000, "partially_refunded"), (389_000, "paid"), (2_250_000, "pending")], 1
    ):
        created = T0 + datetime.timedelta(days=number * 9)
        order_record(shop=shop, data=OrderDataFactory(
            external_id=str(number), number=f"#HM10{number:03d}", total=total, financial_status=status,
            refunded_amount=500_000 if "refund" in status else 0, created_at=created, paid_at=created, phone=PHONE,
        ))  # fmt: skip
    points_adjust(
        shop=shop, actor=staff, customer_id=customer.pk, ip=None, points=250, request_key="gift",
        reason="Tặng điểm tri ân khách hàng thân thiết nhân dịp khai trương chi nhánh mới ở Cầu Giấy",
    )  # fmt: skip
    return customer


def cells_fit(page, selector: str) -> list[str]:
    """The text of each cell matching ``selector`` that is not wholly inside the viewport."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter((cell) => { const box = cell.getBoundingClientRect();
                                 return box.width === 0 || box.left < 0 || box.right > window.innerWidth; })
            .map((cell) => cell.textContent.trim())""",
        selector,
    )


def test_the_member_page_fits_a_phone_without_scrolling_sideways(browser, live_server, member_with_history,
                                                                  artifacts_dir):  # fmt: skip
    for width, height in ((1366, 900), (390, 844)):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}, device_scale_factor=1
        )
        page = context.new_page()
        log_in(page, "nv.hoamai")
        page.wait_for_url("**/overview/")
        page.goto(f"/members/{member_with_history.pk}/")
        page.screenshot(path=str(artifacts_dir / f"member-page-{width}.png"), full_page=True)

        assert page.evaluate("document.documentElement.scrollWidth") <= width
        points = page.locator("table.ledger tbody td.num")
        totals = page.locator("table.orders tbody td.num")
        assert points.count() >= 4 and totals.count() >= 8
        for cell in (points.first, totals.first):
            assert cell.is_visible()
        assert cells_fit(page, "table.ledger tbody td.num") == []
        assert cells_fit(page, "table.orders tbody td.num") == []
        assert page.locator("table.orders").get_by_text("12.450.000 ₫").is_visible()
        assert page.locator("table.ledger").get_by_text("+250").is_visible()
        if width < 600:
            # Stacked rows keep what each value is: the column's name is written beside it.
            label = page.evaluate(
                "getComputedStyle(document.querySelector('table.orders tbody td.num'), '::before').content"
            )
            assert "Tổng" in label
        context.close()
