"""Reads of the loyalty program for its settings pages."""

from django.db.models import Count

from loyalty.models import Tier
from members.models import Customer


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
