"""Reads of the catalogue and of redemptions."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum

from haravan.selectors import connection_with_token
from members.models import Customer
from rewards.models import Redemption, Reward
from rewards.services import COUNTED_STATES, reward_label, reward_refusal
from shops.models import Shop

MEMBER_REDEMPTIONS = 50


@dataclass(frozen=True)
class RewardChoice:
    reward: Reward
    label: str  # what it gives, in words
    refusal: str  # why the member cannot have it now; "" when they can
    missing: int  # points still needed (0 when the balance covers it)


def rewards_for_member(*, shop: Shop, customer: Customer, include_off: bool = False) -> list[RewardChoice]:
    """The catalogue as this member sees it: each reward (those switched on, unless
    ``include_off``) with whether they can redeem it now and, if not, why. Two queries."""
    rewards = Reward.objects.for_shop(shop).select_related("tier")
    if not include_off:
        rewards = rewards.filter(active=True)
    used = dict(
        Redemption.objects.for_shop(shop)
        .filter(customer=customer, state__in=COUNTED_STATES)
        .values("reward_id")
        .annotate(count=Count("id"))
        .values_list("reward_id", "count")
    )
    return [
        RewardChoice(
            reward=reward,
            label=reward_label(kind=reward.kind, value=reward.value, minimum_order=reward.minimum_order),
            refusal=reward_refusal(reward=reward, customer=customer, used=used.get(reward.pk, 0)),
            missing=max(0, reward.points - customer.points_balance),
        )
        for reward in rewards
    ]


def member_redemptions(*, customer: Customer) -> list[Redemption]:
    return list(customer.redemptions.select_related("order")[:MEMBER_REDEMPTIONS])


def catalogue_page(*, shop: Shop) -> dict[str, Any]:
    """The catalogue with each reward's redemptions so far, and whether codes can be made."""
    rewards = (
        Reward.objects.for_shop(shop)
        .select_related("tier")
        .annotate(
            redeemed=Count("redemptions", filter=Q(redemptions__state__in=COUNTED_STATES)),
            used=Count("redemptions", filter=Q(redemptions__state=Redemption.State.USED)),
        )
        .order_by("-active", "points", "id")
    )
    return {
        "rewards": [
            (reward, reward_label(kind=reward.kind, value=reward.value, minimum_order=reward.minimum_order))
            for reward in rewards
        ],
        "connected": connection_with_token(shop_id=shop.pk) is not None,
        "points_out": Redemption.objects.for_shop(shop)
        .filter(state__in=COUNTED_STATES)
        .aggregate(total=Sum("points"))["total"]
        or 0,
    }
