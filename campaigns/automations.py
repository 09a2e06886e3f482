"""Automations: the campaigns that run by themselves (5-3 birthday, 5-4 thank-you, 5-5
purchase reminder), on the campaign engine, in the shop's time zone.

Beat calls ``automations_run`` every minute. For each automation that is on, it

1. selects who is due, set-based, into ``Recipient`` rows, each with its occasion (what it
   is sent once for) under the (automation, customer, occasion) unique constraint, and the
   thank-you's order under (automation, order): a selection repeated, or made by two beats
   at once, adds nobody. A daily kind's selection is made once per local day
   (``AutomationRun``, unique per (automation, day)) a day ahead, so that unique codes are
   made the day before; a missed day is caught up at most ``CATCH_UP_DAYS`` late;
2. hands the codes to the code maker (``campaigns.codes``), made in the window that starts
   at each recipient's own send;
3. queues each recipient whose time has come and whose code is made (or failed: then it is
   skipped with the reason), one statement per batch, under the outbox's (source, occasion,
   customer, channel) key.

The statement that starts each message checks the occasion again (``ELIGIBLE_SQL``): a
member who ordered since a reminder was queued, whose thanked order was cancelled or
refunded, or who is no longer a member, is not sent.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.models import (
    AUTOMATED_KINDS,
    AutomationRun,
    Campaign,
    Recipient,
)
from campaigns.sending import _channel_sql, holdout_sql, needs_unique_codes, reachable_sql
from loyalty.models import PointEntry, TierChange
from loyalty.services import birthday_points_grant
from members.models import Customer, Order
from messaging.models import Message
from messaging.services import outbox_wake

logger = logging.getLogger(__name__)

Kind = Campaign.Kind
State = Campaign.State
CodeState = Recipient.CodeState

DAILY_KINDS = (Kind.BIRTHDAY, Kind.WIN_BACK, Kind.POINTS_EXPIRING)
# A member's own account's notice: it goes ahead of campaigns, like a one-to-one message,
# and is neither counted in nor held back by the shop's cap across campaigns.
OWN_ACCOUNT_KINDS = (Kind.POINTS_EXPIRING,)
# A tier-up is congratulated at most this long after the move.
TIER_UP_LATE = datetime.timedelta(days=1)
# A day the shop was entirely down is caught up this many days late at most: never a week
# of birthdays at once. Within a day that was only partly down, nothing is lost: the day's
# run is made whenever beat comes back that day.
CATCH_UP_DAYS = 1
# A birthday entered or changed this recently earns no gift this year (against gaming).
BIRTHDAY_SETTLED_DAYS = 30
# A reminder's next run takes members who joined since its last run began, less this much
# (a clock a little off between hosts adds nobody twice: the unique key holds).
NEW_MEMBER_MARGIN = datetime.timedelta(hours=1)
# A run selects at most this many days (birthdays, lapse days) when the days ahead were raised.
MAX_TARGETS = 31
# A thank-you for an order paid this long before the automation is due is not sent late.
THANK_YOU_LATE = datetime.timedelta(days=1)
# How far ahead a thank-you is selected when its code must be made first.
THANK_YOU_CODE_LEAD = datetime.timedelta(hours=1)
QUEUE_BATCH = 10_000
# Payment states in which an order is thanked: paid, and not refunded.
THANKED_STATUSES = (Order.FinancialStatus.PAID, Order.FinancialStatus.PARTIALLY_PAID)


# --- the calendar -------------------------------------------------------------------


def run_time(*, campaign: Campaign, day: datetime.date) -> datetime.datetime:
    """When a daily automation's messages for a local day go: its hour that day, shop time."""
    return datetime.datetime.combine(day, datetime.time(campaign.run_hour), tzinfo=campaign.shop.tzinfo)


