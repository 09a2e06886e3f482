"""The point ledger: what orders earn, what refunds take back, and the cached balances.

An order's points follow its state: (paid − refunded) ÷ đồng per point, rounded as the shop
says, for a member who had joined when the order was placed; nothing for a cancelled
order. Each time an order changes, the difference between that target and the order's ledger
lines is posted as one line keyed by the order's version, so the same version processed
twice (or by two workers at once) adds nothing: the unique constraint refuses the repeat.

When a refund takes back points the member has already spent, the balance goes below zero
and stays visible as such; later earnings pay it back first. Nothing is taken silently and
nothing is forgiven silently.
"""

import datetime
from collections.abc import Iterable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import insert_rows
from core.formatting import format_vnd
from loyalty.models import EarningSettings, PointEntry
from loyalty.tiers import tiers_create_defaults
from members.locks import customer_lock, customers_lock
from members.models import Customer, Order
from shops.activity import activity_record, audited_update
from shops.models import ActivityKind, Shop, User
from shops.services import shop_create


def earning_settings_read(shop: Shop) -> EarningSettings:
    """The shop's earning settings: the saved ones, or the defaults (unsaved)."""
    return EarningSettings.objects.filter(shop=shop).first() or EarningSettings(shop=shop)


def shop_open(*, name: str, owner_username: str, owner_password: str, time_zone: str = "") -> Shop:
    """A new shop, its first owner, and what its pages read from the first day (the
    earning settings, the guide's tiers): the one way the set-up commands make a shop."""
    with transaction.atomic():
        shop = shop_create(name=name, owner_username=owner_username, owner_password=owner_password, time_zone=time_zone)
        loyalty_defaults_create(shop=shop)
    return shop


def loyalty_defaults_create(*, shop: Shop) -> None:
    """What a new shop starts with, written when the shop is made (pages only read): the
    earning settings, the guide's four tiers (a member is placed in the lowest from the day
    they join) and how tiers are measured."""
    EarningSettings.objects.get_or_create(shop=shop)
    tiers_create_defaults(shop=shop)


def points_for_amount(amount: int, settings: EarningSettings, multiplier: Decimal = Decimal(1)) -> int:
    """Points for a paid amount: amount × the tier's multiplier ÷ đồng per point, rounded once."""
    if amount <= 0 or not settings.dong_per_point:
        return 0
    rounding = ROUND_HALF_UP if settings.rounding == EarningSettings.Rounding.NEAREST else ROUND_DOWN
    return int((Decimal(amount) * multiplier / settings.dong_per_point).quantize(Decimal(1), rounding=rounding))


def order_points_target(order: Order, customer: Customer, settings: EarningSettings) -> int:
    """What the order should have earned, given its state now."""
    if customer.member_since is None or order.created_at < customer.member_since:
        return 0  # only members earn, and only on orders placed since they joined
    if not order.is_live:
        return 0
    multiplier = customer.tier.multiplier if customer.tier is not None else Decimal(1)
    return points_for_amount(order.paid_amount - order.refunded_amount, settings, multiplier)


def orders_points_sync(*, shop: Shop, order_ids: Iterable[int]) -> None:
    """Post each order's difference to the ledger and refresh the balances. Call inside the
    transaction that changed the orders, with their customers locked."""
    order_ids = list(order_ids)
    if not order_ids:
        return
    settings = earning_settings_read(shop)
    orders = list(
        Order.objects.filter(pk__in=order_ids, customer__isnull=False)
        .select_related("customer", "customer__tier")
        .only(*_POINTS_ORDER_FIELDS)
    )
    if not orders:
        return
    posted = dict(
        PointEntry.objects.filter(shop=shop, source=PointEntry.Source.ORDER, source_id__in=[str(o.pk) for o in orders])
        .values("source_id")
        .annotate(total=Sum("points"))
        .values_list("source_id", "total")
    )
    lines = []
    now = timezone.now()
    for order in orders:
        if order.customer is None:
            continue  # (the query asks for orders with a customer)
        delta = order_points_target(order, order.customer, settings) - (posted.get(str(order.pk)) or 0)
        if not delta:
            continue
        version = (order.source_updated_at or order.updated_at).isoformat()
        earned = delta > 0
        expires = expiry_for(settings, order.paid_at or order.created_at, shop) if earned else None
        lines.append(
            (
                shop.pk,
                order.customer_id,
                PointEntry.Kind.EARN if earned else PointEntry.Kind.REVERSE,
                delta,
                PointEntry.Source.ORDER,
                str(order.pk),
                version,
                (_("Order %(number)s") if earned else _("Refund or cancellation of order %(number)s"))
                % {"number": order.number},
                now,
                expires,
            )
        )
    # The same version of an order twice (a repeat, or two workers at once) meets the
    # ledger's unique constraint and adds nothing.
    insert_rows(PointEntry, _LEDGER_FIELDS, lines, conflict=_LEDGER_ONCE)
    customers_refresh_points(customer_ids={order.customer_id for order in orders if order.customer_id is not None})


