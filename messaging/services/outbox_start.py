"""The statement that starts each message: QUEUED -> SENDING, committed before the message
is handed over, and only if, checked in that same statement,
- the message is still this worker's (its lease token) and still waiting;
- the customer still accepts the channel (an unsubscribe that lands during a batch is
  honoured);
- what the message's composer says must still hold (``Eligibility``: an automation's member
  who ordered meanwhile, or whose order was cancelled, is not sent);
- for advertising, Decree 91's rules: not an SMS outside 07:00-22:00 shop time (``quiet``,
  computed just before), and fewer than 3 advertising messages to the customer on the
  channel in the last 24 hours.

It runs once per message, so it is written as SQL once per shape: building it through the
ORM took longer than running it.
"""

import datetime

from django.db import connection, transaction

from members.models import Customer
from messaging.composers import Composed, Eligibility, eligibility_for
from messaging.models import Message, MessageHold
from messaging.services import limits
from messaging.sms import sms_size

Channel = Message.Channel
Status = Message.Status


def _statement(*, channel: str, advertising: bool, quiet: bool, composed: bool, eligibility: Eligibility | None) -> str:
    quote = connection.ops.quote_name
    table = quote(Message._meta.db_table)
    accepts = quote("accepts_email" if channel == Channel.EMAIL else "accepts_sms")
    content = ", subject = %s, body = %s, sms_parts = %s" if composed else ""
    # EXISTS, not a join: PostgreSQL checks the row's own status and token again on a row
    # another worker just changed, and the consent as of this statement.
    sql = (
        f"UPDATE {table} SET status = %s, sending_at = %s, attempts = attempts + 1{content} "
        f"WHERE id = %s AND status = %s AND lease_token = %s AND EXISTS (SELECT 1 FROM "
        f"{quote(Customer._meta.db_table)} customer WHERE customer.id = {table}.customer_id AND customer.{accepts})"
    )
    # A paused campaign's message waits (its source is held), even in a batch already leased.
    sql += (
        f" AND NOT EXISTS (SELECT 1 FROM {quote(MessageHold._meta.db_table)} hold "
        f"WHERE hold.shop_id = {table}.shop_id AND hold.source = {table}.source)"
    )
    if eligibility is not None:
        sql += " AND (" + eligibility.sql.replace("{message}", table) + ")"
    if quiet:
        sql += f" AND NOT {table}.advertising"
    if advertising:
        sql += " AND NOT {capped}"
    return sql


def message_start(*, message: Message, token: str, now: datetime.datetime, quiet: bool, content: Composed) -> bool:
    """Whether the message was started (and may be handed over now). What a composer wrote
    is stored with it, so the member page shows what was sent."""
    table = connection.ops.quote_name(Message._meta.db_table)
    eligibility = eligibility_for(message.composer)
    sql = _statement(
        channel=message.channel,
        advertising=message.advertising,
        quiet=quiet,
        composed=bool(message.composer),
        eligibility=eligibility,
    )
    params: list = [Status.SENDING, connection.ops.adapt_datetimefield_value(now)]
    if message.composer:
        sms = message.channel == Channel.SMS
        params += ["" if sms else content.subject[:200], content.text, sms_size(content.text).parts if sms else 0]
    params += [message.pk, Status.QUEUED, token]
    if eligibility is not None:
        params += eligibility.params()
    if not message.advertising:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount == 1
    capped, capped_params = limits.advertising_capped_sql(outer=table, channel=message.channel, now=now)
    with transaction.atomic(), connection.cursor() as cursor:
        limits.advertising_lock(message.customer_id)
        cursor.execute(sql.format(capped=capped), [*params, *capped_params])
        return cursor.rowcount == 1


def advertising_capped(*, message: Message, now: datetime.datetime) -> bool:
    """Whether the customer already had the cap of advertising messages on the channel."""
    table = connection.ops.quote_name(Message._meta.db_table)
    capped, params = limits.advertising_capped_sql(outer="message", channel=message.channel, now=now)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} message WHERE message.id = %s AND {capped}", [message.pk, *params])
        return cursor.fetchone() is not None


def still_eligible(*, message: Message) -> bool:
    """Whether the message meets its composer's eligibility now (True without one)."""
    eligibility = eligibility_for(message.composer)
    if eligibility is None:
        return True
    table = connection.ops.quote_name(Message._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE {table}.id = %s AND ({eligibility.sql.replace('{message}', table)})",
            [message.pk, *eligibility.params()],
        )
        return cursor.fetchone() is not None
