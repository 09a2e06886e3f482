"""The limits a batch meets before its messages are handed over, shared by every worker and
host through the database: the shop's daily email quota (``SendingDay``), the provider's
rate (``SendingPace``), and Decree 91's rules for advertising (DESIGN.md, "Campaigns").

The rate is a "next free slot" row, not a token bucket: a worker moves the slot forward by
its batch's share (``count / per_second`` seconds) with a compare-and-swap UPDATE, then sends
the batch's i-th message no earlier than ``start + i / per_second``. Two workers therefore
take turns on the provider's pace, never each at full pace (listmonk's rate per worker
overshot the provider's). One UPDATE per batch: nothing per message.
"""

import datetime
import time

from django.conf import settings
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from messaging.models import Message, SendingDay, SendingPace
from shops.models import Shop

Channel = Message.Channel
Status = Message.Status

# Decree 91/2020/ND-CP: advertising SMS only from 07:00 to 22:00 local time, and at most 3
# advertising messages per recipient and channel in 24 hours.
ADVERTISING_SMS_FROM = datetime.time(7)
ADVERTISING_SMS_UNTIL = datetime.time(22)
ADVERTISING_PER_DAY = 3
# What may have reached the recipient: a started message counts, whatever became of it.
_REACHED = (Status.SENDING, Status.SENT, Status.UNKNOWN)


def local_day(*, shop: Shop, now: datetime.datetime) -> datetime.date:
    return timezone.localtime(now, shop.tzinfo).date()


def next_local_midnight(*, shop: Shop, now: datetime.datetime) -> datetime.datetime:
    """The start of the shop's next local day, when its daily quota starts again."""
    tomorrow = local_day(shop=shop, now=now) + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, datetime.time(0), tzinfo=shop.tzinfo)


def advertising_sms_wait(*, shop: Shop, now: datetime.datetime) -> datetime.datetime | None:
    """None while advertising SMS may go out (07:00-22:00 shop time); otherwise the next
    07:00 in the shop's zone, when they may."""
    local = timezone.localtime(now, shop.tzinfo)
    if ADVERTISING_SMS_FROM <= local.time() < ADVERTISING_SMS_UNTIL:
        return None
    day = local.date() + datetime.timedelta(days=1 if local.time() >= ADVERTISING_SMS_UNTIL else 0)
    return datetime.datetime.combine(day, ADVERTISING_SMS_FROM, tzinfo=shop.tzinfo)


def advertising_capped_sql(*, outer: str, channel: str, now: datetime.datetime) -> tuple[str, list]:
    """SQL true when the customer of the message row ``outer`` already had the cap of
    advertising messages on the channel in the last 24 hours: EXISTS a third one (LIMIT 1
    OFFSET 2 on the partial index message_advertising_recent). Raw SQL: it is part of the
    statement that starts each message, which the ORM took longer to build than to run."""
    table = connection.ops.quote_name(Message._meta.db_table)
    sql = (
        f"EXISTS (SELECT 1 FROM {table} recent WHERE recent.customer_id = {outer}.customer_id "
        "AND recent.channel = %s AND recent.advertising AND recent.sending_at >= %s "
        f"AND recent.status IN (%s, %s, %s) LIMIT 1 OFFSET {ADVERTISING_PER_DAY - 1})"
    )
    since = connection.ops.adapt_datetimefield_value(now - datetime.timedelta(hours=24))
    return sql, [channel, since, *_REACHED]


def advertising_lock(customer_id: int) -> None:
    """Inside the transaction that starts an advertising message on PostgreSQL: two workers
    starting messages for one customer take turns, so the second one's statement (a new
    snapshot, taken after the lock) sees the first one's message and the cap holds. SQLite
    runs one writer at a time, so its single statement already does."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ADVERTISING_LOCK, customer_id])


_ADVERTISING_LOCK = 910  # the advisory lock's first key: Decree 91's cap (the second is the customer)


def quota_reserve(*, shop: Shop, channel: str, count: int, quota: int, now: datetime.datetime) -> int:
    """Reserve up to ``count`` of today's quota (the shop's local day); how many were
    granted. Never past the quota, whatever other workers do at the same time: the UPDATE
    only adds what still fits, and is tried again when another worker got there first."""
    day = local_day(shop=shop, now=now)
    row, _created = SendingDay.objects.get_or_create(shop=shop, channel=channel, day=day)
    used = row.used
    while True:
        granted = min(count, quota - used)
        if granted <= 0:
            return 0
        if SendingDay.objects.filter(pk=row.pk, used__lte=quota - granted).update(used=F("used") + granted):
            return granted
        used = SendingDay.objects.values_list("used", flat=True).get(pk=row.pk)


def quota_release(*, shop: Shop, channel: str, day: datetime.date, count: int) -> None:
    """Give back what was reserved and not handed over (skipped, refused, not reached)."""
    if count > 0:
        SendingDay.objects.filter(shop=shop, channel=channel, day=day).update(
            used=Greatest(F("used") - count, Value(0))
        )


def per_second(channel: str) -> float:
    """The provider's rate for one shop's account; 0 for no limit."""
    return settings.MESSAGING_EMAIL_PER_SECOND if channel == Channel.EMAIL else settings.MESSAGING_SMS_PER_SECOND


def pace_reserve(*, shop: Shop, channel: str, count: int, now: datetime.datetime) -> datetime.datetime:
    """Take the next ``count`` sending slots of the shop's account; when the first is."""
    rate = per_second(channel)
    if rate <= 0 or count <= 0:
        return now
    row, _created = SendingPace.objects.get_or_create(shop=shop, channel=channel, defaults={"next_slot_at": now})
    taken = row.next_slot_at
    while True:
        start = max(taken, now)
        moved = SendingPace.objects.filter(pk=row.pk, next_slot_at=taken).update(
            next_slot_at=start + datetime.timedelta(seconds=count / rate)
        )
        if moved:
            return start
        taken = SendingPace.objects.values_list("next_slot_at", flat=True).get(pk=row.pk)


def pace_wait(*, start: datetime.datetime, index: int, channel: str) -> None:
    """Sleep until the batch's ``index``-th slot."""
    rate = per_second(channel)
    if rate <= 0:
        return
    ahead = (start + datetime.timedelta(seconds=index / rate) - timezone.now()).total_seconds()
    if ahead > 0:
        time.sleep(ahead)
