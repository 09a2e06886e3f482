import factory

from core.text import fold
from members.models import Customer
from shops.tests.factories import ShopFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    shop = factory.SubFactory(ShopFactory)
    name = "Nguyễn Văn A"
    search_name = factory.LazyAttribute(lambda customer: fold(customer.name))
    phone = factory.Sequence(lambda n: f"+8491{n:07d}")
