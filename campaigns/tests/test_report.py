"""The campaign report: what was sent and why not, code uses, the revenue window with the
holdout's difference, the list page's figures and the recipients' export."""

import datetime
import itertools

from django.utils import timezone, translation

from campaigns import report
from campaigns.models import Campaign, CodeUse, Recipient
from campaigns.report import ReasonCount, campaign_list_figures, campaign_report
from campaigns.tests.factories import OfferCampaignFactory, RecipientFactory
from core.tests.spreadsheets import xlsx_rows
from members.models import Customer, Order
from members.services.customers import customer_update_contact
from members.tests.factories import CustomerFactory, OrderFactory
from messaging.models import Message, MessagingSettings
from messaging.services import email_unsubscribe
from messaging.tests.factories import MessageFactory
from shops.exports import export_request, export_run
from shops.models import ActivityEntry, ExportJob

Status = Message.Status
SENT_AT = timezone.now() - datetime.timedelta(days=3)
_phones = itertools.count()


def _campaign(shop, **fields) -> Campaign:
    values = {"state": Campaign.State.SENDING, "queued_at": SENT_AT, "send_sms": True, "revenue_days": 7}
    return OfferCampaignFactory(shop=shop, **{**values, **fields})


def _message(campaign, customer, channel="email", status=Status.SENT, error="", **fields) -> Message:
    return MessageFactory(
        shop=campaign.shop,
        customer=customer,
        source=campaign.source,
        channel=channel,
        status=status,
        error=error,
        recipient=customer.phone if channel == "sms" else "a@example.vn",
        **fields,
    )


def _group(campaign, count, *, held_out) -> list[Customer]:
    customers = Customer.objects.bulk_create(
        CustomerFactory.build(shop=campaign.shop, phone=f"+8498{next(_phones):07d}") for _ in range(count)
    )
    Recipient.objects.bulk_create(Recipient(campaign=campaign, customer=c, held_out=held_out) for c in customers)
    return customers


def test_counts_each_channel_by_status_with_the_reasons_most_frequent_first(shop, other_shop):
    campaign = _campaign(shop)
    MessagingSettings.objects.create(shop=shop, sms_part_price=800)
    people = [RecipientFactory(campaign=campaign).customer for _ in range(12)]
    wrong = "535-5.7.8 Username and Password not accepted"
    full = "550 Mailbox full"
    emails = [
        (Status.SENT, ""), (Status.SENT, ""), (Status.SENT, ""),
        (Status.FAILED, wrong), (Status.FAILED, full), (Status.FAILED, wrong),
        (Status.SKIPPED, "Không có địa chỉ email"), (Status.SKIPPED, "Không có địa chỉ email"),
        (Status.SKIPPED, "Khách đã từ chối email"),
        (Status.UNKNOWN, "Mất kết nối"), (Status.QUEUED, ""), (Status.SENDING, ""),
    ]  # fmt: skip
    for customer, (status, error) in zip(people, emails, strict=True):
        _message(campaign, customer, status=status, error=error)
    _message(campaign, people[0], "sms", sms_parts=2)
    _message(campaign, people[1], "sms", sms_parts=1)
    _message(campaign, people[2], "sms", status=Status.SKIPPED, error="Ngoài giờ gửi quảng cáo")
    _message(campaign, people[3], "sms", status=Status.FAILED, error="Số không hợp lệ", sms_parts=3)
    # Neither another campaign's messages nor another shop's with the same source count.
    _message(_campaign(shop), people[4], status=Status.FAILED, error=wrong)
    stranger = CustomerFactory(shop=other_shop)
    MessageFactory(shop=other_shop, customer=stranger, source=campaign.source, status=Status.SENT)

    figures = campaign_report(campaign)

    email, sms = figures.channels["email"], figures.channels["sms"]
    assert (email.sent, email.failed, email.skipped, email.unknown, email.waiting) == (3, 3, 3, 1, 2)
    assert email.failed_reasons == (ReasonCount(wrong, 2), ReasonCount(full, 1))
    assert email.skipped_reasons == (
        ReasonCount("Không có địa chỉ email", 2),
        ReasonCount("Khách đã từ chối email", 1),
    )
    assert (sms.sent, sms.failed, sms.skipped, sms.unknown, sms.waiting) == (2, 1, 1, 0, 0)
    assert sms.skipped_reasons == (ReasonCount("Ngoài giờ gửi quảng cáo", 1),)
    assert (figures.sms_parts, figures.sms_cost) == (3, 2_400)  # the sent parts only
    assert (figures.audience, figures.held_out) == (12, 0)


