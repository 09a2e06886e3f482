"""What the statement that starts each campaign message checks again (the outbox's
``Eligibility`` for the "campaign" composer): an automation's occasion still holds (the
thanked order not cancelled or refunded, no order since a reminder, still in the tier,
still a member), and the member is under the shop's frequency cap on the channel.
"""

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.automations import THANKED_STATUSES, db_time
from campaigns.models import CAP_DAYS, CAP_MESSAGES, CampaignSettings, Recipient
from members.models import Customer, Order
from messaging.composers import Eligibility
from messaging.models import Message


def _eligible_sql() -> str:
    """What the start checks of a campaign's message: an automation's occasion still holds,
    and the member is under the shop's frequency cap on the channel."""
    quote = connection.ops.quote_name
    recipients = quote(Recipient._meta.db_table)
    customers = quote(Customer._meta.db_table)
    orders = quote(Order._meta.db_table)
    # The recipient of the message: the campaign's id is the source's number.
    occasion = (
        "({message}.occasion = '' OR EXISTS (SELECT 1 FROM "
        f"{recipients} r JOIN {customers} c ON c.id = r.customer_id "
        "WHERE r.customer_id = {message}.customer_id AND r.occasion = {message}.occasion "
        "AND {message}.source = 'campaign:' || CAST(r.campaign_id AS TEXT) "
        "AND c.member_since IS NOT NULL "
        "AND (r.last_order_at IS NULL OR c.last_order_at = r.last_order_at) "
        "AND (r.tier_id IS NULL OR c.tier_id = r.tier_id) "
        f"AND (r.order_id IS NULL OR EXISTS (SELECT 1 FROM {orders} o WHERE o.id = r.order_id "
        "AND o.cancelled_at IS NULL AND o.financial_status IN (%s, %s)))))"
    )
    return f"{occasion} AND NOT {_capped_sql()}"


def _capped_sql() -> str:
    """True when the member already had the shop's cap of campaign messages on the channel
    within its days (counted on the message_campaign_recent index)."""
    quote = connection.ops.quote_name
    messages = quote(Message._meta.db_table)
    settings_table = quote(CampaignSettings._meta.db_table)
    cap = f"COALESCE((SELECT s.cap_messages FROM {settings_table} s WHERE s.shop_id = {{message}}.shop_id), %s)"
    days = f"COALESCE((SELECT s.cap_days FROM {settings_table} s WHERE s.shop_id = {{message}}.shop_id), %s)"
    if connection.vendor == "postgresql":
        since = f"CAST(%s AS timestamptz) - make_interval(days => CAST({days} AS integer))"
    else:
        since = f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '-' || {days} || ' days')"
    return (
        f"({{message}}.priority = 1 AND {cap} > 0 AND (SELECT COUNT(*) FROM {messages} recent "
        "WHERE recent.customer_id = {message}.customer_id "
        "AND recent.channel = {message}.channel AND recent.priority = 1 AND recent.status IN (%s, %s, %s) "
        f"AND recent.sending_at >= {since}) >= {cap})"
    )


def _eligible_params() -> list:
    reached = [Message.Status.SENDING, Message.Status.SENT, Message.Status.UNKNOWN]
    return [*THANKED_STATUSES, CAP_MESSAGES, *reached, db_time(timezone.now()), CAP_DAYS, CAP_MESSAGES]


def _eligible_reason(message: Message) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        campaign_id = int(message.source.split(":", 1)[1])
        recipient = (
            Recipient.objects.filter(
                campaign_id=campaign_id, customer_id=message.customer_id, occasion=message.occasion
            )
            .select_related("order", "customer")
            .first()
        )
        if message.occasion and (recipient is None or recipient.customer.member_since is None):
            return _("Not sent: this customer is no longer a member.")
        if recipient is not None and message.occasion:
            customer, order = recipient.customer, recipient.order
            if order is not None and (order.cancelled_at is not None or order.financial_status not in THANKED_STATUSES):
                return _("Not sent: the order it thanks for was cancelled or refunded.")
            if recipient.last_order_at is not None and customer.last_order_at != recipient.last_order_at:
                return _("Not sent: this member ordered again after the reminder was queued.")
            if recipient.tier_id is not None and customer.tier_id != recipient.tier_id:
                return _("Not sent: this member is no longer in the tier it congratulates them on.")
        cap = CampaignSettings.objects.filter(shop_id=message.shop_id).values_list("cap_messages", "cap_days").first()
        count, days = cap or (CAP_MESSAGES, CAP_DAYS)
        return _(
            "Not sent: this member already received %(count)d campaign messages on this channel in the last "
            "%(days)d days, the most the shop's campaign settings allow."
        ) % {"count": count, "days": days}


def automation_eligibility() -> Eligibility:
    return Eligibility(sql=_eligible_sql(), params=_eligible_params, reason=_eligible_reason)