# What orders_points_sync reads of an order, its customer and their tier.
_POINTS_ORDER_FIELDS = (
    "number", "customer", "created_at", "paid_at", "cancelled_at", "financial_status", "paid_amount",
    "refunded_amount", "source_updated_at", "updated_at", "customer__member_since", "customer__tier",
    "customer__tier__multiplier",
)  # fmt: skip
_LEDGER_FIELDS = (
    "shop", "customer", "kind", "points", "source", "source_id", "key", "reason", "created_at", "expires_at",
)  # fmt: skip
_LEDGER_ONCE = ("shop", "source", "source_id", "kind", "key")  # the point_entry_once constraint


def members_welcome_points(*, shop: Shop, customer_ids: Iterable[int]) -> None:
    """The shop's points for becoming a member, once per customer (keyed "signup")."""
    settings = earning_settings_read(shop)
    ids = list(customer_ids)
    if not settings.signup_points or not ids:
        return
    PointEntry.objects.bulk_create(
        [
            PointEntry(
                shop=shop,
                customer_id=customer_id,
                kind=PointEntry.Kind.SIGNUP,
                points=settings.signup_points,
                source=PointEntry.Source.SYSTEM,
                source_id=str(customer_id),
                key="signup",
                reason=_("Welcome points for becoming a member"),
                expires_at=expiry_for(settings, timezone.now(), shop),
            )
            for customer_id in ids
        ],
        ignore_conflicts=True,
    )
    customers_refresh_points(customer_ids=ids)


def birthday_points_grant(*, shop: Shop, points: int, year: int, customer_ids: Iterable[int]) -> None:
    """A birthday automation's gift: ``points`` to each customer, once per customer and year
    (keyed "birthday:<year>"), whatever runs again. The customers are locked meanwhile."""
    ids = sorted(set(customer_ids))
    if points <= 0 or not ids:
        return
    settings = earning_settings_read(shop)
    now = timezone.now()
    with transaction.atomic():
        list(customers_lock(Customer.objects.for_shop(shop).filter(pk__in=ids)).values_list("pk", flat=True))
        PointEntry.objects.bulk_create(
            [
                PointEntry(
                    shop=shop,
                    customer_id=customer_id,
                    kind=PointEntry.Kind.BIRTHDAY,
                    points=points,
                    source=PointEntry.Source.SYSTEM,
                    source_id=str(customer_id),
                    key=f"birthday:{year}",
                    reason=_("Birthday points %(year)d") % {"year": year},
                    created_at=now,
                    expires_at=expiry_for(settings, now, shop),
                )
                for customer_id in ids
            ],
            ignore_conflicts=True,
            batch_size=2_000,
        )
        customers_refresh_points(customer_ids=ids)


def opening_points_grant(*, shop: Shop, balances: Iterable) -> None:
    """Points for imported opening revenue, if the shop's settings say so: once per phone
    (the ledger's key), at the base rate (it was spent before the member had a tier).
    Call in the import's transaction, with the customers locked."""
    settings = earning_settings_read(shop)
    if not settings.opening_revenue_earns:
        return
    now = timezone.now()
    expires_at = expiry_for(settings, now, shop)
    lines = [
        PointEntry(
            shop=shop,
            customer_id=balance.customer_id,
            kind=PointEntry.Kind.OPENING,
            points=points_for_amount(balance.amount, settings),
            source=PointEntry.Source.IMPORT,
            source_id=balance.phone,
            key="opening",
            reason=_("Opening revenue %(amount)s") % {"amount": format_vnd(balance.amount)},
            created_at=now,
            expires_at=expires_at,
        )
        for balance in balances
    ]
    lines = [line for line in lines if line.points > 0]
    PointEntry.objects.bulk_create(lines, ignore_conflicts=True, batch_size=2_000)
    customers_refresh_points(customer_ids=[line.customer_id for line in lines])


