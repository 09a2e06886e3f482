import factory
from django.utils import timezone

from loyalty.models import PointEntry
from loyalty.services import customers_refresh_points
from members.models import Customer
from rewards.models import Reward
from shops.tests.factories import ShopFactory


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    shop = factory.SubFactory(ShopFactory)
    name = "Giảm 50.000 ₫"
    kind = Reward.Kind.FIXED_AMOUNT
    value = 50_000
    points = 100
    minimum_order = 300_000
    valid_days = 30


def points_give(customer: Customer, points: int, *, expires_at=None, key: str = "") -> None:
    """A staff adjustment straight into the ledger, and the balance refreshed."""
    PointEntry.objects.create(
        shop_id=customer.shop_id,
        customer=customer,
        kind=PointEntry.Kind.ADJUST,
        points=points,
        source=PointEntry.Source.STAFF,
        source_id=str(customer.pk),
        key=key or f"test:{timezone.now().timestamp()}:{points}",
        reason="Tặng điểm",
        expires_at=expires_at,
    )
    customers_refresh_points(customer_ids=[customer.pk])
    customer.refresh_from_db(fields=["points_balance"])
