import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import connections

from loyalty.membership import members_activate
from loyalty.models import EarningSettings, PointEntry
from loyalty.orders import order_record
from loyalty.services import customers_refresh_points, points_balance_mismatches
from loyalty.tests.factories import PointEntryFactory
from members.models import Customer
from members.tests.factories import OrderDataFactory

T0 = datetime.datetime(2026, 11, 1, 3, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
PHONE = "+84912345678"


def order(external_id="1", status="paid", total=1_234_000, refunded=0, updated=T0, created=T0, **extra):
    return OrderDataFactory(external_id=external_id, financial_status=status, total=total, refunded_amount=refunded,
                            created_at=created, updated_at=updated, phone=PHONE, **extra)  # fmt: skip


@pytest.fixture
def member(shop):
    customer = Customer.objects.create(shop=shop, phone=PHONE, name="Lan")
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk], when=T0 - HOUR)
    return customer


def balance(customer):
    customer.refresh_from_db()
    return customer.points_balance


def test_a_members_paid_order_earns_one_point_per_10000_dong_rounded_down(shop, member):
    order_record(shop=shop, data=order(total=1_239_000))

    assert balance(member) == 123
    entry = PointEntry.objects.get()
    assert (entry.kind, entry.source, entry.reason) == ("earn", "order", "Đơn hàng #1")


def test_rounding_to_nearest_is_a_shop_setting(shop, member):
    EarningSettings.objects.update_or_create(shop=shop, defaults={"rounding": EarningSettings.Rounding.NEAREST})

    order_record(shop=shop, data=order(total=1_235_000))

    assert balance(member) == 124


def test_only_members_earn_and_only_on_orders_placed_since_they_joined(shop):
    order_record(shop=shop, data=order("1", created=T0))
    customer = Customer.objects.get(shop=shop)
    assert balance(customer) == 0  # not a member

    members_activate(shop=shop, actor=None, customer_ids=[customer.pk], when=T0 + HOUR)
    order_record(shop=shop, data=order("2", created=T0 + 2 * HOUR))
    order_record(shop=shop, data=order("1", created=T0, updated=T0 + 3 * HOUR))  # an update of the old order

    assert balance(customer) == 123  # order 2 only
    assert customer.total_spent == 2 * 1_234_000  # both still count toward the tier


def test_a_pending_order_earns_when_it_is_paid(shop, member):
    order_record(shop=shop, data=order(status="pending"))
    assert balance(member) == 0

    order_record(shop=shop, data=order(status="paid", updated=T0 + HOUR))

    assert balance(member) == 123


def test_a_partial_refund_reverses_pro_rata_and_a_cancellation_the_rest(shop, member):
    order_record(shop=shop, data=order(total=1_000_000))
    order_record(shop=shop, data=order(total=1_000_000, status="partially_refunded", refunded=400_000,
                                       updated=T0 + HOUR))  # fmt: skip
    assert balance(member) == 60

    order_record(shop=shop, data=order(total=1_000_000, status="refunded", refunded=1_000_000, updated=T0 + 2 * HOUR,
                                       cancelled_at=T0 + 2 * HOUR))  # fmt: skip

    assert balance(member) == 0
    assert list(PointEntry.objects.order_by("id").values_list("kind", "points")) == [
        ("earn", 100), ("reverse", -40), ("reverse", -60),
    ]  # fmt: skip


def test_points_already_spent_leave_a_visible_negative_balance(shop, member):
    order_record(shop=shop, data=order(total=1_000_000))
    PointEntryFactory(shop=shop, customer=member, points=-100, source_id="1", key="gift", reason="Đổi quà")

    order_record(shop=shop, data=order(total=1_000_000, status="refunded", refunded=1_000_000, updated=T0 + HOUR))

    assert PointEntry.objects.filter(kind="reverse").get().points == -100
    customers_refresh_points(customer_ids=[member.pk])  # the staff adjustment above bypassed the service
    assert balance(member) == -100  # owed, shown, and paid back by later earnings


def test_the_same_order_version_processed_twice_earns_once(shop, member):
    order_record(shop=shop, data=order())
    order_record(shop=shop, data=order())

    assert PointEntry.objects.count() == 1 and balance(member) == 123


