import factory

from loyalty.models import PointEntry, Tier
from members.tests.factories import CustomerFactory
from shops.tests.factories import ShopFactory


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"Hạng {n}")
    threshold = factory.Sequence(lambda n: n * 5_000_000)


class PointEntryFactory(factory.django.DjangoModelFactory):
    """A ledger line written as is, a staff adjustment unless told: it does not move the
    customer's cached balance (``customers_refresh_points`` or ``points_adjust`` do)."""

    class Meta:
        model = PointEntry

    shop = factory.SubFactory(ShopFactory)
    customer = factory.SubFactory(CustomerFactory, shop=factory.SelfAttribute("..shop"))
    kind = PointEntry.Kind.ADJUST
    points = 10
    source = PointEntry.Source.STAFF
    source_id = factory.Sequence(str)
    key = factory.Sequence(lambda n: f"key-{n}")
