"""Changing the tiers (Cấu hình thăng hạng): the preview of who would move, saving the tiers
and how they are measured, the background recalculation that follows, and the yearly review."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.models import Tier, TierRecalculation, TierSettings
from loyalty.tiers.placement import Placement
from loyalty.tiers.reads import TierRow, tier_settings_read, tiers_read
from members.models import Customer
from shops.activity import activity_record, changed_values
from shops.models import ActivityKind, Shop, User

RECALCULATION_BATCH = 20_000


def tiers_preview(*, shop: Shop, rows: list[TierRow], basis: str) -> dict[str, int]:
    """How many members saving the proposed tiers (and basis) would move up and down,
    before anything is saved: what ``tiers_save`` then does. Members of a removed tier move
    to what their spend reaches. Tiers and basis as they are move nobody down (that is the
    yearly review's decision): members without a tier get their first, and members whose
    spend reached a higher tier move up."""
    upward_only = _unchanged(shop, rows, basis)
    placement = Placement(shop=shop, tiers=rows, basis=basis)
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
    return basis == tier_settings_read(shop).basis and _tiers_described(current) == _tiers_described(rows)


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
        settings, _created = TierSettings.objects.select_for_update().get_or_create(shop=shop)
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
    placement = Placement(shop=shop, tiers=tiers_read(shop), basis=tier_settings_read(shop).basis)
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