def days_to_select(*, campaign: Campaign, now: datetime.datetime) -> list[datetime.date]:
    """The local days whose selection is due by ``now``: tomorrow's once today's hour has
    come (a day ahead: codes are made the day before), today's, and the days missed within
    ``CATCH_UP_DAYS``, never before the automation was turned on."""
    zone = campaign.shop.tzinfo
    today = timezone.localtime(now, zone).date()
    first = timezone.localtime(campaign.started_at or now, zone).date()
    days = []
    for offset in range(-CATCH_UP_DAYS, 2):
        day = today + datetime.timedelta(days=offset)
        if day < first:
            continue
        # A day is selected from its eve's hour on (the day before's run time).
        if run_time(campaign=campaign, day=day - datetime.timedelta(days=1)) <= now:
            days.append(day)
    return days


def birthday_dates(target: datetime.date) -> list[tuple[int, int]]:
    """The (month, day) birthdays celebrated on ``target``: 29 February ones on 28 February
    in a common year."""
    dates = [(target.month, target.day)]
    if (target.month, target.day) == (2, 28) and not _leap(target.year):
        dates.append((2, 29))
    return dates


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# --- selection ----------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Who a selection takes, as a customers queryset, with each one's occasion and what the
    start checks again."""

    customers: object  # a Customer queryset
    occasion: str
    send_at: datetime.datetime
    last_order_at: bool = False  # record the customer's last order (a reminder)
    cutoff: datetime.datetime | None = None  # a reminder's: the last orders it reaches back to


def _birthdays(*, campaign: Campaign, target: datetime.date) -> tuple[Q, Q]:
    """The members celebrated on ``target``, and of those, whose birthday did not change in
    the 30 days before it."""
    dates = Q()
    for month, date in birthday_dates(target):
        dates |= Q(birthday__month=month, birthday__day=date)
    settled = datetime.datetime.combine(
        target - datetime.timedelta(days=BIRTHDAY_SETTLED_DAYS), datetime.time(0), tzinfo=campaign.shop.tzinfo
    )
    return dates & Q(member_since__isnull=False), Q(birthday_changed_at__isnull=True) | Q(
        birthday_changed_at__lt=settled
    )


def birthday_selection(*, campaign: Campaign, day: datetime.date, target: datetime.date | None = None) -> Selection:
    """Members whose birthday is on ``target`` (``lead_days`` after ``day`` unless given),
    whose birthday did not change in the 30 days before it."""
    target = target or day + datetime.timedelta(days=campaign.lead_days)
    celebrated, settled = _birthdays(campaign=campaign, target=target)
    customers = Customer.objects.for_shop(campaign.shop).filter(celebrated).filter(settled)
    return Selection(customers=customers, occasion=str(target.year), send_at=run_time(campaign=campaign, day=day))


def birthday_recently_changed(*, campaign: Campaign, day: datetime.date) -> int:
    """How many members of the day's birthdays get nothing this year because their birthday
    was entered or changed in the 30 days before it (the page says so)."""
    celebrated, settled = _birthdays(campaign=campaign, target=day + datetime.timedelta(days=campaign.lead_days))
    return Customer.objects.for_shop(campaign.shop).filter(celebrated).exclude(settled).count()


def win_back_selection(*, campaign: Campaign, day: datetime.date, before: AutomationRun | None = None) -> Selection:
    """Members whose last order is at least ``idle_days`` old on ``day``: once per last order
    (the occasion is its moment), so again only after a new order and another wait. After a
    first run (``before``), only those whose last order crossed the line since, and those
    who became members since: the others were selected then."""
    send_at = run_time(campaign=campaign, day=day)
    cutoff = send_at - datetime.timedelta(days=campaign.idle_days)
    customers = Customer.objects.for_shop(campaign.shop).filter(member_since__isnull=False, last_order_at__lte=cutoff)
    if before is not None and before.cutoff is not None:
        since_members = before.started_at - NEW_MEMBER_MARGIN
        customers = customers.filter(Q(last_order_at__gt=before.cutoff) | Q(member_since__gte=since_members))
    return Selection(customers=customers, occasion="", send_at=send_at, last_order_at=True, cutoff=cutoff)


def points_expiring_selection(
    *, campaign: Campaign, day: datetime.date, target: datetime.date | None = None
) -> Selection:
    """Members with points that lapse ``lead_days`` after ``day`` (at that day's start, shop
    time): once per member and lapse day. Whether any still lapse (not spent meanwhile) is
    counted again when each message is written."""
    target = target or day + datetime.timedelta(days=campaign.lead_days)
    lapse_at = datetime.datetime.combine(target, datetime.time(0), tzinfo=campaign.shop.tzinfo)
    lapsing = PointEntry.objects.filter(
        shop=campaign.shop,
        customer_id=OuterRef("pk"),
        points__gt=0,
        expires_at__gte=lapse_at,
        expires_at__lt=lapse_at + datetime.timedelta(days=1),
    )
    customers = Customer.objects.for_shop(campaign.shop).filter(
        Exists(lapsing), member_since__isnull=False, points_balance__gt=0
    )
    target = day + datetime.timedelta(days=campaign.lead_days)
    return Selection(
        customers=customers, occasion=f"p{target.isoformat()}", send_at=run_time(campaign=campaign, day=day)
    )


def lapse_start(*, campaign: Campaign, day: datetime.date) -> datetime.datetime:
    """When the points a run of ``day`` warns about lapse: ``lead_days`` later, at 00:00."""
    target = day + datetime.timedelta(days=campaign.lead_days)
    return datetime.datetime.combine(target, datetime.time(0), tzinfo=campaign.shop.tzinfo)


def tier_up_select(*, campaign: Campaign, now: datetime.datetime) -> int:
    """Members moved up a tier since the automation was turned on (at most a day ago), once
    per move, naming the tier reached: the start checks they are still in it."""
    since = max(now - TIER_UP_LATE, campaign.started_at or now)
    moves = (
        TierChange.objects.filter(shop=campaign.shop, created_at__gt=since, created_at__lte=now)
        .filter(from_tier__isnull=False, to_tier__threshold__gt=F("from_tier__threshold"))
        .filter(customer__member_since__isnull=False)
        .values_list("pk")
    )
    changes = connection.ops.quote_name(TierChange._meta.db_table)
    customers = connection.ops.quote_name(Customer._meta.db_table)
    return _recipients_insert(
        campaign=campaign,
        columns={"occasion": "'t' || CAST(t.id AS TEXT)", "tier_id": "t.to_tier_id", "send_at": "t.created_at"},
        source=f"{changes} t JOIN {customers} c ON c.id = t.customer_id",
        key="t.id",
        ids=moves,
        now=now,
    )


def _recipients_insert(
    *, campaign: Campaign, columns: dict[str, str], params: list | None = None, source: str, key: str, ids, now
) -> int:
    """Recipients from ``source`` (a FROM clause naming the customer ``c``) whose ``key`` is
    among the ids of the ``ids`` queryset, in one INSERT ... SELECT: each with the holdout,
    a code to make if a channel reaches them, and ``columns`` (SQL by column, with
    ``params`` in their order). Those already recipients for their occasion are left alone.
    How many were added."""
    ids_sql, ids_params = ids.query.sql_with_params()
    table = connection.ops.quote_name(Recipient._meta.db_table)
    held, held_params = holdout_sql(campaign, "c")
    waiting = CodeState.WAITING if needs_unique_codes(campaign) else CodeState.NONE
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, customer_id, held_out, code, code_state, code_error, created_at, "
            f"{', '.join(columns)}) "
            f"SELECT %s, c.id, {held}, '', CASE WHEN {held} OR NOT ({reachable_sql(campaign, 'c')}) THEN '' "
            f"ELSE %s END, '', %s, {', '.join(columns.values())} "
            f"FROM {source} WHERE {key} IN ({ids_sql}) ON CONFLICT DO NOTHING",
            [campaign.pk, *held_params, *held_params, waiting, db_time(now), *(params or []), *ids_params],
        )
        return max(cursor.rowcount, 0)


def recipients_select(*, campaign: Campaign, selection: Selection, run: AutomationRun | None) -> int:
    """Insert the selection's customers as recipients, in one statement; those already
    recipients for the occasion are left alone. How many were added."""
    reminder = selection.last_order_at
    customers = connection.ops.quote_name(Customer._meta.db_table)
    return _recipients_insert(
        campaign=campaign,
        columns={
            "occasion": "'w' || " + _text_of("c.last_order_at") if reminder else "%s",
            "run_id": "%s",
            "last_order_at": "c.last_order_at" if reminder else "NULL",
            "send_at": "%s",
        },
        params=[*([] if reminder else [selection.occasion]), run.pk if run else None, db_time(selection.send_at)],
        source=f"{customers} c",
        key="c.id",
        ids=selection.customers.values_list("pk"),
        now=timezone.now(),
    )


def db_time(moment: datetime.datetime):
    """A datetime as the database stores it (SQLite: UTC text), for raw SQL."""
    return connection.ops.adapt_datetimefield_value(moment)


def _text_of(column: str) -> str:
    """A timestamp column as text the same way on PostgreSQL and SQLite (its epoch seconds)."""
    if connection.vendor == "postgresql":
        return f"CAST(CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT) AS TEXT)"
    return f"CAST(CAST(strftime('%%s', {column}) AS INTEGER) AS TEXT)"


def _plus_hours(column: str, hours: int) -> str:
    """``column`` plus whole hours, as the database stores a datetime."""
    if connection.vendor == "postgresql":
        return f"{column} + make_interval(hours => {int(hours)})"
    # Django keeps SQLite datetimes as "YYYY-MM-DD HH:MM:SS[.ffffff]" text in UTC.
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {column}, '+{int(hours)} hours')"


def thank_you_select(*, campaign: Campaign, now: datetime.datetime) -> int:
    """Orders paid ``wait_hours`` ago (or up to an hour ahead when a code must be made
    first), since the automation was turned on and at most a day late, each once."""
    wait = datetime.timedelta(hours=campaign.wait_hours)
    lead = THANK_YOU_CODE_LEAD if needs_unique_codes(campaign) else datetime.timedelta(0)
    latest_paid = now - wait + lead
    earliest_paid = max(now - wait - THANK_YOU_LATE, campaign.started_at or now)
    orders = (
        Order.objects.for_shop(campaign.shop)
        .filter(
            created_at__lte=latest_paid,
            paid_at__gt=earliest_paid,
            paid_at__lte=latest_paid,
            financial_status__in=THANKED_STATUSES,
            cancelled_at__isnull=True,
            customer__member_since__isnull=False,
        )
        .values_list("pk")
    )
    order_table = connection.ops.quote_name(Order._meta.db_table)
    customers = connection.ops.quote_name(Customer._meta.db_table)
    return _recipients_insert(
        campaign=campaign,
        columns={
            "occasion": "'o' || CAST(o.id AS TEXT)",
            "order_id": "o.id",
            "send_at": _plus_hours("o.paid_at", campaign.wait_hours),
        },
        source=f"{order_table} o JOIN {customers} c ON c.id = o.customer_id",
        key="o.id",
        ids=orders,
        now=now,
    )


def daily_select(*, campaign: Campaign, day: datetime.date, now: datetime.datetime | None = None) -> int | None:
    """The day's selection of a daily automation, made once: None if it was made before."""
    try:
        with transaction.atomic():
            run = AutomationRun.objects.create(campaign=campaign, day=day, started_at=now or timezone.now())
    except IntegrityError:
        run = AutomationRun.objects.get(campaign=campaign, day=day)
        if run.finished_at is not None:
            return None
    # A run a worker died in is selected again: the unique keys add nobody twice.
    before = (
        AutomationRun.objects.filter(campaign=campaign, day__lt=day, finished_at__isnull=False).order_by("-day").first()
    )
    if campaign.kind in (Kind.BIRTHDAY, Kind.POINTS_EXPIRING):
        select = birthday_selection if campaign.kind == Kind.BIRTHDAY else points_expiring_selection
        targets = run_targets(campaign=campaign, day=day, before=before)
        added = sum(
            recipients_select(campaign=campaign, selection=select(campaign=campaign, day=day, target=target), run=run)
            for target in targets
        )
        AutomationRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), selected=added, target=targets[-1])
        return added
    selection = win_back_selection(campaign=campaign, day=day, before=before)
    added = recipients_select(campaign=campaign, selection=selection, run=run)
    AutomationRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), selected=added, cutoff=selection.cutoff)
    return added