def test_code_uses_count_paid_orders_less_refunds_and_not_cancelled_or_voided(shop):
    campaign = _campaign(shop)
    recipient = RecipientFactory(campaign=campaign, code="TRIAN-1")
    customer = recipient.customer
    counted = [
        OrderFactory(shop=shop, customer=customer, total=1_000_000),
        OrderFactory(shop=shop, customer=customer, total=500_000, refunded_amount=200_000,
                     financial_status=Order.FinancialStatus.PARTIALLY_REFUNDED),
    ]  # fmt: skip
    not_counted = [
        OrderFactory(shop=shop, customer=customer, cancelled_at=timezone.now()),
        OrderFactory(shop=shop, customer=customer, refunded_amount=1_000_000,
                     financial_status=Order.FinancialStatus.REFUNDED),
        OrderFactory(shop=shop, customer=customer, financial_status=Order.FinancialStatus.VOIDED),
        OrderFactory(shop=shop, customer=customer, paid_amount=0, financial_status=Order.FinancialStatus.PENDING),
    ]  # fmt: skip
    for order in counted + not_counted:
        CodeUse.objects.create(campaign=campaign, order=order, recipient=recipient, code=recipient.code)
    other = _campaign(shop)
    CodeUse.objects.create(campaign=other, order=OrderFactory(shop=shop, customer=customer), code="KHAC")

    figures = campaign_report(campaign)

    assert (figures.codes_used, figures.codes_revenue) == (2, 1_300_000)


def test_revenue_in_the_window_per_member_against_the_holdout(shop, other_shop):
    campaign = _campaign(shop)
    a, b, c = (RecipientFactory(campaign=campaign).customer for _ in range(3))
    held = RecipientFactory(campaign=campaign, held_out=True).customer
    RecipientFactory(campaign=campaign, held_out=True)
    outsider = CustomerFactory(shop=shop)
    day = datetime.timedelta(days=1)
    OrderFactory(shop=shop, customer=a, total=1_000_000, created_at=SENT_AT + day)
    OrderFactory(shop=shop, customer=a, total=200_000, paid_amount=200_000, refunded_amount=50_000,
                 financial_status=Order.FinancialStatus.PARTIALLY_REFUNDED, created_at=SENT_AT + 2 * day)  # fmt: skip
    OrderFactory(shop=shop, customer=held, total=400_000, created_at=SENT_AT + day)
    # Not counted: before the send, after the window, cancelled, voided, someone not in the
    # campaign, and another shop's order.
    OrderFactory(shop=shop, customer=b, total=9_000_000, created_at=SENT_AT - datetime.timedelta(minutes=1))
    OrderFactory(shop=shop, customer=b, total=9_000_000, created_at=SENT_AT + 7 * day)
    OrderFactory(shop=shop, customer=c, total=9_000_000, created_at=SENT_AT + day, cancelled_at=timezone.now())
    OrderFactory(shop=shop, customer=c, created_at=SENT_AT + day, financial_status=Order.FinancialStatus.VOIDED)
    OrderFactory(shop=shop, customer=outsider, total=9_000_000, created_at=SENT_AT + day)
    OrderFactory(shop=other_shop, customer=c, total=9_000_000, created_at=SENT_AT + day)

    figures = campaign_report(campaign)

    assert (figures.audience, figures.held_out) == (3, 2)
    assert figures.window_ends_at == SENT_AT + 7 * day
    assert (figures.revenue, figures.buyers, figures.revenue_per_member) == (1_150_000, 1, 383_333)
    assert (figures.held_out_revenue, figures.held_out_buyers, figures.held_out_revenue_per_member) == (
        400_000,
        1,
        200_000,
    )
    assert figures.difference_per_member == 183_333
    assert figures.difference == 550_000  # (1_150_000 / 3 - 400_000 / 2) * 3
    assert figures.too_few


def test_a_campaign_not_yet_in_the_outbox_has_no_window(shop):
    campaign = _campaign(shop, queued_at=None)
    customer = RecipientFactory(campaign=campaign).customer
    OrderFactory(shop=shop, customer=customer, created_at=timezone.now())

    figures = campaign_report(campaign)

    assert (figures.send_started_at, figures.window_ends_at, figures.revenue) == (None, None, 0)


def test_too_few_until_both_groups_have_100_members_and_10_bought(shop):
    campaign = _campaign(shop)
    sent = _group(campaign, 100, held_out=False)
    held = _group(campaign, 99, held_out=True)
    for customer in sent[:5] + held[:5]:
        OrderFactory(shop=shop, customer=customer, total=100_000, created_at=SENT_AT + datetime.timedelta(hours=1))
    assert campaign_report(campaign).too_few  # 99 held out

    _group(campaign, 1, held_out=True)  # 100 each, 10 bought
    figures = campaign_report(campaign)
    assert not figures.too_few
    assert (figures.difference_per_member, figures.difference) == (0, 0)

    Order.objects.filter(customer=sent[0]).update(cancelled_at=timezone.now())  # 9 bought
    assert campaign_report(campaign).too_few


def test_without_a_holdout_there_is_no_difference(shop):
    campaign = _campaign(shop)
    _group(campaign, 150, held_out=False)

    figures = campaign_report(campaign)

    assert (figures.difference_per_member, figures.difference, figures.too_few) == (None, None, True)


