"""The demo shop's campaigns, so that every campaign page has something real to show: one
sent three weeks ago with unique codes (some used in orders), a draft, and one scheduled
for next week with a shared code. The sent one is made by the engine's own steps (the
audience, the holdout, the codes, the outbox) and then dated as if it had gone out."""

import datetime
import secrets

from django.db import transaction
from django.utils import timezone

from campaigns.composer import campaign_messages_compose
from campaigns.models import Campaign, Offer, Recipient
from campaigns.sending import messages_queue, recipients_take
from campaigns.usage import code_uses_record
from loyalty.orders import order_record
from loyalty.tiers import tiers_read
from members.models import CustomerGroup, Order
from members.records import CustomerData, OrderData
from messaging.models import Message
from shops.models import Shop

Status = Message.Status


def demo_campaigns(*, shop: Shop, now: datetime.datetime | None = None) -> list[Campaign]:
    now = now or timezone.now()
    regulars = CustomerGroup.objects.for_shop(shop).filter(kind=CustomerGroup.Kind.STATIC).first()
    with transaction.atomic():
        sent = _sent_campaign(shop, now=now, group=regulars)
        draft = Campaign.objects.create(
            shop=shop,
            name="Khai trương chi nhánh Quận 3",
            kind=Campaign.Kind.NOTICE,
            audience=Campaign.Audience.ALL,
            send_email=True,
            email_subject="{ten_shop} mở chi nhánh mới ở Quận 3",
            email_body=(
                "Chào {ten|bạn},\n\n{ten_shop} mở chi nhánh thứ hai tại 12 Võ Văn Tần, Quận 3 từ thứ Bảy này. "
                "Mời {ten|bạn} ghé xem bộ sưu tập mới.\n\nHẹn gặp {ten|bạn}!"
            ),
            holdout_seed=secrets.token_hex(8),
        )
        tiers = [tier.pk for tier in tiers_read(shop) if tier.threshold > 0]
        scheduled = Campaign.objects.create(
            shop=shop,
            name="Ưu đãi Tết cho hạng Bạc và Vàng",
            kind=Campaign.Kind.OFFER,
            state=Campaign.State.SCHEDULED,
            audience=Campaign.Audience.TIERS,
            tier_ids=tiers,
            send_email=False,
            send_sms=True,
            sms_text="{ten_shop}: tang {ten|ban} ma {ma_uu_dai} giam {gia_tri} den {han_dung}",
            sms_plain=True,
            offer=Offer.objects.create(
                shop=shop,
                kind=Offer.Kind.PERCENTAGE,
                value=10,
                max_amount=200_000,
                validity=Offer.Validity.DATES,
                starts_on=(now + datetime.timedelta(days=7)).date(),
                ends_on=(now + datetime.timedelta(days=21)).date(),
                codes=Offer.Codes.SHARED,
                shared_code="TET2027",
            ),
            holdout_percent=10,
            holdout_seed=secrets.token_hex(8),
            send_at=now + datetime.timedelta(days=7),
            started_at=now,
        )
    return [sent, draft, scheduled]


