"""Who a campaign reaches: all members, members of some tiers, or customer groups (static
lists and groups by conditions), each customer once however many of its groups they are in.

The count per channel is what the sending would find today: an email needs an address that
looks like one and a customer who accepts email; an SMS a customer who accepts SMS. The
outbox checks both again just before each message.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from members.models import Customer, CustomerGroup, CustomerGroupMember
from members.selectors import group_members
from shops.models import Shop

ALL = "all"
TIERS = "tiers"
GROUPS = "groups"

# What the outbox needs to send an email: an address (validated again when the message is
# queued) and consent. In SQL, so that the counts and the queueing agree.
EMAIL_REACHABLE = Q(accepts_email=True) & ~Q(email="") & Q(email__contains="@")
SMS_REACHABLE = Q(accepts_sms=True) & ~Q(phone="")


@dataclass(frozen=True)
class AudienceCount:
    total: int
    email: int
    sms: int

    def for_channels(self, channels: list[str]) -> dict[str, int]:
        return {channel: getattr(self, channel) for channel in channels}


def audience_customers(*, shop: Shop, audience: str, tier_ids: list[int], group_ids: list[int]) -> QuerySet[Customer]:
    """The audience as one queryset of distinct customers of the shop (ids from a form or a
    campaign are narrowed to the shop's own: another shop's tier or group reaches nobody)."""
    customers = Customer.objects.for_shop(shop)
    if audience == ALL:
        return customers.filter(member_since__isnull=False)
    if audience == TIERS:
        return customers.filter(member_since__isnull=False, tier_id__in=[int(pk) for pk in tier_ids])
    if audience == GROUPS:
        groups = list(CustomerGroup.objects.for_shop(shop).filter(pk__in=[int(pk) for pk in group_ids]))
        if not groups:
            return customers.none()
        # One UNION of the groups' ids (a customer in two groups is still one row): a static
        # group's ids come from its membership rows alone. An OR of one subquery per group
        # made PostgreSQL scan the customers once per group, then once more.
        ids = [_group_ids(group) for group in groups]
        return customers.filter(pk__in=ids[0].union(*ids[1:]) if len(ids) > 1 else ids[0])
    raise ValueError(f"unknown audience {audience!r}")


def _group_ids(group: CustomerGroup) -> QuerySet:
    if group.kind == CustomerGroup.Kind.STATIC:
        return CustomerGroupMember.objects.filter(group=group).values("customer_id")
    return group_members(group=group).values("pk")


def audience_count(*, shop: Shop, audience: str, tier_ids: list[int], group_ids: list[int]) -> AudienceCount:
    """The audience's size and how many of them each channel reaches, in one query."""
    figures = audience_customers(shop=shop, audience=audience, tier_ids=tier_ids, group_ids=group_ids).aggregate(
        total=Count("pk"),
        # Not "email" and "sms": an aggregate of a field's name shadows the field.
        by_email=Count("pk", filter=EMAIL_REACHABLE),
        by_sms=Count("pk", filter=SMS_REACHABLE),
    )
    return AudienceCount(total=figures["total"], email=figures["by_email"], sms=figures["by_sms"])