def test_unsubscribes_since_the_send_per_channel(shop, owner):
    campaign = _campaign(shop)
    before, by_link, by_staff, _untouched = (RecipientFactory(campaign=campaign).customer for _ in range(4))
    held = RecipientFactory(campaign=campaign, held_out=True).customer
    outsider = CustomerFactory(shop=shop)
    email_unsubscribe(customer_id=before.pk, ip=None)
    earlier = ActivityEntry.objects.get(target_id=str(before.pk)).created_at
    Campaign.objects.filter(pk=campaign.pk).update(queued_at=earlier + datetime.timedelta(microseconds=1))
    campaign.refresh_from_db()
    for customer in (by_link, held, outsider):
        email_unsubscribe(customer_id=customer.pk, ip=None)
    customer_update_contact(
        shop=shop, actor=owner, customer=by_staff, ip=None, name=by_staff.name, phone=by_staff.phone, email="",
        birthday=None, gender="", city="", accepts_email=True, accepts_sms=False,
    )  # fmt: skip

    figures = campaign_report(campaign)

    assert (figures.channels["email"].unsubscribed, figures.channels["sms"].unsubscribed) == (1, 1)


def test_list_figures_in_two_queries_whatever_the_number_of_campaigns(shop, other_shop, django_assert_num_queries):
    first, second, idle = _campaign(shop), _campaign(shop), _campaign(shop, queued_at=None)
    customers = [RecipientFactory(campaign=first).customer for _ in range(4)]
    for customer in customers[:3]:
        _message(first, customer)
    _message(first, customers[0], "sms")
    _message(first, customers[3], status=Status.FAILED)
    _message(second, customers[0])
    order = OrderFactory(shop=shop, customer=customers[0], total=700_000)
    CodeUse.objects.create(campaign=first, order=order, code="A")
    cancelled = OrderFactory(shop=shop, customer=customers[1], cancelled_at=timezone.now())
    CodeUse.objects.create(campaign=first, order=cancelled, code="B")
    # Another shop's messages under the same source are not this campaign's.
    MessageFactory(shop=other_shop, source=first.source, status=Status.SENT)

    with django_assert_num_queries(2):
        figures = campaign_list_figures([first])
    assert figures[first.pk] == report.ListFigures(sent={"email": 3, "sms": 1}, codes_used=1, codes_revenue=700_000)

    with django_assert_num_queries(2):
        figures = campaign_list_figures([first, second, idle])
    assert figures[second.pk] == report.ListFigures(sent={"email": 1}, codes_used=0, codes_revenue=0)
    assert figures[idle.pk] == report.ListFigures(sent={}, codes_used=0, codes_revenue=0)

    with django_assert_num_queries(0):
        assert campaign_list_figures([]) == {}


def test_the_export_lists_every_recipient_with_each_channel(shop, owner, owner_client, monkeypatch):
    monkeypatch.setattr(report, "EXPORT_CHUNK", 2)  # several chunks from a few rows
    campaign = _campaign(shop)
    lan = RecipientFactory(
        campaign=campaign, customer=CustomerFactory(shop=shop, name="Trần Lan", phone="+84912345678",
                                                    email="lan@example.vn"),
        code="TRIAN-LAN", code_state=Recipient.CodeState.MADE,
    )  # fmt: skip
    hue = RecipientFactory(campaign=campaign, customer=CustomerFactory(shop=shop, name="Lê Huệ", phone="+84987654321"))
    RecipientFactory(
        campaign=campaign, held_out=True, customer=CustomerFactory(shop=shop, name="Đỗ Mai", phone="+84901111222")
    )
    _message(campaign, lan.customer)
    _message(campaign, lan.customer, "sms")
    _message(campaign, hue.customer, status=Status.SKIPPED, error="Không có địa chỉ email")
    _message(campaign, hue.customer, "sms", status=Status.FAILED, error="Số không hợp lệ")
    other = _campaign(shop)
    RecipientFactory(campaign=other, customer=CustomerFactory(shop=shop, name="Người khác"))

    job = export_request(
        shop=shop, actor=owner, ip=None, kind="campaign_recipients", params={"campaign": campaign.pk},
        required_role="owner",
    )  # fmt: skip
    export_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.row_count) == (ExportJob.Status.DONE, 3)
    assert job.filename.startswith("chien-dich-nguoi-nhan-")

    rows = xlsx_rows(owner_client.get(f"/exports/{job.pk}/download/").getvalue())
    assert len(rows[0]) == 10  # six columns, then status and reason for email and for SMS
    assert rows[1:] == [
        ("Trần Lan", "0912 345 678", "lan@example.vn", "Không", "TRIAN-LAN", "Đã tạo", "Đã gửi", None, "Đã gửi", None),
        ("Lê Huệ", "0987 654 321", None, "Không", None, None, "Đã bỏ qua", "Không có địa chỉ email",
         "Không gửi được", "Số không hợp lệ"),
        ("Đỗ Mai", "0901 111 222", None, "Có", None, None, None, None, None, None),
    ]  # fmt: skip


def test_the_export_header_names_each_channel_of_the_campaign(shop):
    campaign = _campaign(shop, send_email=False)
    RecipientFactory(campaign=campaign)

    with translation.override("en"):
        header, total, rows = report.campaign_recipient_rows(shop=shop, params={"campaign": campaign.pk})
        assert header == ["Name", "Phone", "Email", "Held out", "Code", "Code state", "SMS: status", "SMS: reason"]
        assert total == 1
        assert [len(row) for row in rows] == [8]
