"""The reward catalogue, and redeeming a reward: the one way points buy something.

``redemption_create`` is what staff (on the member page) and the member (on their own page)
both call. Under the customer's row lock it checks the reward (on, the member's tier, the
limit per member) and the balance, then writes the redemption and its ledger line in one
transaction. The form's own id is unique per shop, so a form sent twice redeems once; two
staff members at once wait for each other on the lock, and the second sees the balance the
first left. The code is made in Haravan by a worker (``rewards.codes``) after the commit.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.formatting import format_vnd
from dashboard.changes import days_changed
from haravan.discounts import readable_code
from haravan.selectors import connection_with_token
from loyalty.models import PointEntry, Tier
from loyalty.services import customers_refresh_points
from members.locks import customer_lock
from members.models import Customer
from rewards.models import Redemption, Reward
from shops.activity import activity_record, audited_update
from shops.models import ActivityKind, Shop, User

# What a redemption counts against the reward's limit per member: all but those whose
# points came back.
COUNTED_STATES = (Redemption.State.WAITING, Redemption.State.SENT, Redemption.State.USED)


class RedeemError(ValueError):
    """Why a reward cannot be redeemed, as staff and members read it."""


@dataclass(frozen=True)
class Redeemed:
    redemption: Redemption
    created: bool  # False: the same request, sent again


def reward_label(*, kind: str, value: int, minimum_order: int) -> str:
    """What a reward gives, in words: "50.000 ₫ off", "10 % off", "free shipping", and the
    minimum order when there is one."""
    if kind == Reward.Kind.FIXED_AMOUNT:
        label = _("%(amount)s off") % {"amount": format_vnd(value)}
    elif kind == Reward.Kind.PERCENTAGE:
        label = _("%(percent)d%% off") % {"percent": value}
    else:
        label = _("Free shipping")
    if minimum_order:
        label += " " + _("on orders from %(amount)s") % {"amount": format_vnd(minimum_order)}
    return label


# Catalogue -----------------------------------------------------------------------------------

REWARD_FIELDS = ("name", "kind", "value", "points", "minimum_order", "valid_days", "tier", "per_member_limit", "active")


def reward_save(*, shop: Shop, actor: User, ip: str | None, reward: Reward | None, values: dict[str, Any]) -> Reward:
    """Create a reward, or change one; either way the activity log says what, before and
    after. A change applies to redemptions from now on: those made keep what they bought."""
    values = {name: values[name] for name in REWARD_FIELDS if name in values}
    if values.get("kind") == Reward.Kind.SHIPPING:
        values["value"] = 0
    tier = values.get("tier")
    if tier is not None and tier.shop_id != shop.pk:
        raise ValueError("a reward's tier must be the shop's")
    with transaction.atomic():
        if reward is None:
            reward = Reward.objects.create(shop=shop, **values)
            activity_record(
                shop=shop,
                actor=actor,
                kind=ActivityKind.REWARD_SAVED,
                target=reward,
                target_label=reward.name,
                summary=_("Reward created: %(name)s, %(points)d points.")
                % {"name": reward.name, "points": reward.points},
                after={name: _loggable(getattr(reward, name)) for name in REWARD_FIELDS},
                ip=ip,
            )
            return reward
        audited_update(
            instance=reward,
            values=values,
            shop=shop,
            actor=actor,
            kind=ActivityKind.REWARD_SAVED,
            summary=lambda row, fields: (
                _("Reward %(name)s changed: %(fields)s.") % {"name": row.name, "fields": ", ".join(fields)}
            ),
            target_label=lambda row: row.name,
            logged=lambda row: {name: _loggable(getattr(row, name)) for name in values},
            also=lambda _reward, _fields: ["updated_at"],
            ip=ip,
        )
    return reward


def _loggable(value: Any) -> Any:
    return str(value) if isinstance(value, Tier) else value


def reward_switch(*, shop: Shop, actor: User, ip: str | None, reward_id: int, active: bool) -> bool:
    """Switch a reward on or off (off: members no longer see it; codes made stay good)."""
    with transaction.atomic():
        reward = Reward.objects.for_shop(shop).select_for_update().get(pk=reward_id)
        changed = audited_update(
            instance=reward,
            values={"active": active},
            shop=shop,
            actor=actor,
            kind=ActivityKind.REWARD_SAVED,
            summary=lambda row, _fields: (
                (_("Reward %(name)s switched on.") if active else _("Reward %(name)s switched off."))
                % {"name": row.name}
            ),
            target_label=reward.name,
            also=lambda _reward, _fields: ["updated_at"],
            ip=ip,
        )
    return bool(changed)


# Redemption ----------------------------------------------------------------------------------


def reward_refusal(*, reward: Reward, customer: Customer, used: int) -> str:
    """Why this member cannot have this reward now ("" if they can): ``used`` is how many
    of it they hold already (``COUNTED_STATES``)."""
    if not reward.active:
        return _("This reward is switched off.")
    if customer.member_since is None:
        return _("Only members can redeem points.")
    if reward.tier_id is not None:
        reward_tier = reward.tier
        member_tier = customer.tier
        if member_tier is None or reward_tier is None or member_tier.threshold < reward_tier.threshold:
            return _("This reward is for members of the %(tier)s tier and above.") % {
                "tier": reward_tier.name if reward_tier else ""
            }
    if reward.per_member_limit is not None and used >= reward.per_member_limit:
        return _("This reward can be redeemed %(count)d times per member; that many are used or waiting.") % {
            "count": reward.per_member_limit
        }
    if customer.points_balance < reward.points:
        return _("%(points)d points are needed; the balance is %(balance)d.") % {
            "points": reward.points,
            "balance": customer.points_balance,
        }
    return ""


def redemption_create(
    *, shop: Shop, customer_id: int, reward_id: int, request_key: str, actor: User | None, ip: str | None
) -> Redeemed:
    """Redeem ``reward_id`` for the customer: their points down by the reward's price (a
    ledger line of kind "redeem") and a redemption waiting for its code, which a worker
    makes after the commit and sends. ``actor`` None: the member on their own page.

    Raises ``RedeemError`` with the reason when the member cannot have it now."""
    request_key = request_key.strip()[:64]
    if not request_key:
        raise ValueError("a redemption needs its request's key")
    if connection_with_token(shop_id=shop.pk) is None:
        raise RedeemError(_("Rewards are Haravan discount codes: connect the shop to Haravan first."))
    with transaction.atomic():
        try:
            customer = customer_lock(Customer.objects.for_shop(shop), pk=customer_id)
        except Customer.DoesNotExist:
            raise RedeemError(_("This member was not found.")) from None
        done = Redemption.objects.for_shop(shop).filter(request_key=request_key).first()
        if done is not None:
            return Redeemed(done, created=False)  # the same form, sent again
        try:
            reward = Reward.objects.for_shop(shop).select_related("tier").get(pk=reward_id)
        except Reward.DoesNotExist:
            raise RedeemError(_("This reward was not found.")) from None
        used = (
            Redemption.objects.for_shop(shop).filter(customer=customer, reward=reward, state__in=COUNTED_STATES).count()
        )
        refusal = reward_refusal(reward=reward, customer=customer, used=used)
        if refusal:
            raise RedeemError(refusal)
        try:
            with transaction.atomic():
                redemption = Redemption.objects.create(
                    shop=shop,
                    customer=customer,
                    reward=reward,
                    name=reward.name,
                    kind=reward.kind,
                    value=reward.value,
                    minimum_order=reward.minimum_order,
                    valid_days=reward.valid_days,
                    points=reward.points,
                    request_key=request_key,
                    actor=actor,
                )
        except IntegrityError:
            # Sent again while the first was still being written (the lock makes this rare).
            return Redeemed(Redemption.objects.for_shop(shop).get(request_key=request_key), created=False)
        redemption.code = redemption_code_name(redemption)
        redemption.save(update_fields=["code"])
        PointEntry.objects.create(
            shop=shop,
            customer=customer,
            kind=PointEntry.Kind.REDEEM,
            points=-reward.points,
            source=PointEntry.Source.REWARD,
            source_id=str(redemption.pk),
            key="redeem",
            reason=_("Redeemed: %(reward)s") % {"reward": reward.name},
            actor=actor,
        )
        customers_refresh_points(customer_ids=[customer.pk])
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.REWARD_REDEEMED,
            target=customer,
            target_label=f"{customer.name} ({customer.phone})",
            summary=(
                _("%(points)d points redeemed for %(reward)s, code %(code)s.")
                if actor is not None
                else _("%(points)d points redeemed for %(reward)s on the member's own page, code %(code)s.")
            )
            % {"points": reward.points, "reward": reward.name, "code": redemption.code},
            before={"points": customer.points_balance},
            after={"points": customer.points_balance - reward.points},
            ip=ip,
        )
        from rewards.tasks import make_redemption_code

        transaction.on_commit(lambda: make_redemption_code.delay(redemption.pk))
    return Redeemed(redemption, created=True)


def redemption_code_name(redemption: Redemption) -> str:
    """The redemption's code: "DD" (đổi điểm) and a keyed hash of (shop, redemption)."""
    return readable_code(prefix="DD", message=f"reward-code:{redemption.shop_id}:{redemption.pk}")