def _sent_campaign(shop: Shop, *, now: datetime.datetime, group: CustomerGroup | None) -> Campaign:
    started = now - datetime.timedelta(days=21)
    campaign = Campaign.objects.create(
        shop=shop,
        name="Tri ân khách quen tháng 11",
        kind=Campaign.Kind.OFFER,
        state=Campaign.State.PREPARING,
        audience=Campaign.Audience.GROUPS if group else Campaign.Audience.ALL,
        group_ids=[group.pk] if group else [],
        send_email=True,
        send_sms=True,
        email_subject="{ten|Bạn} ơi, {ten_shop} gửi tặng mã giảm {gia_tri}",
        email_body=(
            "Chào {ten|bạn},\n\nCảm ơn {ten|bạn} đã luôn ủng hộ {ten_shop}. Tặng {ten|bạn} mã {ma_uu_dai} "
            "giảm {gia_tri} cho đơn từ 300.000 ₫, dùng đến hết {han_dung}.\n\nHẹn gặp lại {ten|bạn}!"
        ),
        sms_text="{ten_shop} tang {ten|ban} ma {ma_uu_dai} giam {gia_tri}, han {han_dung}",
        sms_plain=True,
        offer=Offer.objects.create(
            shop=shop,
            kind=Offer.Kind.FIXED_AMOUNT,
            value=50_000,
            minimum_order=300_000,
            validity=Offer.Validity.DAYS,
            valid_days=14,
            codes=Offer.Codes.UNIQUE,
        ),
        holdout_percent=10,
        holdout_seed=secrets.token_hex(8),
        created_at=started - datetime.timedelta(days=1),
        started_at=started,
    )
    recipients_take(campaign=campaign)
    ends = started + datetime.timedelta(days=14)
    waiting = Recipient.objects.filter(campaign=campaign, code_state=Recipient.CodeState.WAITING).order_by("pk")
    for number, recipient in enumerate(waiting, start=1):
        recipient.code = f"TRIAN{campaign.pk:02d}{number:04d}"
        recipient.code_state = Recipient.CodeState.MADE
        recipient.code_ends_at = ends
    Recipient.objects.bulk_update(waiting, ["code", "code_state", "code_ends_at"])
    made = Recipient.objects.filter(campaign=campaign, code_state=Recipient.CodeState.MADE).count()
    campaign.codes_made = made
    messages_queue(campaign=campaign)
    _date_as_sent(campaign, started=started)
    Campaign.objects.filter(pk=campaign.pk).update(
        state=Campaign.State.FINISHED,
        codes_made=made,
        queued_at=started,
        finished_at=started + datetime.timedelta(hours=2),
    )
    _orders_with_codes(shop, campaign, started=started)
    campaign.refresh_from_db()
    return campaign


def _date_as_sent(campaign: Campaign, *, started: datetime.datetime) -> None:
    """Every queued message written by the composer and dated as sent in the first hours;
    one address refused by the server, as happens."""
    queued = list(
        Message.objects.filter(source=campaign.source, status=Status.QUEUED).select_related("customer").order_by("pk")
    )
    composed = campaign_messages_compose(queued)
    for minute, message in enumerate(queued):
        words = composed[message.pk]
        message.subject, message.body = words.subject, words.text
        message.sending_at = message.sent_at = started + datetime.timedelta(minutes=2 + minute)
        message.attempts = 1
        message.status = Status.SKIPPED if words.skip else Status.SENT
        message.error = words.skip
    refused = next((m for m in queued if m.channel == Message.Channel.EMAIL and m.status == Status.SENT), None)
    if refused is not None:
        refused.status, refused.sent_at = Status.FAILED, None
        refused.error = (
            "550 5.1.1 The email account that you tried to reach does not exist. "
            "Địa chỉ này không nhận thư: hãy kiểm tra lại với khách."
        )
    Message.objects.bulk_update(
        queued, ["subject", "body", "sending_at", "sent_at", "attempts", "status", "error"], batch_size=500
    )


def _orders_with_codes(shop: Shop, campaign: Campaign, *, started: datetime.datetime) -> None:
    """A few recipients came back with their code within the week."""
    used = Recipient.objects.filter(campaign=campaign, code_state=Recipient.CodeState.MADE).select_related("customer")
    order_ids = []
    for day, recipient in enumerate(used.order_by("pk")[:4], start=1):
        placed = started + datetime.timedelta(days=day, hours=3)
        total = 450_000 + 150_000 * day
        result = order_record(
            shop=shop,
            data=OrderData(
                source=Order.Source.DEMO,
                external_id=f"demo-code-{campaign.pk}-{day}",
                number=f"#DM{campaign.pk}{day:03d}",
                total=total,
                paid_amount=total,
                refunded_amount=0,
                financial_status="paid",
                created_at=placed,
                updated_at=placed,
                paid_at=placed,
                discount_codes=[recipient.code.lower() if day % 2 else recipient.code],
                customer=CustomerData(phone=recipient.customer.phone, name=recipient.customer.name),
            ),
        )
        order_ids.append(result.order_id)
    code_uses_record(shop=shop, order_ids=order_ids)