def run_targets(*, campaign: Campaign, day: datetime.date, before: AutomationRun | None) -> list[datetime.date]:
    """The days (birthdays, lapse days) a run of ``day`` selects: ``lead_days`` ahead, and
    when the days ahead were raised since the last run, every day between (at most
    ``MAX_TARGETS``): none falls through the gap. Lowered, the days already selected are
    not selected again (the once-per-occasion key)."""
    target = day + datetime.timedelta(days=campaign.lead_days)
    if before is None or before.target is None or before.target >= target:
        return [target]
    first = max(before.target + datetime.timedelta(days=1), target - datetime.timedelta(days=MAX_TARGETS - 1))
    return [first + datetime.timedelta(days=offset) for offset in range((target - first).days + 1)]


# --- queueing -----------------------------------------------------------------------


def recipients_queue(*, campaign: Campaign, now: datetime.datetime) -> int:
    """Queue the recipients whose send has come and whose code is settled, batch by batch:
    their messages into the outbox (those a channel cannot reach, or whose code failed,
    SKIPPED with the reason), and the recipients marked queued, in one transaction."""
    table = connection.ops.quote_name(Message._meta.db_table)
    recipients_table = connection.ops.quote_name(Recipient._meta.db_table)
    customers_table = connection.ops.quote_name(Customer._meta.db_table)
    label = campaign.name[:200]
    queued = 0
    while True:
        with transaction.atomic():
            # Turning it off takes this row too: a batch is queued before it (and dropped by
            # it) or not at all.
            if not Campaign.objects.select_for_update().filter(pk=campaign.pk, state=State.ACTIVE).exists():
                return queued
            ids = list(
                Recipient.objects.filter(campaign=campaign, queued_at__isnull=True, send_at__lte=now)
                .exclude(code_state=CodeState.WAITING)
                .order_by("send_at", "id")
                .values_list("pk", flat=True)[:QUEUE_BATCH]
            )
            if not ids:
                return queued
            marked = Recipient.objects.filter(pk__in=ids, queued_at__isnull=True).update(queued_at=now)
            if marked != len(ids):
                # Another worker queued some of them meanwhile: let its batch stand.
                transaction.set_rollback(True)
                return queued
            placeholders = ", ".join(["%s"] * len(ids))
            late_cutoff = db_time(_catch_up_from(campaign=campaign, now=now))
            for channel in campaign.channels:
                address, reachable, reachable_params = _channel_sql(channel)
                # One whose day passed while sending was stopped is not sent days late.
                problem = f"(CASE WHEN r.send_at < %s THEN %s ELSE {reachable} END)"
                problem_params = [late_cutoff, _late_reason(), *reachable_params]
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"INSERT INTO {table} (shop_id, customer_id, channel, source, occasion, source_label, "
                        "recipient, subject, body, sms_parts, priority, advertising, composer, status, attempts, "
                        "next_attempt_at, lease_token, error, provider_id, created_at) "
                        f"SELECT %s, c.id, %s, %s, r.occasion, %s, {address}, '', '', 0, %s, %s, 'campaign', "
                        f"CASE WHEN {problem} IS NULL THEN %s ELSE %s END, 0, "
                        f"CASE WHEN r.send_at > %s THEN r.send_at ELSE %s END, '', COALESCE({problem}, ''), '', %s "
                        f"FROM {recipients_table} r JOIN {customers_table} c ON c.id = r.customer_id "
                        f"WHERE r.id IN ({placeholders}) AND NOT r.held_out "
                        "ON CONFLICT DO NOTHING",
                        [
                            campaign.shop_id,
                            channel,
                            campaign.source,
                            label,
                            0 if campaign.kind in OWN_ACCOUNT_KINDS else 1,
                            campaign.advertising,
                            *problem_params,
                            Message.Status.QUEUED,
                            Message.Status.SKIPPED,
                            db_time(now),
                            db_time(now),
                            *problem_params,
                            db_time(now),
                            *ids,
                        ],
                    )
            if campaign.kind == Kind.BIRTHDAY and campaign.gift_points:
                _birthday_points(campaign=campaign, recipient_ids=ids, now=now)
            queued += len(ids)
        if len(ids) < QUEUE_BATCH:
            return queued


