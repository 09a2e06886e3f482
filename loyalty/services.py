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
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext as _

from core.formatting import format_vnd
from loyalty.models import EarningSettings, PointEntry, Tier, TierChange, TierRecalculation
from members.models import Customer, Order
from shops.models import ActivityKind, Shop, User
from shops.services import activity_record, changed_values


def earning_settings_for(shop: Shop) -> EarningSettings:
    settings, _created = EarningSettings.objects.get_or_create(shop=shop)
    return settings


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
    if order.cancelled_at is not None or order.financial_status == Order.FinancialStatus.VOIDED:
        return 0
    multiplier = customer.tier.multiplier if customer.tier_id else Decimal(1)
    return points_for_amount(order.paid_amount - order.refunded_amount, settings, multiplier)


def orders_points_sync(*, shop: Shop, order_ids: Iterable[int]) -> None:
    """Post each order's difference to the ledger and refresh the balances. Call inside the
    transaction that changed the orders, with their customers locked."""
    order_ids = list(order_ids)
    if not order_ids:
        return
    settings = earning_settings_for(shop)
    orders = list(
        Order.objects.filter(pk__in=order_ids, customer__isnull=False).select_related("customer", "customer__tier")
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
    for order in orders:
        delta = order_points_target(order, order.customer, settings) - (posted.get(str(order.pk)) or 0)
        if not delta:
            continue
        version = (order.source_updated_at or order.updated_at).isoformat()
        earned = delta > 0
        expires = expiry_for(settings, order.paid_at or order.created_at, shop) if earned else None
        lines.append(
            PointEntry(
                shop=shop,
                customer_id=order.customer_id,
                kind=PointEntry.Kind.EARN if earned else PointEntry.Kind.REVERSE,
                points=delta,
                source=PointEntry.Source.ORDER,
                source_id=str(order.pk),
                key=version,
                reason=(_("Order %(number)s") if earned else _("Refund or cancellation of order %(number)s"))
                % {"number": order.number},
                expires_at=expires,
            )
        )
    PointEntry.objects.bulk_create(lines, ignore_conflicts=True)
    customers_refresh_points(customer_ids={order.customer_id for order in orders})


def members_welcome_points(*, shop: Shop, customer_ids: Iterable[int]) -> None:
    """The shop's points for becoming a member, once per customer (keyed "signup")."""
    settings = earning_settings_for(shop)
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


def opening_points_grant(*, shop: Shop, balances: Iterable) -> None:
    """Points for imported opening revenue, if the shop's settings say so: once per phone
    (the ledger's key), at the base rate (it was spent before the member had a tier).
    Call in the import's transaction, with the customers locked."""
    settings = earning_settings_for(shop)
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
    Customer.objects.filter(pk__in=ids).update(points_balance=Coalesce(Subquery(total), 0))


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


def earning_settings_update(*, shop: Shop, actor: User, ip: str | None, **values) -> bool:
    """Save the earning settings; the change and its before/after go to the activity log.
    New settings apply to orders processed from now on; past lines stay as they were."""
    with transaction.atomic():
        settings = EarningSettings.objects.select_for_update().get(pk=earning_settings_for(shop).pk)
        before, after = changed_values({name: getattr(settings, name) for name in values}, values)
        if not after:
            return False
        for name, value in after.items():
            setattr(settings, name, value)
        settings.save()
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.LOYALTY_SETTINGS_CHANGED,
            target=settings,
            target_label=_("Earning settings"),
            summary=_("Earning settings changed: %(fields)s.") % {"fields": ", ".join(after)},
            before=before,
            after=after,
            ip=ip,
        )
    return True


# Tiers -------------------------------------------------------------------------------------

DEFAULT_TIERS = [("Thành viên", 0), ("Bạc", 5_000_000), ("Vàng", 20_000_000), ("Kim cương", 50_000_000)]


def tiers_for(shop: Shop) -> list[Tier]:
    """The shop's tiers from the lowest; the guide's four by default."""
    tiers = list(Tier.objects.for_shop(shop).order_by("threshold"))
    if not tiers:
        Tier.objects.bulk_create(
            [Tier(shop=shop, name=name, threshold=threshold) for name, threshold in DEFAULT_TIERS],
            ignore_conflicts=True,
        )
        tiers = list(Tier.objects.for_shop(shop).order_by("threshold"))
    return tiers


def ranking_spend(customer: Customer) -> int:
    """What tiers are measured on: opening revenue plus paid orders minus refunds."""
    return customer.opening_revenue + customer.total_spent


TIER_REFRESH_CHUNK = 5_000


