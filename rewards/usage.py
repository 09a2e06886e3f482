"""A redemption's code typed at checkout: the order is linked to the redemption, once.

Orders' ``discount_codes`` are compared, case-insensitively, with the shop's redemption
codes. A redemption takes the first order that carried its code (the code works once). One
whose points came back because it lapsed, and whose order only arrived afterwards (a late
sync), or whose code was made by a try that seemed to fail, is used after all: its points
are taken again, once (a keyed ledger line).
"""

import datetime

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboard.changes import days_changed
from haravan.mapping import order_codes
from loyalty.models import PointEntry
from loyalty.services import customers_refresh_points
from members.models import Order
from rewards.models import Redemption
from shops.models import Shop

# A code whose points came back may still work in Haravan (it lapsed a day ago, or a try that
# failed had made it after all): an order that uses it takes its points again.
USABLE = (Redemption.State.WAITING, Redemption.State.SENT, Redemption.State.EXPIRED, Redemption.State.RETURNED)


def redemption_uses_record(*, shop: Shop, order_ids: list[int]) -> int:
    """Link the orders that carried redemption codes to them; returns how many were linked."""
    if not order_ids:
        return 0
    typed: dict[str, tuple[int, datetime.datetime]] = {}
    for order_id, codes, created_at in (
        Order.objects.filter(shop=shop, pk__any=set(order_ids)).order_by("created_at", "pk")
        .values_list("pk", "discount_codes", "created_at")
    ):  # fmt: skip
        for code in order_codes(codes):
            typed.setdefault(code, (order_id, created_at))
    if not typed:
        return 0
    linked = 0
    found = (
        Redemption.objects.annotate(lower=Lower("code"))
        .filter(~Q(code=""), shop=shop, lower__any=set(typed), state__in=USABLE)
        .values_list("pk", "lower")
    )
    for redemption_id, lower in list(found):
        order_id, created_at = typed[lower]
        with transaction.atomic():
            redemption = Redemption.objects.select_for_update().get(pk=redemption_id)
            if redemption.state not in USABLE:
                continue
            Redemption.objects.filter(pk=redemption.pk).update(
                state=Redemption.State.USED, order_id=order_id, used_at=created_at or timezone.now()
            )
            if redemption.state in (Redemption.State.EXPIRED, Redemption.State.RETURNED):
                PointEntry.objects.bulk_create(
                    [
                        PointEntry(
                            shop=shop,
                            customer_id=redemption.customer_id,
                            kind=PointEntry.Kind.REDEEM,
                            points=-redemption.points,
                            source=PointEntry.Source.REWARD,
                            source_id=str(redemption.pk),
                            key="used-after-return",
                            reason=_("Redeemed: %(reward)s (its code was used after it lapsed)")
                            % {"reward": redemption.name},
                        )
                    ],
                    ignore_conflicts=True,
                )
                customers_refresh_points(customer_ids=[redemption.customer_id])
                days_changed(shop=shop, moments=[redemption.created_at])  # spent on its day again
            linked += 1
    return linked