def customers_refresh_points(*, customer_ids: Iterable[int]) -> None:
    """Set the cached balances to the ledger's sums, in one statement."""
    ids = list(customer_ids)
    if not ids:
        return
    total = (
        PointEntry.objects.filter(customer_id=OuterRef("pk"))
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    Customer.objects.filter(pk__any=set(ids)).update(points_balance=Coalesce(Subquery(total), 0))


def points_balance_mismatches(*, shop: Shop | None = None) -> list[tuple[int, int, int]]:
    """Customers whose cached balance differs from their ledger: (id, cached, ledger)."""
    total = (
        PointEntry.objects.filter(customer_id=OuterRef("pk"))
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    customers = Customer.objects.all() if shop is None else Customer.objects.for_shop(shop)
    rows = customers.annotate(ledger=Coalesce(Subquery(total), 0)).values_list("pk", "points_balance", "ledger")
    return [row for row in rows.iterator(chunk_size=10_000) if row[1] != row[2]]


def earning_settings_update(
    *,
    shop: Shop,
    actor: User,
    ip: str | None,
    dong_per_point: int,
    rounding: str,
    opening_revenue_earns: bool,
    signup_points: int,
    expiry: str,
    expiry_months: int,
) -> bool:
    """Save the earning settings; the change and its before/after go to the activity log.
    New settings apply to orders processed from now on; past lines stay as they were."""
    with transaction.atomic():
        settings, _created = EarningSettings.objects.get_or_create(shop=shop)
        changed = audited_update(
            instance=settings,
            values={
                "dong_per_point": dong_per_point,
                "rounding": rounding,
                "opening_revenue_earns": opening_revenue_earns,
                "signup_points": signup_points,
                "expiry": expiry,
                "expiry_months": expiry_months,
            },
            shop=shop,
            actor=actor,
            kind=ActivityKind.LOYALTY_SETTINGS_CHANGED,
            summary=_("Earning settings changed: %(fields)s."),
            target_label=_("Earning settings"),
            also=lambda _settings, _fields: ["updated_at"],
            ip=ip,
        )
    return bool(changed)


class AdjustmentError(ValueError):
    pass


def points_adjust(
    *, shop: Shop, actor: User, customer_id: int, points: int, reason: str, request_key: str, ip: str | None
) -> bool:
    """Staff add or take points, with a reason. ``request_key`` comes with the form, so the
    same form sent twice adjusts once (the ledger's unique constraint). A deduction may not
    take the balance below zero. Returns whether a line was written."""
    if not points:
        raise AdjustmentError(_("Enter a number of points other than 0."))
    if not reason.strip():
        raise AdjustmentError(_("Say why the points change: the reason is kept in the history."))
    with transaction.atomic():
        customer = customer_lock(Customer.objects.for_shop(shop), pk=customer_id)
        if customer.points_balance + points < 0:
            raise AdjustmentError(
                _("%(name)s has %(balance)d points; taking %(points)d would leave fewer than zero.")
                % {"name": customer.name or customer.phone, "balance": customer.points_balance, "points": -points}
            )
        try:
            with transaction.atomic():
                PointEntry.objects.create(
                    shop=shop,
                    customer=customer,
                    kind=PointEntry.Kind.ADJUST,
                    points=points,
                    source=PointEntry.Source.STAFF,
                    source_id=str(customer.pk),
                    key=request_key[:64],
                    reason=reason.strip()[:255],
                    actor=actor,
                    expires_at=expiry_for(earning_settings_read(shop), timezone.now(), shop) if points > 0 else None,
                )
        except IntegrityError:
            return False  # the same form, sent again
        before = customer.points_balance
        customers_refresh_points(customer_ids=[customer.pk])
        customer.refresh_from_db(fields=["points_balance"])
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.POINTS_ADJUSTED,
            target=customer,
            target_label=f"{customer.name} ({customer.phone})",
            summary=_("%(points)+d points for %(name)s: %(reason)s")
            % {"points": points, "name": customer.name or customer.phone, "reason": reason.strip()},
            before={"points": before},
            after={"points": customer.points_balance},
            ip=ip,
        )
    return True


# Expiry ------------------------------------------------------------------------------------

# What spends points, oldest first: every line that takes points except lapsing itself; a
# redemption's points given back (the code failed or lapsed unused) undo its spending.
SPENT = (Q(points__lt=0) & ~Q(kind=PointEntry.Kind.EXPIRE)) | Q(kind=PointEntry.Kind.RETURN)


def expiry_for(settings: EarningSettings, earned_at: datetime.datetime, shop: Shop) -> datetime.datetime | None:
    """When points earned at ``earned_at`` lapse, by the shop's rule, at local midnight."""
    if settings.expiry == EarningSettings.Expiry.NEVER:
        return None
    local = timezone.localtime(earned_at, shop.tzinfo).date()
    if settings.expiry == EarningSettings.Expiry.MONTHS:
        day = local + relativedelta(months=settings.expiry_months)
    else:
        day = datetime.date(local.year + 1, 1, 1)
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=shop.tzinfo)