def customers_refresh_tiers(*, shop: Shop, customer_ids: Iterable[int], reason: str) -> None:
    """Move members up as soon as their ranking spend reaches a higher tier, and give new
    members their first tier; each move is a TierChange. Never down: lowering a tier is the
    yearly review's decision, not an order's. Set-based: per chunk of customers one
    INSERT … SELECT writes the moves and one UPDATE makes them. Call with the customers
    locked (or in the transaction that changed their spend)."""
    ids = list(customer_ids)
    if not ids:
        return
    target, target_params, target_rank, target_rank_params, current_rank, current_rank_params = _rank_sql(
        tiers_for(shop)
    )
    customers = Customer._meta.db_table
    changes = TierChange._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        for start in range(0, len(ids), TIER_REFRESH_CHUNK):
            chunk = ids[start : start + TIER_REFRESH_CHUNK]
            moving = (
                f"id IN ({', '.join(['%s'] * len(chunk))}) AND member_since IS NOT NULL "
                f"AND (tier_id IS NULL OR {target_rank} > {current_rank})"
            )
            moving_params = [*chunk, *target_rank_params, *current_rank_params]
            cursor.execute(
                f"INSERT INTO {changes} (shop_id, customer_id, from_tier_id, to_tier_id, reason, created_at) "
                f"SELECT shop_id, id, tier_id, {target}, %s, %s FROM {customers} WHERE {moving}",
                [*target_params, reason, now, *moving_params],
            )
            cursor.execute(f"UPDATE {customers} SET tier_id = {target} WHERE {moving}", target_params + moving_params)


def _rank_sql(tiers: list[Tier]) -> tuple[str, list, str, list, str, list]:
    """SQL (with its parameters) for a customer's target tier id by ranking spend, that
    tier's rank (0 = lowest), and the rank of the tier they are in (-1 for none)."""
    spend = "(opening_revenue + total_spent)"
    ordered = list(reversed(tiers))
    rank = {tier.pk: index for index, tier in enumerate(tiers)}
    target = "CASE " + " ".join(f"WHEN {spend} >= %s THEN %s" for _tier in ordered) + " ELSE %s END"
    target_params = [value for tier in ordered for value in (tier.threshold, tier.pk)] + [tiers[0].pk]
    target_rank = "CASE " + " ".join(f"WHEN {spend} >= %s THEN %s" for _tier in ordered) + " ELSE 0 END"
    target_rank_params = [value for tier in ordered for value in (tier.threshold, rank[tier.pk])]
    current_rank = "CASE " + " ".join("WHEN tier_id = %s THEN %s" for _tier in tiers) + " ELSE -1 END"
    current_rank_params = [value for tier in tiers for value in (tier.pk, rank[tier.pk])]
    return target, target_params, target_rank, target_rank_params, current_rank, current_rank_params


def tier_progress(customer: Customer) -> dict:
    """The member's tier, the next one, and how much more spend reaches it."""
    tiers = tiers_for(customer.shop)
    spend = ranking_spend(customer)
    current = next((tier for tier in tiers if tier.pk == customer.tier_id), None)
    higher = [tier for tier in tiers if current is None or tier.threshold > current.threshold]
    following = higher[0] if higher and current is not None else None
    percent = 100
    if following is not None:
        span = following.threshold - current.threshold
        percent = max(0, min(100, int((spend - current.threshold) * 100 / span))) if span else 100
    return {
        "tier": current,
        "next": following,
        "spend": spend,
        "missing": max(0, following.threshold - spend) if following else 0,
        "percent": percent,
    }


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
        customer = Customer.objects.for_shop(shop).select_for_update().get(pk=customer_id)
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
                    expires_at=expiry_for(earning_settings_for(shop), timezone.now(), shop) if points > 0 else None,
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


# Tier settings and recalculation -------------------------------------------------------------

RECALCULATION_BATCH = 20_000


@dataclass(frozen=True)
class TierRow:
    pk: int | None
    name: str
    threshold: int
    multiplier: Decimal


def _target_rank(rows: list[TierRow]) -> Case:
    """Each member's rank (0 = lowest) in ``rows`` by ranking spend, as one SQL expression."""
    spend = F("opening_revenue") + F("total_spent")
    whens = [
        When(GreaterThanOrEqual(spend, row.threshold), then=Value(rank))
        for rank, row in reversed(list(enumerate(rows)))
    ]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def _current_rank(rows: list[TierRow]) -> Case:
    ranks = {row.pk: rank for rank, row in enumerate(rows) if row.pk}
    return Case(
        *[When(tier_id=pk, then=Value(rank)) for pk, rank in ranks.items()],
        default=Value(-1),
        output_field=IntegerField(),
    )


def tiers_preview(*, shop: Shop, rows: list[TierRow]) -> dict[str, int]:
    """How many members the proposed tiers would move up and down, before anything is saved."""
    members = Customer.objects.for_shop(shop).filter(member_since__isnull=False)
    counted = members.annotate(target=_target_rank(rows), current=_current_rank(rows)).aggregate(
        up=Count("pk", filter=Q(target__gt=F("current"))),
        down=Count("pk", filter=Q(target__lt=F("current"))),
        members=Count("pk"),
    )
    return {"up": counted["up"], "down": counted["down"], "members": counted["members"]}


