"""Tiers (Cấu hình thăng hạng): placing members by ranking spend, the tier settings and
their preview, the background recalculation, and the yearly review.

Placement is SQL (``_Placement``): each member's spend is computed once, one INSERT …
SELECT … RETURNING writes the TierChange lines and one UPDATE moves exactly those members.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import array_literal, insert_rows, update_rows
from loyalty.models import OpeningBalance, Tier, TierChange, TierRecalculation, TierSettings
from members.models import Customer, Order, live_orders_sql
from shops.activity import activity_record, changed_values
from shops.models import ActivityKind, Shop, User

# Tiers -------------------------------------------------------------------------------------

DEFAULT_TIERS = [("Thành viên", 0), ("Bạc", 5_000_000), ("Vàng", 20_000_000), ("Kim cương", 50_000_000)]


def tiers_for(shop: Shop) -> list[Tier]:
    """The shop's tiers in use, from the lowest; the guide's four by default."""
    active = Tier.objects.for_shop(shop).filter(removed_at__isnull=True).order_by("threshold")
    tiers = list(active)
    if not tiers:
        Tier.objects.bulk_create(
            [Tier(shop=shop, name=name, threshold=threshold) for name, threshold in DEFAULT_TIERS],
            ignore_conflicts=True,
        )
        tiers = list(active.all())
    return tiers


def tier_settings_for(shop: Shop) -> TierSettings:
    settings, _created = TierSettings.objects.get_or_create(shop=shop)
    return settings


def ranking_since(shop: Shop, basis: str, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """Where the ranking window starts: None for lifetime; for the last 12 months, local
    midnight of the same day a year ago."""
    if basis != TierSettings.Basis.LAST_12_MONTHS:
        return None
    today = timezone.localdate(now or timezone.now(), shop.tzinfo)
    return datetime.datetime.combine(today - relativedelta(months=12), datetime.time.min, tzinfo=shop.tzinfo)


def ranking_spend(customer: Customer, since: datetime.datetime | None = None) -> int:
    """What tiers are measured on: opening revenue plus paid orders minus refunds; with a
    window, only orders placed in it and opening revenue imported in it."""
    if since is None:
        return customer.opening_revenue + customer.total_spent
    orders = Order.objects.live().filter(customer=customer, created_at__gte=since)
    opening = OpeningBalance.objects.filter(customer=customer, created_at__gte=since)
    spent = orders.aggregate(total=Coalesce(Sum(F("paid_amount") - F("refunded_amount")), 0))["total"]
    return spent + opening.aggregate(total=Coalesce(Sum("amount"), 0))["total"]


TIER_REFRESH_CHUNK = 5_000
RECALCULATION_BATCH = 20_000


@dataclass(frozen=True)
class TierRow:
    pk: int | None
    name: str
    threshold: int
    multiplier: Decimal


class _Placement:
    """Placing customers in tiers, in SQL: for the customers a WHERE clause picks, the tier
    their ranking spend reaches and whether that is up or down from where they are.

    Ranks compare tiers by threshold: the tiers in use get 0, 2, 4…; a removed tier sits
    between its neighbours (an odd rank), or level with a tier in use at the same threshold,
    so that leaving it counts as up or down by where it stood."""

    def __init__(self, *, shop: Shop, tiers, basis: str, now: datetime.datetime | None = None):
        self.tiers = sorted(tiers, key=lambda tier: tier.threshold)
        self.ranks = {tier.pk: 2 * index for index, tier in enumerate(self.tiers) if tier.pk}
        thresholds = [tier.threshold for tier in self.tiers]
        in_use = set(self.ranks)
        for pk, threshold in Tier.objects.for_shop(shop).values_list("pk", "threshold"):
            if pk not in in_use:
                below = sum(1 for value in thresholds if value < threshold)
                self.ranks[pk] = 2 * below if threshold in thresholds else 2 * below - 1
        self.since = ranking_since(shop, basis, now)

    def select(self, where: str, where_params: list) -> tuple[str, list]:
        """SELECT id, shop_id, current_id, target_id, target_rank, current_rank of the
        customers matching ``where`` (written on the customers table, aliased ``c``)."""
        ordered = list(reversed(list(enumerate(self.tiers))))  # highest first
        target = "CASE " + " ".join("WHEN spend >= %s THEN %s" for _tier in ordered) + " ELSE %s END"
        target_params = [value for _i, tier in ordered for value in (tier.threshold, tier.pk)] + [self.tiers[0].pk]
        target_rank = "CASE " + " ".join("WHEN spend >= %s THEN %s" for _tier in ordered) + " ELSE 0 END"
        target_rank_params = [value for index, tier in ordered for value in (tier.threshold, 2 * index)]
        ranks = [(pk, rank) for pk, rank in self.ranks.items()]
        current_rank = "CASE " + " ".join("WHEN tier_id = %s THEN %s" for _rank in ranks) + " ELSE -1 END"
        current_rank_params = [value for pair in ranks for value in pair]
        spend, spend_params = self._spend()
        sql = (
            f"SELECT id, shop_id, tier_id AS current_id, {target} AS target_id, {target_rank} AS target_rank, "
            f"{current_rank} AS current_rank "
            f"FROM (SELECT c.id, c.shop_id, c.tier_id, {spend} AS spend FROM {Customer._meta.db_table} c "
            f"WHERE {where}) placed"
        )
        return sql, [*target_params, *target_rank_params, *current_rank_params, *spend_params, *where_params]

    def _spend(self) -> tuple[str, list]:
        if self.since is None:
            return "(c.opening_revenue + c.total_spent)", []
        since = connection.ops.adapt_datetimefield_value(self.since)
        live_sql, live_params = live_orders_sql("o")
        orders = (
            f"SELECT SUM(o.paid_amount - o.refunded_amount) FROM {Order._meta.db_table} o "
            f"WHERE o.customer_id = c.id AND o.created_at >= %s AND {live_sql}"
        )
        opening = (
            f"SELECT SUM(b.amount) FROM {OpeningBalance._meta.db_table} b "
            "WHERE b.customer_id = c.id AND b.created_at >= %s"
        )
        sql = f"(COALESCE(({orders}), 0) + COALESCE(({opening}), 0))"
        return sql, [since, *live_params, since]

    def move(self, cursor, *, where: str, where_params: list, upward_only: bool, reason: str) -> list[tuple]:
        """Move the customers matching ``where`` whose tier differs from what their spend
        reaches (only upward, or a first tier, if ``upward_only``): one INSERT … SELECT writes
        the TierChange lines and returns them, one UPDATE … FROM sets the tiers. Returns
        (customer id, from tier, to tier) for each move."""
        placed, params = self.select(where, where_params)
        moving = "target_rank > current_rank" if upward_only else "current_id <> target_id"
        cursor.execute(
            f"INSERT INTO {TierChange._meta.db_table} "
            "(shop_id, customer_id, from_tier_id, to_tier_id, reason, created_at) "
            f"SELECT shop_id, id, current_id, target_id, %s, %s FROM ({placed}) m "
            f"WHERE current_id IS NULL OR {moving} "
            "RETURNING customer_id, from_tier_id, to_tier_id",
            [reason, connection.ops.adapt_datetimefield_value(timezone.now()), *params],
        )
        moves = cursor.fetchall()
        update_rows(Customer, ["tier"], [(customer_id, to_id) for customer_id, _from, to_id in moves])
        return moves

    def upward(self, current_id: int | None, spend: int) -> int | None:
        """In Python, what ``move(upward_only=True)`` decides for one member: the tier their
        spend reaches if it is above where they are (or it is their first), else None."""
        reached = 0
        for index, tier in enumerate(self.tiers):
            if spend >= tier.threshold:
                reached = index
        if current_id is None or 2 * reached > self.ranks.get(current_id, -1):
            return self.tiers[reached].pk
        return None

    def spends(self, cursor, customer_ids: list[int]) -> dict[int, int]:
        """Each customer's ranking spend, in one query."""
        spend, spend_params = self._spend()
        chunk, chunk_params = _id_list(customer_ids)
        cursor.execute(
            f"SELECT c.id, {spend} FROM {Customer._meta.db_table} c WHERE {chunk}", [*spend_params, *chunk_params]
        )
        return dict(cursor.fetchall())

    def direction(self, from_id: int | None, to_id: int) -> int:
        """+1 for a move up (or a first tier), -1 for a move down, 0 for level."""
        before = -1 if from_id is None else self.ranks.get(from_id, -1)
        after = self.ranks[to_id]
        return (after > before) - (after < before)


