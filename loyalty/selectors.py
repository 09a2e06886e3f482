"""Reads of the loyalty program for its pages: the settings pages and the member page."""

from typing import Any

from django.db.models import Count

from loyalty.models import Tier, TierRecalculation, TierSettings
from loyalty.services import earning_settings_read, points_for_amount
from loyalty.tiers import ranking_since, ranking_spend, tier_settings_read, tiers_read
from members.models import Customer
from shops.models import Shop

EXAMPLE_ORDER = 1_500_000  # the settings page's worked example


def earning_settings_page(*, shop: Shop) -> dict[str, Any]:
    """The earning settings page: the saved settings and what an example order earns."""
    settings = earning_settings_read(shop)
    return {
        "settings": settings,
        "example": EXAMPLE_ORDER,
        "example_points": points_for_amount(EXAMPLE_ORDER, settings),
    }


def tiers_page(*, shop: Shop) -> dict[str, Any]:
    """The tier settings page: the tiers in use with their member counts (the formset's
    rows), how they are measured, and the latest recalculation."""
    tiers = tiers_read(shop)
    members = tier_member_counts(tiers=tiers)
    return {
        "rows": [
            {"pk": t.pk, "name": t.name, "threshold": t.threshold, "multiplier": t.multiplier, "members": members[t.pk]}
            for t in tiers
        ],
        "tier_settings": tier_settings_read(shop),
        "job": TierRecalculation.objects.for_shop(shop).first(),
    }


def tier_member_counts(*, tiers: list[Tier]) -> dict[int, int]:
    """How many customers each of these tiers holds now. The tiers are one shop's, so the
    count is scoped by them, and it reads the tier index alone rather than every row."""
    counts = dict(
        Customer.objects.filter(tier__in=[tier.pk for tier in tiers])
        .values("tier_id")
        .annotate(count=Count("*"))
        .values_list("tier_id", "count")
        .order_by()
    )
    return {tier.pk: counts.get(tier.pk, 0) for tier in tiers}


def tier_progress(customer: Customer) -> dict[str, Any]:
    """The member's tier, the next one, and how much more spend reaches it."""
    tiers = tiers_read(customer.shop)
    basis = tier_settings_read(customer.shop).basis
    spend = ranking_spend(customer, ranking_since(customer.shop, basis))
    current = next((tier for tier in tiers if tier.pk == customer.tier_id), None)
    higher = [tier for tier in tiers if current is None or tier.threshold > current.threshold]
    following = higher[0] if higher and current is not None else None
    percent = 100
    if following is not None and current is not None:
        span = following.threshold - current.threshold
        percent = max(0, min(100, int((spend - current.threshold) * 100 / span))) if span else 100
    return {
        "tier": current,
        "next": following,
        "spend": spend,
        "last_12_months": basis == TierSettings.Basis.LAST_12_MONTHS,
        "missing": max(0, following.threshold - spend) if following else 0,
        "percent": percent,
    }