def test_welcome_points_once_per_member(shop):
    EarningSettings.objects.update_or_create(shop=shop, defaults={"signup_points": 50})
    customer = Customer.objects.create(shop=shop, phone=PHONE)

    members_activate(shop=shop, actor=None, customer_ids=[customer.pk])
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk])

    assert balance(customer) == 50


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_earn_once_for_one_paid_order(shop):
    customer = Customer.objects.create(shop=shop, phone=PHONE)
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk], when=T0 - HOUR)
    barrier = threading.Barrier(5)

    def work():
        try:
            barrier.wait()
            order_record(shop=shop, data=order())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert PointEntry.objects.filter(kind="earn").count() == 1
    assert balance(customer) == 123


def test_the_consistency_check_finds_a_tampered_balance(shop, member, capsys):
    order_record(shop=shop, data=order())
    call_command("check_points")
    assert "Every cached balance equals its ledger" in capsys.readouterr().out

    Customer.objects.filter(pk=member.pk).update(points_balance=999)

    assert points_balance_mismatches() == [(member.pk, 999, 123)]
    with pytest.raises(Exception, match="1 balances differ"):
        call_command("check_points")


def test_the_member_page_shows_the_balance_and_its_history(staff_client, shop, member):
    order_record(shop=shop, data=order(total=1_000_000))

    page = staff_client.get(f"/members/{member.pk}/").content.decode()

    assert "Lịch sử điểm" in page and "Đơn hàng #1" in page and "+100" in page


def test_the_owner_changes_the_earning_settings_and_the_log_keeps_before_and_after(owner_client, shop):
    response = owner_client.post(
        "/settings/loyalty/",
        {
            "dong_per_point": "20000",
            "rounding": "nearest",
            "signup_points": "10",
            "expiry": "never",
            "expiry_months": "12",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Đã lưu cấu hình" in page and "1.500.000 ₫ đã thanh toán được 75 điểm" in page
    from shops.models import ActivityEntry

    entry = ActivityEntry.objects.get(kind="settings.loyalty")
    assert entry.before == {"dong_per_point": 10000, "rounding": "down", "signup_points": 0}
    assert entry.after == {"dong_per_point": 20000, "rounding": "nearest", "signup_points": 10}  # only what changed


def test_staff_cannot_open_the_earning_settings(staff_client):
    assert staff_client.get("/settings/loyalty/").status_code == 403


def test_silly_earning_values_are_refused(owner_client):
    response = owner_client.post(
        "/settings/loyalty/",
        {"dong_per_point": "5", "rounding": "down", "signup_points": "0", "expiry": "never", "expiry_months": "12"},
    )

    assert "ít nhất 1.000 ₫ cho mỗi điểm" in response.content.decode()


def test_staff_adjust_points_with_a_reason_once_per_form(staff_client, staff, shop, member):
    form = {"points": "40", "reason": "Khách giới thiệu bạn bè", "request_key": "form-1"}

    first = staff_client.post(f"/members/{member.pk}/points/", form, follow=True)
    again = staff_client.post(f"/members/{member.pk}/points/", form, follow=True)  # a double click

    assert "Đã điều chỉnh điểm" in first.content.decode()
    assert "đã được lưu trước đó" in again.content.decode()
    assert balance(member) == 40
    entry = PointEntry.objects.get(kind="adjust")
    assert (entry.actor, entry.reason) == (staff, "Khách giới thiệu bạn bè")
    from shops.models import ActivityEntry

    log = ActivityEntry.objects.get(kind="member.points_adjusted")
    assert (log.before, log.after) == ({"points": 0}, {"points": 40})


def test_a_deduction_below_zero_or_without_a_reason_is_refused(staff_client, member):
    below = staff_client.post(f"/members/{member.pk}/points/", {"points": "-5", "reason": "Đổi quà",
                                                                 "request_key": "k1"}, follow=True)  # fmt: skip
    no_reason = staff_client.post(f"/members/{member.pk}/points/", {"points": "5", "reason": " ",
                                                                     "request_key": "k2"}, follow=True)  # fmt: skip

    assert "nhỏ hơn 0" in below.content.decode()
    assert "Hãy ghi lý do thay đổi điểm" in no_reason.content.decode()
    assert balance(member) == 0 and not PointEntry.objects.exists()