def _birthday_points(*, campaign: Campaign, recipient_ids: list[int], now: datetime.datetime) -> None:
    """The birthday's points for those queued on their day (not the holdout, not one too
    late), once per member and year."""
    by_year: dict[int, list[int]] = {}
    rows = Recipient.objects.filter(
        pk__in=recipient_ids, held_out=False, send_at__gte=_catch_up_from(campaign=campaign, now=now)
    ).values_list("customer_id", "occasion")
    for customer_id, occasion in rows:
        by_year.setdefault(int(occasion), []).append(customer_id)
    for year, customer_ids in by_year.items():
        birthday_points_grant(shop=campaign.shop, points=campaign.gift_points, year=year, customer_ids=customer_ids)


def _catch_up_from(*, campaign: Campaign, now: datetime.datetime) -> datetime.datetime:
    """The earliest send still made: the start of the shop's day ``CATCH_UP_DAYS`` ago."""
    zone = campaign.shop.tzinfo
    day = timezone.localtime(now, zone).date() - datetime.timedelta(days=CATCH_UP_DAYS)
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=zone)


def _late_reason() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Not sent: its day passed while sending was stopped, and it is sent at most a day late.")


# --- the beat -----------------------------------------------------------------------


@dataclass
class RunResult:
    selected: int = 0
    queued: int = 0
    codes_waiting: bool = False


def automation_run(*, campaign: Campaign, now: datetime.datetime) -> RunResult:
    """One beat's work on one automation that is on. Safe to run twice, and at once."""
    result = RunResult()
    if campaign.kind in DAILY_KINDS:
        for day in days_to_select(campaign=campaign, now=now):
            result.selected += daily_select(campaign=campaign, day=day, now=now) or 0
    elif campaign.kind == Kind.THANK_YOU:
        result.selected += thank_you_select(campaign=campaign, now=now)
    elif campaign.kind == Kind.TIER_UP:
        result.selected += tier_up_select(campaign=campaign, now=now)
    if needs_unique_codes(campaign):
        result.codes_waiting = Recipient.objects.filter(campaign=campaign, code_state=CodeState.WAITING).exists()
    result.queued = recipients_queue(campaign=campaign, now=now)
    if result.queued:
        for channel in campaign.channels:
            outbox_wake(shop_id=campaign.shop_id, channel=channel)
    return result


def automations_due() -> list[int]:
    return list(Campaign.objects.filter(state=State.ACTIVE, kind__in=AUTOMATED_KINDS).values_list("pk", flat=True))