def _id_list(ids: list[int]) -> tuple[str, list]:
    """``c.id IN (…)``, or ``= ANY(array)`` on PostgreSQL: one parameter however many ids."""
    if connection.vendor == "postgresql":
        return "c.id = ANY(%s::bigint[])", [array_literal(ids)]
    return f"c.id IN ({', '.join(['%s'] * len(ids))})", ids


def customers_refresh_tiers(*, shop: Shop, customer_ids: Iterable[int], reason: str) -> None:
    """Move members up as soon as their ranking spend reaches a higher tier, and give new
    members their first tier; each move is a TierChange. Never down: lowering a tier is the
    yearly review's decision, not an order's. Set-based, per chunk of customers. Call with
    the customers locked (or in the transaction that changed their spend)."""
    ids = list(customer_ids)
    if not ids:
        return
    placement = _Placement(shop=shop, tiers=tiers_for(shop), basis=tier_settings_for(shop).basis)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), TIER_REFRESH_CHUNK):
            chunk, chunk_params = _id_list(ids[start : start + TIER_REFRESH_CHUNK])
            placement.move(
                cursor,
                where=f"{chunk} AND c.member_since IS NOT NULL",
                where_params=chunk_params,
                upward_only=True,
                reason=reason,
            )


class UpwardPlacement:
    """For writers that set many members' tiers in their own statements (the opening
    import): where each member's new spend takes them, decided as ``customers_refresh_tiers``
    would, and the TierChange lines of those moves. Use with the customers locked."""

    def __init__(self, shop: Shop):
        self.shop = shop
        self.basis = tier_settings_for(shop).basis
        self.placement = _Placement(shop=shop, tiers=tiers_for(shop), basis=self.basis)

    def spends(self, customers: dict[int, int]) -> dict[int, int]:
        """The ranking spend of customers given as {id: lifetime spend}: that spend on the
        lifetime basis, else what the basis's window holds (one query)."""
        if self.basis == TierSettings.Basis.LIFETIME or not customers:
            return customers
        with connection.cursor() as cursor:
            return self.placement.spends(cursor, list(customers))

    def target(self, current_id: int | None, spend: int) -> int | None:
        """The tier to move to (a first tier, or a higher one), or None to stay."""
        return self.placement.upward(current_id, spend)

    def record(self, moves: list[tuple[int, int | None, int]], reason: str) -> None:
        """The TierChange lines of moves written by the caller: (customer, from, to)."""
        insert_rows(
            TierChange,
            ["customer", "from_tier", "to_tier"],
            moves,
            same={"shop": self.shop.pk, "reason": reason[:255], "created_at": timezone.now()},
        )