def points_return(*, redemption_id: int, state: str, reason: str, claimed_at: datetime.datetime | None = None) -> bool:
    """Give a redemption's points back, once: RETURNED from WAITING (the code could not be
    made; only by the run whose claim is ``claimed_at``), or EXPIRED from SENT (it lapsed
    unused), with a ledger line of kind "return" (keyed, so a second call adds nothing).
    Locks the customer, then the redemption, as the order paths do. Returns whether this
    call did it."""
    customer_id = Redemption.objects.filter(pk=redemption_id).values_list("customer_id", flat=True).first()
    if customer_id is None:
        return False
    with transaction.atomic():
        customer = customer_lock(Customer.objects.all(), pk=customer_id)
        redemption = Redemption.objects.select_for_update(of=("self",)).select_related("shop").get(pk=redemption_id)
        if state == Redemption.State.RETURNED:
            if redemption.state != Redemption.State.WAITING or (
                claimed_at is not None and redemption.code_tried_at != claimed_at
            ):
                return False
        elif redemption.state != Redemption.State.SENT:
            return False
        now = timezone.now()
        Redemption.objects.filter(pk=redemption.pk).update(state=state, reason=reason[:255], returned_at=now)
        PointEntry.objects.bulk_create(
            [
                PointEntry(
                    shop_id=redemption.shop_id,
                    customer_id=customer.pk,
                    kind=PointEntry.Kind.RETURN,
                    points=redemption.points,
                    source=PointEntry.Source.REWARD,
                    source_id=str(redemption.pk),
                    key="return",
                    reason=_("Returned: %(reward)s (%(why)s)") % {"reward": redemption.name, "why": reason},
                    created_at=now,
                )
            ],
            ignore_conflicts=True,
        )
        customers_refresh_points(customer_ids=[customer.pk])
        # The overview counts a redemption's points as spent on its day, unless they came back.
        days_changed(shop=redemption.shop, moments=[redemption.created_at])
        activity_record(
            shop=redemption.shop,
            actor=None,
            kind=ActivityKind.REWARD_RETURNED,
            target=customer,
            target_label=f"{customer.name} ({customer.phone})",
            summary=_("%(points)d points of %(reward)s returned: %(why)s")
            % {"points": redemption.points, "reward": redemption.name, "why": reason},
            before={"points": customer.points_balance},
            after={"points": customer.points_balance + redemption.points},
        )
    return True
