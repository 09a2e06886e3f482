"""A campaign's report (5-1 to 5-5), its figures on the list page, and the export of its
recipients.

What the figures mean:

- the send starts when the audience was put into the outbox (``Campaign.queued_at``): before
  that nothing has gone out, so there is no revenue window and no unsubscribe to count;
- message counts come from the outbox rows (``messaging.Message``, source ``campaign:<id>``),
  per channel and status; *waiting* is queued or being handed over;
- codes used: the campaign's ``CodeUse`` rows whose order still counts (not voided, not
  cancelled) and was paid for more than was refunded; their revenue, paid less refunded, is a
  lower bound of what the campaign brought;
- revenue within ``revenue_days`` of the send: recipients' orders placed in
  [send start, send start + N days), live, paid less refunded: an upper bound. With a holdout,
  the same per member of the held-out group; the difference per member, times the audience,
  is the estimate of the lift (published field experiments find most of a coupon's lift comes
  from people who never redeem it);
- unsubscribed: recipients (not held out) whose refusal of a channel was logged
  (``shops.ActivityEntry``, the customer's own link or staff) after the send started.

Money is whole đồng (``Order`` stores integers); a figure per member is rounded to the đồng.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import CharField, Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CodeUse, Recipient
from members.models import Order
from members.phones import format_phone_national
from messaging.models import Message
from messaging.selectors import messaging_settings_read
from shops.models import ActivityEntry, ActivityKind, Shop

Status = Message.Status

# The too-few rule (``CampaignReport.too_few``): below these, a difference between the groups
# is mostly chance and the page says so ("quá ít để kết luận").
MIN_GROUP = 100  # members in each group, recipients and held out
MIN_BUYERS = 10  # members who bought in the window, both groups together

EXPORT_CHUNK = 5_000

_NET = F("paid_amount") - F("refunded_amount")


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    count: int


@dataclass(frozen=True)
class ChannelFigures:
    sent: int
    failed: int
    skipped: int
    unknown: int  # the line broke while handing it over: it may have arrived
    waiting: int  # queued or being handed over
    failed_reasons: tuple[ReasonCount, ...]  # most frequent first
    skipped_reasons: tuple[ReasonCount, ...]  # most frequent first
    unsubscribed: int  # recipients who refused this channel after the send started


@dataclass(frozen=True)
class CampaignReport:
    audience: int  # recipients not held out
    held_out: int
    channels: dict[str, ChannelFigures]  # the campaign's channels, "email" and/or "sms"
    sms_parts: int  # parts of the SMS sent
    sms_cost: int  # đồng at the shop's current price of a part; 0 when the price is not set
    codes_used: int  # paid orders, not cancelled, that used one of its codes
    codes_revenue: int  # those orders, paid less refunded: a lower bound
    send_started_at: datetime | None  # when the messages entered the outbox; None: not yet
    window_ends_at: datetime | None  # the end of the revenue window (send start + revenue_days)
    revenue: int  # recipients' paid orders in the window: an upper bound
    buyers: int  # recipients who bought in the window
    revenue_per_member: int  # revenue / audience
    held_out_revenue: int
    held_out_buyers: int
    held_out_revenue_per_member: int  # held_out_revenue / held_out; 0 without a holdout
    difference_per_member: int | None  # recipients' minus held out's; None without a holdout
    difference: int | None  # per member times the audience: the estimated lift
    too_few: bool  # too few to tell (MIN_GROUP, MIN_BUYERS): the difference is not shown as a result


@dataclass(frozen=True)
class ListFigures:
    sent: dict[str, int]  # per channel
    codes_used: int
    codes_revenue: int  # đồng, paid less refunded, of the orders that used its codes


def _per_member(revenue: int, members: int) -> int:
    return round(revenue / members) if members else 0


def _reasons(rows: Iterable[Mapping[str, Any]]) -> tuple[ReasonCount, ...]:
    ordered = sorted(rows, key=lambda row: (-row["count"], row["error"]))
    return tuple(ReasonCount(reason=row["error"] or _("No reason recorded"), count=row["count"]) for row in ordered)


def _code_uses(campaign_ids: Iterable[int]) -> Any:
    """The uses that still count: the order is live and paid for more than was refunded."""
    return CodeUse.objects.filter(
        campaign_id__in=list(campaign_ids),
        order__cancelled_at__isnull=True,
        order__paid_amount__gt=F("order__refunded_amount"),
    ).exclude(order__financial_status=Order.FinancialStatus.VOIDED)


def campaign_report(campaign: Campaign) -> CampaignReport:
    """The campaign's report; a fixed number of queries, whatever its size.

    ``too_few`` is true when either group (recipients, held out) has fewer than
    ``MIN_GROUP`` (100) members, or fewer than ``MIN_BUYERS`` (10) members of both groups
    together bought in the window: the page then says "quá ít để kết luận" instead of
    presenting the difference as a result. Without a holdout there is nothing to compare:
    ``too_few`` is true and the differences are None."""
    shop = campaign.shop
    groups = {
        row["held_out"]: row["count"]
        for row in Recipient.objects.filter(campaign=campaign).values("held_out").annotate(count=Count("pk")).order_by()
    }
    audience, held_out = groups.get(False, 0), groups.get(True, 0)

    messages = Message.objects.filter(shop=shop, source=campaign.source)
    counts: dict[tuple[str, str], int] = {
        (row["channel"], row["status"]): row["count"]
        for row in messages.values("channel", "status").annotate(count=Count("pk")).order_by()
    }
    reasons: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in (
        messages.filter(status__in=[Status.FAILED, Status.SKIPPED])
        .values("channel", "status", "error")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        reasons.setdefault((row["channel"], row["status"]), []).append(row)

    start = campaign.queued_at
    end = start + timedelta(days=campaign.revenue_days) if start else None
    unsubscribed = _unsubscribed(campaign, start) if start else {}

    channels = {}
    for channel in campaign.channels:
        channels[channel] = ChannelFigures(
            sent=counts.get((channel, Status.SENT), 0),
            failed=counts.get((channel, Status.FAILED), 0),
            skipped=counts.get((channel, Status.SKIPPED), 0),
            unknown=counts.get((channel, Status.UNKNOWN), 0),
            waiting=counts.get((channel, Status.QUEUED), 0) + counts.get((channel, Status.SENDING), 0),
            failed_reasons=_reasons(reasons.get((channel, Status.FAILED), [])),
            skipped_reasons=_reasons(reasons.get((channel, Status.SKIPPED), [])),
            unsubscribed=unsubscribed.get(channel, 0),
        )

    sms_parts = 0
    if campaign.send_sms:
        sms_parts = messages.filter(channel=Message.Channel.SMS, status=Status.SENT).aggregate(
            parts=Coalesce(Sum("sms_parts"), 0)
        )["parts"]
    sms_cost = sms_parts * messaging_settings_read(shop).sms_part_price if sms_parts else 0

    uses = _code_uses([campaign.pk]).aggregate(
        count=Count("pk"), revenue=Coalesce(Sum(F("order__paid_amount") - F("order__refunded_amount")), 0)
    )

    bought: dict[bool, dict[str, int]] = {}
    if start and end:
        # Each order of the shop in the window, looked up among the campaign's recipients by
        # the (campaign, customer) unique index: the window holds far fewer orders than a
        # large campaign has recipients.
        held = Recipient.objects.filter(campaign=campaign, customer_id=OuterRef("customer_id")).values("held_out")[:1]
        bought = {
            row["group"]: row
            for row in Order.objects.live()
            .filter(shop=shop, customer__isnull=False, created_at__gte=start, created_at__lt=end)
            .annotate(group=Subquery(held))
            .filter(group__isnull=False)
            .values("group")
            .annotate(
                revenue=Coalesce(Sum(_NET), 0),
                buyers=Count("customer_id", distinct=True, filter=Q(paid_amount__gt=F("refunded_amount"))),
            )
            .order_by()
        }
    sent_group = bought.get(False, {})
    held_group = bought.get(True, {})
    revenue, buyers = sent_group.get("revenue", 0), sent_group.get("buyers", 0)
    held_revenue, held_buyers = held_group.get("revenue", 0), held_group.get("buyers", 0)

    difference_per_member = difference = None
    if held_out and audience:
        lift = revenue / audience - held_revenue / held_out
        difference_per_member, difference = round(lift), round(lift * audience)
    too_few = audience < MIN_GROUP or held_out < MIN_GROUP or buyers + held_buyers < MIN_BUYERS

    return CampaignReport(
        audience=audience,
        held_out=held_out,
        channels=channels,
        sms_parts=sms_parts,
        sms_cost=sms_cost,
        codes_used=uses["count"],
        codes_revenue=uses["revenue"],
        send_started_at=start,
        window_ends_at=end,
        revenue=revenue,
        buyers=buyers,
        revenue_per_member=_per_member(revenue, audience),
        held_out_revenue=held_revenue,
        held_out_buyers=held_buyers,
        held_out_revenue_per_member=_per_member(held_revenue, held_out),
        difference_per_member=difference_per_member,
        difference=difference,
        too_few=too_few,
    )


def _unsubscribed(campaign: Campaign, since: datetime) -> dict[str, int]:
    """Recipients (not held out) whose refusal of each channel was logged since ``since``."""
    recipients = (
        Recipient.objects.filter(campaign=campaign, held_out=False)
        .annotate(target=Cast("customer_id", CharField()))
        .values("target")
    )
    figures = ActivityEntry.objects.filter(
        shop=campaign.shop,
        kind=ActivityKind.CUSTOMER_CHANGED,
        created_at__gte=since,
        target_type="customer",
        target_id__in=recipients,
    ).aggregate(
        email=Count("target_id", distinct=True, filter=Q(after__accepts_email=False)),
        sms=Count("target_id", distinct=True, filter=Q(after__accepts_sms=False)),
    )
    return {"email": figures["email"], "sms": figures["sms"]}


def campaign_list_figures(campaigns: Iterable[Campaign]) -> dict[int, ListFigures]:
    """Sent per channel, codes used and their orders' revenue for each campaign of a list
    page: two queries whatever the number of campaigns (none for an empty list)."""
    by_source = {campaign.source: campaign for campaign in campaigns}
    if not by_source:
        return {}
    shop_ids = {campaign.shop_id for campaign in by_source.values()}
    sent: dict[int, dict[str, int]] = {campaign.pk: {} for campaign in by_source.values()}
    for row in (
        Message.objects.filter(shop_id__in=shop_ids, source__in=list(by_source), status=Status.SENT)
        .values("shop_id", "source", "channel")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        campaign = by_source[row["source"]]
        if campaign.shop_id == row["shop_id"]:
            sent[campaign.pk][row["channel"]] = row["count"]
    uses = {
        row["campaign_id"]: row
        for row in _code_uses(sent.keys())
        .values("campaign_id")
        .annotate(count=Count("pk"), revenue=Sum(F("order__paid_amount") - F("order__refunded_amount")))
        .order_by()
    }
    return {
        pk: ListFigures(
            sent=channels,
            codes_used=uses.get(pk, {}).get("count", 0),
            codes_revenue=uses.get(pk, {}).get("revenue", 0) or 0,
        )
        for pk, channels in sent.items()
    }


def campaign_recipient_rows(*, shop: Shop, params: dict[str, Any]) -> tuple[list[str], int, Iterator[list[Any]]]:
    """The exporter "campaign_recipients" (``params={"campaign": id}``): every recipient with
    their contact, holdout, code and, per channel of the campaign, the message's status and
    reason. Read in chunks of recipients by id, each with one query for its messages, so a
    million rows never sit in memory."""
    campaign = Campaign.objects.for_shop(shop).get(pk=params["campaign"])
    channels = campaign.channels
    channel_names = dict(Message.Channel.choices)
    header = [_("Name"), _("Phone"), _("Email"), _("Held out"), _("Code"), _("Code state")]
    for channel in channels:
        name = str(channel_names[channel])
        header += [
            _("%(channel)s: status") % {"channel": name},
            _("%(channel)s: reason") % {"channel": name},
        ]
    recipients = Recipient.objects.filter(campaign=campaign)
    total = recipients.count()
    statuses = dict(Status.choices)
    code_states = dict(Recipient.CodeState.choices)

    def rows() -> Iterator[list[Any]]:
        after = 0
        while True:
            chunk = list(
                recipients.filter(pk__gt=after)
                .order_by("pk")
                .values_list(
                    "pk", "customer_id", "customer__name", "customer__phone", "customer__email", "held_out", "code",
                    "code_state",
                )[:EXPORT_CHUNK]
            )  # fmt: skip
            if not chunk:
                return
            first, after = after, chunk[-1][0]
            sent: dict[tuple[int, str], tuple[str, str]] = {
                (customer_id, channel): (status, error)
                for customer_id, channel, status, error in Message.objects.filter(
                    shop=shop,
                    source=campaign.source,
                    customer_id__in=recipients.filter(pk__gt=first, pk__lte=after).values("customer_id"),
                ).values_list("customer_id", "channel", "status", "error")
            }
            for _pk, customer_id, name, phone, email, held_out, code, code_state in chunk:
                row: list[Any] = [
                    name,
                    format_phone_national(phone),
                    email,
                    _("Yes") if held_out else _("No"),
                    code,
                    str(code_states.get(code_state, code_state)) if code_state else "",
                ]
                for channel in channels:
                    status, error = sent.get((customer_id, channel), ("", ""))
                    row += [str(statuses.get(status, status)) if status else "", error]
                yield row

    return header, total, rows()