def tier_progress(customer: Customer) -> dict:
    """The member's tier, the next one, and how much more spend reaches it."""
    tiers = tiers_for(customer.shop)
    basis = tier_settings_for(customer.shop).basis
    spend = ranking_spend(customer, ranking_since(customer.shop, basis))
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
        "last_12_months": basis == TierSettings.Basis.LAST_12_MONTHS,
        "missing": max(0, following.threshold - spend) if following else 0,
        "percent": percent,
    }


# Tier settings and recalculation -------------------------------------------------------------


def tiers_preview(*, shop: Shop, rows: list[TierRow], basis: str) -> dict[str, int]:
    """How many members saving the proposed tiers (and basis) would move up and down,
    before anything is saved: what ``tiers_save`` then does. Members of a removed tier move
    to what their spend reaches. Tiers and basis as they are move nobody down (that is the
    yearly review's decision): members without a tier get their first, and members whose
    spend reached a higher tier move up."""
    upward_only = _unchanged(shop, rows, basis)
    placement = _Placement(shop=shop, tiers=rows, basis=basis)
    placed, params = placement.select("c.shop_id = %s AND c.member_since IS NOT NULL", [shop.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), SUM(CASE WHEN target_rank > current_rank THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN target_rank < current_rank THEN 1 ELSE 0 END) FROM ({placed}) m",
            params,
        )
        members, up, down = cursor.fetchone()
    return {"up": up or 0, "down": 0 if upward_only else down or 0, "members": members}


