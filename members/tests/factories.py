import datetime

import factory
from django.utils import timezone

from core.text import fold
from members.models import Customer, Order
from members.records import CustomerData, OrderData
from shops.tests.factories import ShopFactory

T0 = datetime.datetime(2026, 11, 1, 3, 0, tzinfo=datetime.UTC)
# The statuses of an order whose total was paid (what is refunded is told apart).
PAID_STATUSES = ("paid", "partially_refunded", "refunded")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    shop = factory.SubFactory(ShopFactory)
    name = "Nguyễn Văn A"
    search_name = factory.LazyAttribute(lambda customer: fold(customer.name))
    phone = factory.Sequence(lambda n: f"+8491{n:07d}")


class OrderDataFactory(factory.Factory):
    """An order as a platform hands it over (what ``loyalty.orders.order_record`` takes): paid in full,
    placed at T0, by the customer with ``phone`` (no customer when ``phone`` is empty)."""

    class Meta:
        model = OrderData

    class Params:
        phone = "+84912345678"
        customer_name = ""

    source = Order.Source.HARAVAN
    external_id = factory.Sequence(lambda n: str(n + 1))
    number = factory.LazyAttribute(lambda order: f"#{order.external_id}")
    total = 1_000_000
    financial_status = "paid"
    paid_amount = factory.LazyAttribute(lambda order: order.total if order.financial_status in PAID_STATUSES else 0)
    refunded_amount = 0
    created_at = T0
    updated_at = factory.SelfAttribute("created_at")
    customer = factory.LazyAttribute(
        lambda order: CustomerData(phone=order.phone, name=order.customer_name) if order.phone else None
    )


class OrderFactory(factory.django.DjangoModelFactory):
    """An order row as it is stored, paid in full. It writes only the row: the customer's
    totals, tier and points are the services' to keep (``loyalty.orders.order_record`` does all of it)."""

    class Meta:
        model = Order

    shop = factory.SubFactory(ShopFactory)
    customer = factory.SubFactory(CustomerFactory, shop=factory.SelfAttribute("..shop"))
    external_id = factory.Sequence(lambda n: str(n + 1))
    number = factory.LazyAttribute(lambda order: f"#{order.external_id}")
    total = 1_000_000
    paid_amount = factory.SelfAttribute("total")
    financial_status = Order.FinancialStatus.PAID
    created_at = factory.LazyFunction(timezone.now)