def points_lapsing(*, shop: Shop, customer_ids: Iterable[int], at: datetime.datetime) -> dict[int, int]:
    """How many of each customer's points will have lapsed by ``at`` if nothing changes, by
    ``points_expire``'s rule (what comes due, less what was spent and what already lapsed,
    at most the balance); customers with none are left out."""
    rows = (
        PointEntry.objects.filter(shop=shop, customer_id__in=list(customer_ids))
        .values("customer_id")
        .annotate(
            due=Coalesce(Sum("points", filter=Q(points__gt=0, expires_at__lte=at)), 0),
            used=Coalesce(Sum("points", filter=SPENT), 0),
            lapsed=Coalesce(Sum("points", filter=Q(kind=PointEntry.Kind.EXPIRE)), 0),
            balance=Sum("points"),
        )
        .order_by()
    )
    lapsing = {}
    for row in rows:
        amount = min(row["due"] + row["used"] + row["lapsed"], row["balance"])
        if amount > 0:
            lapsing[row["customer_id"]] = amount
    return lapsing


def points_expire(*, shop: Shop, now: datetime.datetime | None = None) -> int:
    """Take away the points whose time has come, oldest first: what has come due, less what
    was spent or taken back (spending uses the oldest points) and what already lapsed. One
    line per customer per local day (the key), so running twice in a day changes nothing.
    Returns how many customers lost points."""
    now = now or timezone.now()
    day = timezone.localdate(now, shop.tzinfo).isoformat()
    rows = (
        PointEntry.objects.filter(shop=shop)
        .values("customer_id")
        .annotate(
            due=Coalesce(Sum("points", filter=Q(points__gt=0, expires_at__lte=now)), 0),
            used=Coalesce(Sum("points", filter=SPENT), 0),
            lapsed=Coalesce(Sum("points", filter=Q(kind=PointEntry.Kind.EXPIRE)), 0),
            balance=Sum("points"),
        )
        .filter(due__gt=0)
    )
    lines = []
    for row in rows.iterator(chunk_size=10_000):
        amount = min(row["due"] + row["used"] + row["lapsed"], row["balance"])
        if amount > 0:
            lines.append(
                PointEntry(
                    shop=shop,
                    customer_id=row["customer_id"],
                    kind=PointEntry.Kind.EXPIRE,
                    points=-amount,
                    source=PointEntry.Source.SYSTEM,
                    source_id=str(row["customer_id"]),
                    key=day,
                    reason=_("Points expired"),
                )
            )
    with transaction.atomic():
        PointEntry.objects.bulk_create(lines, ignore_conflicts=True, batch_size=5_000)
        customers_refresh_points(customer_ids=[line.customer_id for line in lines])
    return len(lines)


def points_expire_all() -> None:
    """Beat's hourly call: every shop with an expiry rule, once per local day (the key)."""
    for settings in EarningSettings.objects.exclude(expiry=EarningSettings.Expiry.NEVER).select_related("shop"):
        points_expire(shop=settings.shop)
