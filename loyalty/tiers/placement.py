"""Placing members in tiers, in SQL: each member's ranking spend is computed once, one
INSERT … SELECT … RETURNING writes the TierChange lines and one UPDATE moves exactly those
members. Every path that places members (orders, activation, the opening import, the tier
settings' recalculation and the yearly review) goes through ``Placement``."""

import datetime
from collections.abc import Iterable

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.db import any_of_sql, insert_rows, update_rows
from loyalty.models import OpeningBalance, Tier, TierChange, TierSettings
from loyalty.tiers.reads import tier_settings_read, tiers_read
from members.models import Customer, Order, live_orders_sql
from shops.models import Shop

TIER_REFRESH_CHUNK = 5_000


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


class Placement:
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
        chunk, chunk_params = any_of_sql("c.id", customer_ids)
        cursor.execute(
            f"SELECT c.id, {spend} FROM {Customer._meta.db_table} c WHERE {chunk}", [*spend_params, *chunk_params]
        )
        return dict(cursor.fetchall())

    def direction(self, from_id: int | None, to_id: int) -> int:
        """+1 for a move up (or a first tier), -1 for a move down, 0 for level."""
        before = -1 if from_id is None else self.ranks.get(from_id, -1)
        after = self.ranks[to_id]
        return (after > before) - (after < before)


def customers_refresh_tiers(*, shop: Shop, customer_ids: Iterable[int], reason: str) -> None:
    """Move members up as soon as their ranking spend reaches a higher tier, and give new
    members their first tier; each move is a TierChange. Never down: lowering a tier is the
    yearly review's decision, not an order's. Set-based, per chunk of customers. Call with
    the customers locked (or in the transaction that changed their spend)."""
    ids = list(customer_ids)
    if not ids:
        return
    placement = Placement(shop=shop, tiers=tiers_read(shop), basis=tier_settings_read(shop).basis)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), TIER_REFRESH_CHUNK):
            chunk, chunk_params = any_of_sql("c.id", ids[start : start + TIER_REFRESH_CHUNK])
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
        self.basis = tier_settings_read(shop).basis
        self.placement = Placement(shop=shop, tiers=tiers_read(shop), basis=self.basis)

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