def tiers_save(*, shop: Shop, actor: User, ip: str | None, rows: list[TierRow]) -> "TierRecalculation":
    """Save the tiers (existing ones by id, new ones added), log before and after, and start
    placing every member again in the background."""
    from loyalty.tasks import recalculate_tiers

    with transaction.atomic():
        existing = {tier.pk: tier for tier in Tier.objects.for_shop(shop).select_for_update()}
        before = [
            {"name": t.name, "threshold": t.threshold, "multiplier": str(t.multiplier)} for t in existing.values()
        ]
        # Thresholds are unique per shop: park the edited ones out of the way first.
        Tier.objects.filter(pk__in=[row.pk for row in rows if row.pk in existing]).update(threshold=-F("id") - 1)
        for row in rows:
            tier = existing.get(row.pk) or Tier(shop=shop)
            tier.name, tier.threshold, tier.multiplier = row.name, row.threshold, row.multiplier
            tier.save()
        after = [{"name": r.name, "threshold": r.threshold, "multiplier": str(r.multiplier)} for r in rows]
        job = TierRecalculation.objects.create(
            shop=shop,
            requested_by=actor,
            total=Customer.objects.for_shop(shop).filter(member_since__isnull=False).count(),
        )
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.LOYALTY_SETTINGS_CHANGED,
            target=job,
            target_label=_("Tiers"),
            summary=_("Tiers changed; every member is being placed again."),
            before={"tiers": before},
            after={"tiers": after},
            ip=ip,
        )
        transaction.on_commit(lambda: recalculate_tiers.delay(job.pk))
    return job


def _tier_sql(tiers: list[Tier]) -> tuple[str, list, str, list]:
    """SQL for each member's target tier id, and for counting the moves up and down."""
    target, target_params, target_rank, target_rank_params, current_rank, current_rank_params = _rank_sql(tiers)
    rank_sql = f"SUM(CASE WHEN {target_rank} > {current_rank} THEN 1 ELSE 0 END), "
    rank_sql += f"SUM(CASE WHEN {target_rank} < {current_rank} THEN 1 ELSE 0 END)"
    one_comparison = target_rank_params + current_rank_params
    return target, target_params, rank_sql, one_comparison * 2  # up, then down


def tier_recalculation_run(*, job_id: int) -> None:
    """Place members batch by batch, in the database: per batch one INSERT … SELECT writes
    the TierChange lines and one UPDATE moves everyone whose tier differs from what their
    spend reaches. The cursor commits with each batch, so a repeated or resumed job goes on
    where it stopped."""
    claimed = TierRecalculation.objects.filter(
        pk=job_id, status__in=[TierRecalculation.Status.PENDING, TierRecalculation.Status.RUNNING]
    ).update(status=TierRecalculation.Status.RUNNING)
    if not claimed:
        return
    job = TierRecalculation.objects.select_related("shop").get(pk=job_id)
    target, target_params, rank_sql, rank_params = _tier_sql(tiers_for(job.shop))
    customers = Customer._meta.db_table
    changes = TierChange._meta.db_table
    members = Customer.objects.for_shop(job.shop).filter(member_since__isnull=False).order_by("pk")
    reason = _("Tier settings changed")
    while True:
        bounds = list(members.filter(pk__gt=job.cursor).values_list("pk", flat=True)[RECALCULATION_BATCH - 1 :][:1])
        upper = bounds[0] if bounds else None
        where = "shop_id = %s AND member_since IS NOT NULL AND id > %s"
        where_params: list = [job.shop_id, job.cursor]
        if upper is not None:
            where += " AND id <= %s"
            where_params.append(upper)
        moving = f"{where} AND (tier_id IS NULL OR tier_id <> {target})"
        moving_params = where_params + target_params
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*), MAX(id) FROM {customers} WHERE {where}", where_params)
            placed, last_id = cursor.fetchone()
            if not placed:
                break
            cursor.execute(f"SELECT {rank_sql} FROM {customers} WHERE {moving}", rank_params + moving_params)
            up, down = (value or 0 for value in cursor.fetchone())
            cursor.execute(
                f"INSERT INTO {changes} (shop_id, customer_id, from_tier_id, to_tier_id, reason, created_at) "
                f"SELECT shop_id, id, tier_id, {target}, %s, %s FROM {customers} WHERE {moving}",
                [*target_params, reason, connection.ops.adapt_datetimefield_value(timezone.now()), *moving_params],
            )
            cursor.execute(f"UPDATE {customers} SET tier_id = {target} WHERE {moving}", target_params + moving_params)
            job.cursor = last_id
            TierRecalculation.objects.filter(pk=job_id).update(
                cursor=last_id, done=F("done") + placed, moved_up=F("moved_up") + up, moved_down=F("moved_down") + down
            )
        if upper is None:
            break
    TierRecalculation.objects.filter(pk=job_id).update(status=TierRecalculation.Status.DONE, finished_at=timezone.now())


# Expiry ------------------------------------------------------------------------------------


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
            used=Coalesce(Sum("points", filter=Q(points__lt=0) & ~Q(kind=PointEntry.Kind.EXPIRE)), 0),
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
