"""A refused form shows each error beside its field and keeps what was typed."""

import datetime
import re

import pytest
from django.utils import timezone

from loyalty.membership import members_activate
from loyalty.models import PointEntry
from members.models import Customer


@pytest.fixture
def member(shop):
    customer = Customer.objects.create(shop=shop, phone="+84912345678", name="Lan")
    members_activate(
        shop=shop, actor=None, customer_ids=[customer.pk], when=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    return customer


def field_block(page: str, name: str) -> str:
    """The partial that draws the field ``name``: its label, input and error."""
    match = re.search(rf'<div class="field[^"]*">(?:(?!<div class="field).)*?name="{name}".*?</div>', page, re.S)
    assert match, f"no field {name}"
    return match.group(0)


def test_a_decimal_number_of_points_says_points_are_whole_and_keeps_what_was_typed(staff_client, member):
    response = staff_client.post(
        f"/members/{member.pk}/points/", {"points": "1.5", "reason": "Khách giới thiệu bạn bè", "request_key": "k1"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    points = field_block(page, "points")
    assert "has-error" in points and "Điểm là số nguyên" in points
    assert 'value="1.5"' in points
    assert 'value="Khách giới thiệu bạn bè"' in field_block(page, "reason")
    assert "Hãy nhập số điểm và lý do" not in page
    assert not PointEntry.objects.filter(kind="adjust").exists()


def test_a_missing_reason_is_said_beside_the_reason_and_the_points_stay(staff_client, member):
    page = staff_client.post(
        f"/members/{member.pk}/points/", {"points": "40", "reason": " ", "request_key": "k2"}
    ).content.decode()

    assert "Hãy ghi lý do thay đổi điểm" in field_block(page, "reason")
    assert 'value="40"' in field_block(page, "points")


def test_a_deduction_below_zero_is_said_beside_the_points(staff_client, member):
    page = staff_client.post(
        f"/members/{member.pk}/points/", {"points": "-5", "reason": "Đổi quà", "request_key": "k3"}
    ).content.decode()

    assert "nhỏ hơn 0" in field_block(page, "points")
    assert 'value="Đổi quà"' in field_block(page, "reason")


def test_staff_forms_ask_the_family_name_before_the_given_name(owner_client, staff):
    for url in ("/settings/staff/new/", f"/settings/staff/{staff.pk}/"):
        page = owner_client.get(url).content.decode()
        assert page.index('name="last_name"') < page.index('name="first_name"')
        assert page.index(">Họ</label>") < page.index(">Tên</label>")


def test_date_fields_are_dd_mm_yyyy_text_boxes_everywhere(owner_client):
    pages = {
        "/overview/": ("start", "end"),
        "/settings/activity/": ("date_from", "date_to"),
        "/members/": ("last_order_after", "last_order_before"),
    }
    for url, names in pages.items():
        page = owner_client.get(url).content.decode()
        assert 'type="date"' not in page
        for name in names:
            field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
            assert 'type="text"' in field and 'placeholder="dd/mm/yyyy"' in field


def test_the_overview_reads_a_range_written_day_first(owner_client, shop):
    today = timezone.localdate(timezone.now(), shop.tzinfo)
    start = today - datetime.timedelta(days=9)

    page = owner_client.get(
        "/overview/", {"window": "range", "start": start.strftime("%d/%m/%Y"), "end": today.strftime("%d/%m/%Y")}
    ).content.decode()

    assert f"{start:%d/%m/%Y} – {today:%d/%m/%Y}" in page
    assert f'value="{start:%d/%m/%Y}"' in page


def test_a_date_in_the_wrong_form_says_how_to_write_it(owner_client):
    page = owner_client.get(
        "/overview/", {"window": "range", "start": "12/31/2026", "end": "01/01/2027"}
    ).content.decode()

    assert "Hãy ghi ngày theo dạng dd/mm/yyyy" in page


@pytest.mark.parametrize("typed, points", [("1.000", 1_000), ("1,000", 1_000), ("+50", 50)])
def test_points_are_read_as_people_write_thousands(staff_client, member, typed, points):
    staff_client.post(f"/members/{member.pk}/points/", {"points": typed, "reason": "Quà tri ân", "request_key": typed})

    assert PointEntry.objects.get(kind="adjust").points == points


def test_a_thousand_points_are_taken_as_a_thousand(staff_client, member):
    staff_client.post(f"/members/{member.pk}/points/", {"points": "2.500", "reason": "Quà", "request_key": "a"})
    staff_client.post(f"/members/{member.pk}/points/", {"points": "-1.000", "reason": "Sửa", "request_key": "b"})

    member.refresh_from_db()
    assert member.points_balance == 1_500


def test_a_comma_decimal_number_of_points_is_refused_too(staff_client, member):
    page = staff_client.post(
        f"/members/{member.pk}/points/", {"points": "1,5", "reason": "Quà tri ân", "request_key": "k9"}
    ).content.decode()

    assert "Điểm là số nguyên" in field_block(page, "points")
    assert not PointEntry.objects.filter(kind="adjust").exists()