def _unchanged(shop: Shop, rows: list[TierRow], basis: str) -> bool:
    """Whether these tiers and this basis are the shop's as they stand."""
    current = Tier.objects.for_shop(shop).filter(removed_at__isnull=True).order_by("threshold")
    return basis == tier_settings_for(shop).basis and _tiers_described(current) == _tiers_described(rows)


def _tiers_described(tiers) -> list[dict]:
    return [
        {"name": t.name, "threshold": t.threshold, "multiplier": str(Decimal(t.multiplier).quantize(Decimal("0.01")))}
        for t in tiers
    ]


def tiers_save(
    *, shop: Shop, actor: User, ip: str | None, rows: list[TierRow], removed: Iterable[int] = (), policy: dict
) -> TierRecalculation | None:
    """Save the tiers (existing ones by id, new ones added, ``removed`` ones retired) and how
    they are measured, log before and after, and, if where members belong may have changed,
    start placing every member again in the background. Returns that job, if any."""
    from loyalty.tasks import recalculate_tiers

    with transaction.atomic():
        existing = {
            tier.pk: tier for tier in Tier.objects.for_shop(shop).filter(removed_at__isnull=True).select_for_update()
        }
        settings = TierSettings.objects.select_for_update().get(pk=tier_settings_for(shop).pk)
        removed = [pk for pk in removed if pk in existing]
        kept = [row for row in rows if row.pk not in removed]
        tiers_before = _tiers_described(sorted(existing.values(), key=lambda tier: tier.threshold))
        tiers_after = _tiers_described(kept)
        policy_before, policy_after = changed_values({name: getattr(settings, name) for name in policy}, policy)
        # The page's preview counts members whose tier is below what their spend reaches (one
        # without a tier yet): saving places them, as the preview said, even when no setting
        # changed; then only upward, as orders move members.
        tiers_changed = tiers_before != tiers_after or "basis" in policy_after
        upward_only = not tiers_changed and bool(tiers_preview(shop=shop, rows=kept, basis=settings.basis)["up"])
        if not tiers_changed and not upward_only and not policy_after:
            return None
        if removed:
            Tier.objects.filter(pk__in=removed).update(removed_at=timezone.now())
        # Thresholds are unique per shop: park the edited ones out of the way first.
        Tier.objects.filter(pk__in=[row.pk for row in kept if row.pk in existing]).update(threshold=-F("id") - 1)
        for row in kept:
            tier = existing.get(row.pk) or Tier(shop=shop)
            tier.name, tier.threshold, tier.multiplier = row.name, row.threshold, row.multiplier
            tier.save()
        if policy_after:
            if policy_after.get("downgrade") and not settings.downgrade:
                settings.reviews_since = timezone.localdate(timezone.now(), shop.tzinfo)
            for name, value in policy_after.items():
                setattr(settings, name, value)
            settings.save()
        job = None
        if tiers_changed or upward_only:
            job = TierRecalculation.objects.create(
                shop=shop,
                requested_by=actor,
                upward_only=upward_only,
                total=Customer.objects.for_shop(shop).filter(member_since__isnull=False).count(),
            )
            transaction.on_commit(lambda: recalculate_tiers.delay(job.pk))
        before, after = {}, {}
        if tiers_before != tiers_after:
            before["tiers"], after["tiers"] = tiers_before, tiers_after
        before.update(policy_before)
        after.update(policy_after)
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.LOYALTY_SETTINGS_CHANGED,
            target=job or settings,
            target_label=_("Tiers"),
            summary=(
                _("Tiers changed; every member is being placed again.")
                if tiers_changed
                else _("Members below the tier their spend reaches are being moved up.")
                if upward_only and not policy_after
                else _("Tier review changed; members below the tier their spend reaches are being moved up.")
                if upward_only
                else _("Tier review changed.")
            ),
            before=before,
            after=after,
            ip=ip,
        )
    return job


