"""Counting the use of campaigns' codes, from the orders the shop already receives.

An order's ``discount_codes`` (the codes typed at checkout) is compared, case-insensitively,
with the shop's recipients' unique codes and its started campaigns' shared codes. A use is
recorded once per (campaign, order), a constraint; whether it still counts (paid, not
cancelled, less refunds) is the report's to read from the order.
"""

from typing import Any

from django.db.models import Q
from django.db.models.functions import Lower

from campaigns.models import Campaign, CodeUse, Offer, Recipient
from core.db import insert_rows
from haravan.mapping import order_codes
from members.models import Order
from shops.models import Shop


def code_uses_record(*, shop: Shop, order_ids: list[int]) -> int:
    """Record the uses of campaign codes among these orders (those just recorded from
    Haravan); returns how many new uses were recorded. A few statements whatever the number
    of orders or recipients; repeating it adds nothing."""
    if not order_ids:
        return 0
    orders = Order.objects.filter(shop=shop, pk__any=set(order_ids)).values_list("pk", "discount_codes", "created_at")
    used: list[tuple[int, str, Any]] = [
        (order_id, code, created_at) for order_id, codes, created_at in orders for code in order_codes(codes)
    ]
    if not used:
        return 0
    typed = {code for _order, code, _at in used}
    # Served by the recipient_code_lower index (the expression and its condition).
    unique = {
        lower: (campaign_id, recipient_id, code)
        for recipient_id, campaign_id, code, lower in Recipient.objects.annotate(lower=Lower("code"))
        .filter(~Q(code=""), lower__any=typed, campaign__shop=shop)
        .values_list("pk", "campaign_id", "code", "lower")
    }
    shared: dict[str, list[tuple[int, Any, str]]] = {}
    for campaign_id, started_at, code, lower in (
        Campaign.objects.filter(shop=shop, started_at__isnull=False, offer__codes=Offer.Codes.SHARED)
        .annotate(lower=Lower("offer__shared_code"))
        .filter(~Q(offer__shared_code=""), lower__any=typed)
        .values_list("pk", "started_at", "offer__shared_code", "lower")
    ):
        shared.setdefault(lower, []).append((campaign_id, started_at, code))
    rows: dict[tuple[int, int], tuple[int, int, int | None, str]] = {}
    for order_id, code, created_at in sorted(used):
        if code in unique:
            campaign_id, recipient_id, stored = unique[code]
            rows.setdefault((campaign_id, order_id), (campaign_id, order_id, recipient_id, stored))
        for campaign_id, started_at, stored in shared.get(code, []):
            # A shared code the owner made may have been in use before: only orders placed
            # once the campaign started are its.
            if created_at >= started_at:
                rows.setdefault((campaign_id, order_id), (campaign_id, order_id, None, stored))
    inserted = insert_rows(
        CodeUse,
        ["campaign", "order", "recipient", "code"],
        list(rows.values()),
        conflict=["campaign", "order"],
        returning=["id"],
    )
    return len(inserted)
