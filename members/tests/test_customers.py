import datetime

import pytest
from django.db import IntegrityError, transaction

from loyalty.orders import order_record, orders_record
from members.models import Customer, Order
from members.records import CustomerData
from members.services import customers_upsert
from members.tests.factories import OrderDataFactory
from shops.models import ActivityEntry, ActivityKind

T0 = datetime.datetime(2026, 11, 1, 3, 0, tzinfo=datetime.UTC)


def order(external_id, phone="+84912345678", status="paid", total=100_000, updated=T0, **fields):
    return OrderDataFactory(external_id=external_id, phone=phone, customer_name="Lan", financial_status=status,
                            total=total, updated_at=updated, **fields)  # fmt: skip


def test_the_same_phone_in_two_shops_is_two_customers(shop, other_shop):
    first = customers_upsert(shop=shop, items=[CustomerData(phone="+84912345678", name="Lan")])
    second = customers_upsert(shop=other_shop, items=[CustomerData(phone="+84912345678", name="Lan")])

    assert first["+84912345678"] != second["+84912345678"]


def test_a_phone_is_unique_within_a_shop_in_the_database(shop):
    Customer.objects.create(shop=shop, phone="+84912345678")

    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(shop=shop, phone="+84912345678")


def test_figures_follow_orders_as_they_arrive_change_and_are_cancelled(shop):
    order_record(shop=shop, data=order("1", created_at=T0))
    order_record(shop=shop, data=order("2", total=250_000, created_at=T0 + datetime.timedelta(days=3)))
    customer = Customer.objects.get(shop=shop)
    assert (customer.orders_count, customer.total_spent) == (2, 350_000)
    assert (customer.first_order_at, customer.last_order_at) == (T0, T0 + datetime.timedelta(days=3))

    day = datetime.timedelta(days=1)
    cancelled = order("2", total=250_000, status="voided", updated=T0 + 4 * day, created_at=T0 + 3 * day,
                      cancelled_at=T0 + 4 * day)  # fmt: skip
    order_record(shop=shop, data=cancelled)

    customer.refresh_from_db()
    assert (customer.orders_count, customer.total_spent, customer.last_order_at) == (1, 100_000, T0)


def test_a_page_with_the_same_order_twice_keeps_the_newest(shop):
    results = orders_record(
        shop=shop,
        items=[order("9", status="pending", updated=T0), order("9", status="paid", updated=T0 + datetime.timedelta(1))],
    )

    assert len(results) == 2 and Order.objects.get(shop=shop).financial_status == "paid"
    assert Customer.objects.get(shop=shop).total_spent == 100_000


def test_an_order_moving_to_another_phone_moves_its_figures(shop):
    order_record(shop=shop, data=order("5"))
    order_record(shop=shop, data=order("5", phone="+84987654321", updated=T0 + datetime.timedelta(hours=1)))

    figures = dict(Customer.objects.filter(shop=shop).values_list("phone", "total_spent"))
    assert figures == {"+84912345678": 0, "+84987654321": 100_000}


def test_the_shop_setting_makes_a_customer_a_member_with_their_first_paid_order(shop):
    shop.auto_activate_members = True
    shop.save()

    order_record(shop=shop, data=order("1", status="pending"))
    assert Customer.objects.get(shop=shop).member_since is None
    order_record(shop=shop, data=order("1", status="paid", updated=T0 + datetime.timedelta(hours=2)))

    customer = Customer.objects.get(shop=shop)
    assert customer.member_since == T0  # from the order's time, so that order counts for them
    entry = ActivityEntry.objects.get(kind=ActivityKind.MEMBER_ACTIVATED)
    assert (entry.actor, entry.actor_display) == (None, "hệ thống")


def test_without_the_setting_paid_orders_do_not_make_members(shop):
    order_record(shop=shop, data=order("1"))

    assert Customer.objects.get(shop=shop).member_since is None


def test_a_birthday_entered_or_changed_on_a_known_customer_is_stamped_and_a_new_customers_is_not(shop, staff):
    from members.services.customers import customer_update_contact

    born = datetime.date(1990, 3, 15)
    customers_upsert(shop=shop, items=[CustomerData(phone="+84912345678", name="Lan", birthday=born)])
    customers_upsert(shop=shop, items=[CustomerData(phone="+84912345679", name="Huệ")])
    lan = Customer.objects.get(phone="+84912345678")
    assert lan.birthday == born and lan.birthday_changed_at is None  # came with the customer

    customers_upsert(shop=shop, items=[CustomerData(phone="+84912345678", name="Lan", birthday=born)])
    assert Customer.objects.get(pk=lan.pk).birthday_changed_at is None  # the same birthday again
    customers_upsert(shop=shop, items=[CustomerData(phone="+84912345679", birthday=born)])
    assert Customer.objects.get(phone="+84912345679").birthday_changed_at is not None  # entered later

    customer_update_contact(
        shop=shop, actor=staff, customer=lan, ip=None, name="Lan", phone=lan.phone, email="", gender="",
        birthday=datetime.date(1990, 4, 1), city="", accepts_email=True, accepts_sms=True,
    )  # fmt: skip
    assert Customer.objects.get(pk=lan.pk).birthday_changed_at is not None