def tier_recalculation_run(*, job_id: int) -> None:
    """Place members batch by batch, in the database: per batch one INSERT … SELECT writes
    the TierChange lines of everyone whose tier differs from what their spend reaches, and
    one UPDATE moves them. The cursor commits with each batch, so a repeated or resumed job
    goes on where it stopped. A yearly review is the same run, under its own reason."""
    claimed = TierRecalculation.objects.filter(
        pk=job_id, status__in=[TierRecalculation.Status.PENDING, TierRecalculation.Status.RUNNING]
    ).update(status=TierRecalculation.Status.RUNNING)
    if not claimed:
        return
    job = TierRecalculation.objects.select_related("shop").get(pk=job_id)
    shop = job.shop
    placement = _Placement(shop=shop, tiers=tiers_for(shop), basis=tier_settings_for(shop).basis)
    reason = (
        _("Yearly tier review")
        if job.review_date
        else _("Spend reached the tier")
        if job.upward_only
        else _("Tier settings changed")
    )
    members = Customer.objects.for_shop(shop).filter(member_since__isnull=False).order_by("pk")
    while True:
        bounds = list(members.filter(pk__gt=job.cursor).values_list("pk", flat=True)[RECALCULATION_BATCH - 1 :][:1])
        upper = bounds[0] if bounds else None
        where = "c.shop_id = %s AND c.member_since IS NOT NULL AND c.id > %s"
        where_params: list = [shop.pk, job.cursor]
        if upper is not None:
            where += " AND c.id <= %s"
            where_params.append(upper)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*), MAX(c.id) FROM {Customer._meta.db_table} c WHERE {where}", where_params)
            placed, last_id = cursor.fetchone()
            if not placed:
                break
            moves = placement.move(
                cursor, where=where, where_params=where_params, upward_only=job.upward_only, reason=reason
            )
            directions = [placement.direction(from_id, to_id) for _id, from_id, to_id in moves]
            job.cursor = last_id
            TierRecalculation.objects.filter(pk=job_id).update(
                cursor=last_id,
                done=F("done") + placed,
                moved_up=F("moved_up") + directions.count(1),
                moved_down=F("moved_down") + directions.count(-1),
            )
        if upper is None:
            break
    TierRecalculation.objects.filter(pk=job_id).update(status=TierRecalculation.Status.DONE, finished_at=timezone.now())


def tier_reviews_start(*, now: datetime.datetime | None = None) -> list[int]:
    """Beat's hourly call: for each shop whose yearly review has come (its date, in the
    shop's time zone, on or after the day the review was switched on), start one review.
    The unique (shop, review date) makes every later call that year a no-op. Returns the
    jobs started."""
    from loyalty.tasks import recalculate_tiers

    now = now or timezone.now()
    started = []
    for settings in TierSettings.objects.filter(downgrade=True).select_related("shop"):
        shop = settings.shop
        today = timezone.localdate(now, shop.tzinfo)
        review_date = datetime.date(today.year, settings.review_month, settings.review_day)
        if review_date > today or (settings.reviews_since and review_date < settings.reviews_since):
            continue
        try:
            with transaction.atomic():
                job = TierRecalculation.objects.create(
                    shop=shop,
                    review_date=review_date,
                    total=Customer.objects.for_shop(shop).filter(member_since__isnull=False).count(),
                )
        except IntegrityError:
            continue  # this year's review is held already
        recalculate_tiers.delay(job.pk)
        started.append(job.pk)
    return started
