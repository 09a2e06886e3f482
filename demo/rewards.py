"""The demo shop's rewards, so that the catalogue, the member pages and the overview have
something real to show: four rewards, and two months of redemptions in every state (used
in an order, sent and waiting to be used, lapsed with the points back, and one whose code
Haravan refused). The redemptions and their ledger lines are written as the services write
them, then dated in the past; the orders that used codes go through ``order_record``."""

import datetime

from django.db import transaction
from django.utils import timezone

from dashboard.models import DashboardState
from loyalty.models import PointEntry
from loyalty.orders import order_record
from loyalty.services import customers_refresh_points
from loyalty.tiers import tiers_read
from members.models import Customer, Order
from members.records import CustomerData, OrderData
from rewards.models import Redemption, Reward
from rewards.services import redemption_code_name
from rewards.usage import redemption_uses_record
from shops.models import Shop

State = Redemption.State


def demo_rewards(*, shop: Shop, now: datetime.datetime | None = None) -> list[Reward]:
    now = now or timezone.now()
    tiers = [tier for tier in tiers_read(shop) if tier.threshold > 0]
    low, high = (tiers[0], tiers[-1]) if tiers else (None, None)
    with transaction.atomic():
        rewards = [
            Reward.objects.create(shop=shop, name="Miễn phí vận chuyển", kind=Reward.Kind.SHIPPING, points=60,
                                  valid_days=30),
            Reward.objects.create(shop=shop, name="Giảm 50.000 ₫", kind=Reward.Kind.FIXED_AMOUNT, value=50_000,
                                  points=100, minimum_order=300_000, valid_days=30),
            Reward.objects.create(shop=shop, name=f"Giảm 10 % cho hạng {low.name if low else 'thân thiết'}",
                                  kind=Reward.Kind.PERCENTAGE, value=10, points=150, valid_days=14, tier=low,
                                  per_member_limit=2),
            Reward.objects.create(shop=shop, name=f"Giảm 200.000 ₫ cho hạng {high.name if high else 'VIP'}",
                                  kind=Reward.Kind.FIXED_AMOUNT, value=200_000, points=400, minimum_order=1_000_000,
                                  valid_days=30, tier=high, per_member_limit=1),
        ]  # fmt: skip
        richest = list(
            Customer.objects.for_shop(shop)
            .filter(member_since__isnull=False, points_balance__gte=150)
            .order_by("-points_balance", "pk")[:10]
        )
        # (days ago, reward, state): most used, some still open, two lapsed, one refused.
        plan = [
            (52, 1, State.USED), (45, 0, State.USED), (40, 1, State.EXPIRED), (33, 0, State.USED),
            (26, 1, State.USED), (36, 0, State.EXPIRED), (12, 1, State.SENT), (8, 0, State.RETURNED),
            (5, 1, State.SENT), (2, 0, State.SENT),
        ]  # fmt: skip
        order_ids = []
        for customer, (days_ago, index, state) in zip(richest, plan, strict=False):
            order_id = _redemption(shop, customer, rewards[index], state, at=now - datetime.timedelta(days=days_ago))
            if order_id is not None:
                order_ids.append(order_id)
        redemption_uses_record(shop=shop, order_ids=order_ids)
        # Written around the services: the overview computes every past day again.
        DashboardState.objects.filter(shop=shop).update(complete_before=None)
    return rewards


def _redemption(shop: Shop, customer: Customer, reward: Reward, state: str, *, at: datetime.datetime) -> int | None:
    """One redemption as the services leave it in ``state``; returns the order that used it."""
    redemption = Redemption.objects.create(
        shop=shop, customer=customer, reward=reward, name=reward.name, kind=reward.kind, value=reward.value,
        minimum_order=reward.minimum_order, valid_days=reward.valid_days, points=reward.points,
        request_key=f"demo-{customer.pk}-{at:%Y%m%d}", created_at=at,
    )  # fmt: skip
    ends_at = datetime.datetime.combine(
        timezone.localtime(at, shop.tzinfo).date() + datetime.timedelta(days=reward.valid_days),
        datetime.time(23, 59, 59),
        shop.tzinfo,
    )
    fields = {"code": redemption_code_name(redemption), "state": State.SENT, "sent_at": at, "ends_at": ends_at}
    lines = [(PointEntry.Kind.REDEEM, -reward.points, "redeem", f"Đổi điểm: {reward.name}", at)]
    if state == State.RETURNED:
        reason = "Haravan từ chối mã: mã đã tồn tại với ưu đãi khác."
        fields.update(state=State.RETURNED, reason=reason, returned_at=at, sent_at=None, ends_at=None)
        lines.append((PointEntry.Kind.RETURN, reward.points, "return", f"Hoàn điểm: {reward.name} ({reason})", at))
    elif state == State.EXPIRED:
        back = ends_at + datetime.timedelta(days=1, hours=1)
        fields.update(state=State.EXPIRED, reason="mã hết hạn mà chưa dùng", returned_at=back)
        lines.append((PointEntry.Kind.RETURN, reward.points, "return", f"Hoàn điểm: {reward.name} (hết hạn)", back))
    Redemption.objects.filter(pk=redemption.pk).update(**fields)
    PointEntry.objects.bulk_create(
        PointEntry(shop=shop, customer=customer, kind=kind, points=points, source=PointEntry.Source.REWARD,
                   source_id=str(redemption.pk), key=key, reason=reason, created_at=moment)
        for kind, points, key, reason, moment in lines
    )  # fmt: skip
    customers_refresh_points(customer_ids=[customer.pk])
    if state != State.USED:
        return None
    placed = at + datetime.timedelta(days=3, hours=2)
    total = max(reward.minimum_order, 350_000) + 120_000
    result = order_record(
        shop=shop,
        data=OrderData(
            source=Order.Source.DEMO, external_id=f"demo-reward-{redemption.pk}", number=f"#DD{redemption.pk:04d}",
            total=total, paid_amount=total, refunded_amount=0, financial_status="paid", created_at=placed,
            updated_at=placed, paid_at=placed, discount_codes=[fields["code"]],
            customer=CustomerData(phone=customer.phone, name=customer.name),
        ),
    )  # fmt: skip
    return result.order_id
