"""The shop's tiers and tier settings as pages and services read them (reads never write:
the defaults are written when the shop is made), and a member's progress to the next tier."""

from dataclasses import dataclass
from decimal import Decimal

from loyalty.models import Tier, TierSettings
from shops.models import Shop

DEFAULT_TIERS = [("Thành viên", 0), ("Bạc", 5_000_000), ("Vàng", 20_000_000), ("Kim cương", 50_000_000)]


def tiers_read(shop: Shop) -> list[Tier]:
    """The shop's tiers in use, from the lowest (the guide's four are written when the shop
    is made: ``tiers_create_defaults``)."""
    return list(Tier.objects.for_shop(shop).filter(removed_at__isnull=True).order_by("threshold"))


def tier_settings_read(shop: Shop) -> TierSettings:
    """How the shop's tiers are measured: the saved settings, or the defaults (unsaved)."""
    return TierSettings.objects.filter(shop=shop).first() or TierSettings(shop=shop)


def tiers_create_defaults(*, shop: Shop) -> None:
    """What a new shop starts with: the guide's four tiers and how they are measured."""
    if not Tier.objects.for_shop(shop).exists():
        Tier.objects.bulk_create(
            [Tier(shop=shop, name=name, threshold=threshold) for name, threshold in DEFAULT_TIERS],
            ignore_conflicts=True,
        )
    TierSettings.objects.get_or_create(shop=shop)


@dataclass(frozen=True)
class TierRow:
    pk: int | None
    name: str
    threshold: int
    multiplier: Decimal
