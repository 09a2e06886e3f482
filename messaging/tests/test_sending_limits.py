"""The limits every message meets before it is handed over (DESIGN.md, "Campaigns"): Decree
91's quiet hours for advertising SMS and its cap of 3 advertising messages per recipient and
channel in 24 hours, the shop's daily email quota, and the provider's rate, each shared by
every worker through the database.

The outbox reads Django's clock; ``clock`` moves it to a chosen instant of the shop's day,
from where it runs on as a worker's would. The services that take ``now=`` are given it.
"""

import datetime
import threading
import zoneinfo

import pytest
from django.utils import timezone, translation

from campaigns.lifecycle import campaign_start
from campaigns.sending import campaign_prepare
from campaigns.tests.factories import CampaignFactory
from core.tests.threads import in_threads
from members.models import Customer
from members.tests.factories import CustomerFactory
from messaging.models import Message, MessagingSettings, SendingDay
from messaging.services import limits, message_queue, outbox_send
from messaging.tests.factories import MessageFactory
from shops.models import Shop

EMAIL, SMS = Message.Channel.EMAIL, Message.Channel.SMS
Status = Message.Status
HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")

QUIET = "SMS quảng cáo chỉ được gửi từ 07:00 đến 22:00"
CAPPED = "đã nhận 3 tin quảng cáo qua kênh này"


@pytest.fixture
def lan(shop):
    return CustomerFactory(shop=shop, name="Nguyễn Thị Lan", email="lan@example.vn", phone="+84912345678")


def message(shop, customer, *, channel=EMAIL, advertising=False, **fields):
    """A waiting message, due now (Django's clock): advertising (a promo code) or customer care."""
    now = timezone.now()
    if advertising:
        body = "[QC] Hoa Mai tặng bạn mã GIAM50 giảm 50.000 ₫. Từ chối: soạn TC gửi 8079"
    else:
        body = "Cảm ơn bạn đã mua hàng tại Hoa Mai. Bạn có 1.250 điểm."
    defaults = {
        "recipient": customer.email if channel == EMAIL else customer.phone,
        "subject": "Hoa Mai" if channel == EMAIL else "",
        "body": body,
        "next_attempt_at": now,
        "created_at": now,
    }
    return MessageFactory(
        shop=shop, customer=customer, channel=channel, advertising=advertising, **{**defaults, **fields}
    )


def send(shop, channel=EMAIL, **options):
    with translation.override("vi"):
        return outbox_send(shop_id=shop.pk, channel=channel, **options)


def refreshed(*messages):
    return [Message.objects.get(pk=m.pk) for m in messages]


# Quiet hours: advertising SMS only from 07:00 to 22:00 in the shop's time zone.


def test_an_advertising_sms_at_23_30_in_ho_chi_minh_city_waits_until_07_00_there_and_customer_care_goes(
    shop, lan, sms_ready, vietguys, clock
):
    clock.set(datetime.datetime(2030, 3, 11, 23, 30, tzinfo=HCM))  # 16:30 UTC: daytime in UTC
    offer = message(shop, lan, channel=SMS, advertising=True)
    thanks = message(shop, lan, channel=SMS)

    result = send(shop, SMS)

    offer, thanks = refreshed(offer, thanks)
    assert [request["sms"] for request in vietguys.requests] == [thanks.body]
    assert (result.sent, thanks.status) == (1, Status.SENT)
    assert (offer.status, offer.attempts) == (Status.QUEUED, 0)  # waiting, never dropped
    assert offer.next_attempt_at == datetime.datetime(2030, 3, 12, 7, 0, tzinfo=HCM)
    assert QUIET in offer.error


def test_an_advertising_sms_still_waits_at_06_59_and_goes_at_07_00_shop_time(shop, lan, sms_ready, vietguys, clock):
    clock.set(datetime.datetime(2030, 3, 11, 23, 30, tzinfo=HCM))
    late = message(shop, lan, channel=SMS, advertising=True)
    send(shop, SMS)

    clock.set(datetime.datetime(2030, 3, 12, 6, 59, tzinfo=HCM))
    early = message(shop, lan, channel=SMS, advertising=True)  # due now, one minute early
    send(shop, SMS)
    late, early = refreshed(late, early)
    assert vietguys.requests == []
    assert {(m.status, m.next_attempt_at) for m in (late, early)} == {
        (Status.QUEUED, datetime.datetime(2030, 3, 12, 7, 0, tzinfo=HCM))
    }
    assert QUIET in early.error

    clock.set(datetime.datetime(2030, 3, 12, 7, 0, tzinfo=HCM))
    result = send(shop, SMS)

    assert result.sent == 2 and len(vietguys.requests) == 2
    assert {m.status for m in refreshed(late, early)} == {Status.SENT}


def test_a_shop_in_tokyo_keeps_the_quiet_hours_of_tokyo_not_those_of_the_server(
    shop, other_shop, lan, sms_ready, vietguys, clock
):
    other_shop.time_zone = "Asia/Tokyo"
    other_shop.save()
    MessagingSettings.objects.create(
        shop=other_shop, sms_username="senvang", sms_password="vg-secret", sms_brandname="SENVANG"
    )
    hanako = CustomerFactory(shop=other_shop, name="Yamada Hanako", phone="+819012345678")
    # 14:30 UTC: 21:30 in Ho Chi Minh City (the server's zone), 23:30 in Tokyo.
    clock.set(datetime.datetime(2030, 3, 11, 14, 30, tzinfo=datetime.UTC))
    in_saigon = message(shop, lan, channel=SMS, advertising=True)
    in_tokyo = message(other_shop, hanako, channel=SMS, advertising=True)

    send(shop, SMS)
    send(other_shop, SMS)

    in_saigon, in_tokyo = refreshed(in_saigon, in_tokyo)
    assert [request["phone"] for request in vietguys.requests] == ["84912345678"]
    assert in_saigon.status == Status.SENT
    assert in_tokyo.status == Status.QUEUED
    assert in_tokyo.next_attempt_at == datetime.datetime(2030, 3, 12, 7, 0, tzinfo=TOKYO)  # 22:00 UTC on the 11th

    clock.set(datetime.datetime(2030, 3, 12, 7, 0, tzinfo=TOKYO))  # 05:00 in Ho Chi Minh City
    send(other_shop, SMS)

    assert Message.objects.get(pk=in_tokyo.pk).status == Status.SENT


@pytest.mark.parametrize(
    ("local", "waits_until"),
    [
        (datetime.datetime(2030, 3, 11, 0, 0), datetime.datetime(2030, 3, 11, 7, 0)),
        (datetime.datetime(2030, 3, 11, 6, 59, 59), datetime.datetime(2030, 3, 11, 7, 0)),
        (datetime.datetime(2030, 3, 11, 7, 0), None),
        (datetime.datetime(2030, 3, 11, 21, 59, 59), None),
        (datetime.datetime(2030, 3, 11, 22, 0), datetime.datetime(2030, 3, 12, 7, 0)),
        (datetime.datetime(2030, 3, 11, 23, 30), datetime.datetime(2030, 3, 12, 7, 0)),
    ],
)
@pytest.mark.parametrize("zone", [HCM, TOKYO], ids=["Ho_Chi_Minh", "Tokyo"])
def test_advertising_sms_may_go_from_07_00_until_before_22_00_in_the_shops_zone(local, waits_until, zone):
    shop = Shop(time_zone=zone.key)
    now = local.replace(tzinfo=zone).astimezone(datetime.UTC)  # as Django's clock gives it

    wait = limits.advertising_sms_wait(shop=shop, now=now)

    assert wait == (waits_until and waits_until.replace(tzinfo=zone))


def test_an_advertising_sms_whose_turn_comes_at_22_00_in_a_batch_taken_before_waits_until_07_00(
    shop, sms_ready, vietguys, clock, settings
):
    settings.MESSAGING_SMS_PER_SECOND = 1  # the second message's slot is a second after the first
    clock.set(datetime.datetime(2030, 3, 11, 21, 59, 59, tzinfo=HCM))
    first, second = (message(shop, CustomerFactory(shop=shop), channel=SMS, advertising=True) for _ in range(2))

    result = send(shop, SMS)

    first, second = refreshed(first, second)
    assert len(vietguys.requests) == 1
    assert (result.sent, result.waiting) == (1, 1)
    assert first.status == Status.SENT
    assert (second.status, second.attempts) == (Status.QUEUED, 0)
    assert second.next_attempt_at == datetime.datetime(2030, 3, 12, 7, 0, tzinfo=HCM)
    assert QUIET in second.error


# The cap: at most 3 advertising messages per recipient and channel in 24 hours.


def test_a_fourth_advertising_email_within_24_hours_is_skipped_with_the_reason_and_customer_care_goes(
    shop, lan, email_ready, mail_server, clock
):
    clock.set(datetime.datetime(2030, 3, 11, 10, 0, tzinfo=HCM))
    thanks_before = message(shop, lan)  # customer care does not count toward the cap
    offers = [message(shop, lan, advertising=True) for _ in range(4)]
    thanks_after = message(shop, lan)

    result = send(shop)

    *first_three, fourth = refreshed(*offers)
    assert (result.sent, result.skipped) == (5, 1)
    assert len(mail_server.to("lan@example.vn")) == 5
    assert {m.status for m in first_three} == {Status.SENT}
    assert fourth.status == Status.SKIPPED
    assert CAPPED in fourth.error
    assert {m.status for m in refreshed(thanks_before, thanks_after)} == {Status.SENT}


def test_the_cap_counts_each_channel_apart(shop, lan, email_ready, sms_ready, mail_server, vietguys, clock):
    clock.set(datetime.datetime(2030, 3, 11, 10, 0, tzinfo=HCM))
    for channel in (EMAIL, SMS):
        for _n in range(3):
            message(shop, lan, channel=channel, advertising=True)

    send(shop, EMAIL)
    send(shop, SMS)

    assert len(mail_server.received) == 3 and len(vietguys.requests) == 3
    assert set(Message.objects.values_list("status", flat=True)) == {Status.SENT}


def test_advertising_sent_more_than_24_hours_ago_no_longer_counts(shop, lan, email_ready, mail_server, clock):
    clock.set(datetime.datetime(2030, 3, 11, 10, 0, tzinfo=HCM))
    for _n in range(3):
        message(shop, lan, advertising=True)
    send(shop)

    clock.set(datetime.datetime(2030, 3, 12, 9, 59, tzinfo=HCM))
    too_soon = message(shop, lan, advertising=True)
    send(shop)
    clock.set(datetime.datetime(2030, 3, 12, 10, 1, tzinfo=HCM))
    next_day = message(shop, lan, advertising=True)
    send(shop)

    too_soon, next_day = refreshed(too_soon, next_day)
    assert (too_soon.status, next_day.status) == (Status.SKIPPED, Status.SENT)
    assert len(mail_server.to("lan@example.vn")) == 4


def test_what_may_have_reached_the_customer_counts_toward_the_cap_and_what_was_refused_does_not(
    shop, email_ready, mail_server, clock
):
    clock.set(datetime.datetime(2030, 3, 11, 10, 0, tzinfo=HCM))
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    refused, unknown = (CustomerFactory(shop=shop, email=f"{name}@example.vn") for name in ("hoa", "cuc"))
    for _n in range(3):
        message(shop, refused, advertising=True, status=Status.FAILED, sending_at=an_hour_ago, error="550 5.1.1")
    for status in (Status.SENT, Status.SENT, Status.UNKNOWN):
        message(shop, unknown, advertising=True, status=status, sending_at=an_hour_ago)
    to_refused, to_unknown = message(shop, refused, advertising=True), message(shop, unknown, advertising=True)

    send(shop)

    to_refused, to_unknown = refreshed(to_refused, to_unknown)
    assert (to_refused.status, to_unknown.status) == (Status.SENT, Status.SKIPPED)
    assert [m["To"] for m in mail_server.received] == ["hoa@example.vn"]


# The shop's daily email quota, shared by every batch, run and worker.


def test_the_daily_quota_is_shared_by_runs_and_the_rest_waits_for_the_shops_midnight(
    shop, email_ready, mail_server, clock
):
    email_ready.email_daily_quota = 3
    email_ready.save()
    customers = [CustomerFactory(shop=shop, email=f"khach{n}@example.vn") for n in range(6)]
    clock.set(datetime.datetime(2030, 3, 11, 20, 0, tzinfo=HCM))  # 13:00 UTC
    for customer in customers[:2]:
        message(shop, customer)
    assert send(shop, batch_size=1).sent == 2

    rest = [message(shop, customer) for customer in customers[2:]]
    result = send(shop, batch_size=2)  # another run: one email of today's quota is left

    assert result.sent == 1 and len(mail_server.received) == 3
    waiting = [m for m in refreshed(*rest) if m.status == Status.QUEUED]
    assert len(waiting) == 3
    # The shop's midnight, not UTC's (07:00 in Ho Chi Minh City), nor 24 hours later.
    assert {m.next_attempt_at for m in waiting} == {datetime.datetime(2030, 3, 12, 0, 0, tzinfo=HCM)}
    assert all("hạn mức 3 email" in m.error and m.attempts == 0 for m in waiting)
    assert "hạn mức 3 email" in result.stopped
    assert SendingDay.objects.get(shop=shop, channel=EMAIL).used == 3

    clock.set(datetime.datetime(2030, 3, 11, 23, 59, 59, tzinfo=HCM))
    Message.objects.filter(pk__in=[m.pk for m in waiting]).update(next_attempt_at=timezone.now())  # staff nudge
    assert send(shop).sent == 0

    clock.set(datetime.datetime(2030, 3, 12, 0, 0, 1, tzinfo=HCM))
    assert send(shop).sent == 3
    assert dict(SendingDay.objects.values_list("day", "used")) == {
        datetime.date(2030, 3, 11): 3,
        datetime.date(2030, 3, 12): 3,
    }


def test_an_email_held_back_by_the_quota_is_never_given_up_however_long_it_waited(
    shop, email_ready, mail_server, clock
):
    email_ready.email_daily_quota = 1
    email_ready.save()
    clock.set(datetime.datetime(2030, 3, 11, 10, 0, tzinfo=HCM))
    four_days_ago = timezone.now() - datetime.timedelta(days=4)
    old = [
        message(shop, CustomerFactory(shop=shop, email=f"khach{n}@example.vn"), created_at=four_days_ago)
        for n in range(2)
    ]

    send(shop)

    assert sorted(m.status for m in refreshed(*old)) == [Status.QUEUED, Status.SENT]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_send_more_than_the_quota(shop, email_ready, mail_server):
    email_ready.email_daily_quota = 5
    email_ready.save()
    for n in range(12):
        message(shop, CustomerFactory(shop=shop, email=f"khach{n}@example.vn"))

    errors = in_threads(lambda _index: outbox_send(shop_id=shop.pk, channel=EMAIL, batch_size=2))

    assert errors == []
    assert len(mail_server.received) == 5
    assert Message.objects.filter(status=Status.SENT).count() == 5
    midnight = limits.next_local_midnight(shop=shop, now=timezone.now())
    assert set(Message.objects.filter(status=Status.QUEUED).values_list("next_attempt_at", flat=True)) == {midnight}
    assert SendingDay.objects.get(shop=shop, channel=EMAIL).used == 5


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_the_last_of_a_days_quota_never_take_more_than_it(shop):
    days = [datetime.datetime(2030, 3, 1, 10, 0, tzinfo=HCM) + datetime.timedelta(days=n) for n in range(25)]
    granted = {day.date(): [] for day in days}
    each_day = threading.Barrier(4)

    def worker(_index):
        for day in days:  # every day starts with all four at the edge of a quota of 2
            each_day.wait()
            for _n in range(2):
                granted[day.date()].append(limits.quota_reserve(shop=shop, channel=EMAIL, count=1, quota=2, now=day))

    errors = in_threads(worker, count=4)

    assert errors == []
    assert {day: sum(counts) for day, counts in granted.items()} == {day.date(): 2 for day in days}
    assert set(SendingDay.objects.values_list("used", flat=True)) == {2}


def test_a_members_own_message_goes_ahead_of_a_campaigns_when_the_quota_is_short(shop, owner, email_ready, mail_server):
    email_ready.email_daily_quota = 2
    email_ready.save()
    joined = timezone.now() - datetime.timedelta(days=30)
    members = [
        CustomerFactory(shop=shop, name=f"Nguyễn Thị {name}", email=f"{address}@example.vn", member_since=joined)
        for name, address in (("Lan", "lan"), ("Huệ", "hue"), ("Mai", "mai"), ("Cúc", "cuc"))
    ]
    campaign = CampaignFactory(shop=shop)
    campaign_start(campaign=campaign, actor=owner, ip=None)
    assert campaign_prepare(campaign_id=campaign.pk) == "queued"
    own = message_queue(
        shop=shop, customer=members[3], channel=EMAIL, source="manual:receipt", source_label="Gửi từ trang khách hàng",
        subject="Hóa đơn của bạn", body="Cảm ơn chị Cúc đã mua hàng.",
    ).message  # fmt: skip
    campaigns = Message.objects.filter(source=campaign.source)
    # Queued after the campaign: only its priority can put it first.
    assert all(m.next_attempt_at < own.next_attempt_at and m.pk < own.pk for m in campaigns)

    result = send(shop, batch_size=1)

    assert result.sent == 2
    assert Message.objects.get(pk=own.pk).status == Status.SENT
    assert mail_server.received[0]["Subject"] == "Hóa đơn của bạn"
    assert sorted(campaigns.values_list("status", flat=True)) == [Status.QUEUED] * 3 + [Status.SENT]


def test_the_quota_day_is_the_shops_local_day(shop, other_shop):
    other_shop.time_zone = "Asia/Tokyo"
    other_shop.save()
    before_midnight = datetime.datetime(2030, 3, 11, 23, 59, tzinfo=HCM)  # 16:59 UTC
    after_midnight = datetime.datetime(2030, 3, 12, 0, 0, tzinfo=HCM)  # 17:00 UTC, the same UTC day

    granted = [
        limits.quota_reserve(shop=shop, channel=EMAIL, count=3, quota=3, now=now)
        for now in (before_midnight, before_midnight, after_midnight)
    ]

    assert granted == [3, 0, 3]
    assert limits.next_local_midnight(shop=shop, now=before_midnight) == after_midnight
    assert limits.next_local_midnight(shop=other_shop, now=before_midnight) == datetime.datetime(
        2030, 3, 13, 0, 0, tzinfo=TOKYO
    )


# The provider's rate, shared by every worker: a "next free slot" row.


def test_two_reservations_of_the_providers_rate_take_consecutive_slots(shop, other_shop, settings):
    settings.MESSAGING_EMAIL_PER_SECOND = 10
    now = datetime.datetime(2030, 3, 11, 10, 0, tzinfo=HCM)
    second = datetime.timedelta(seconds=1)

    first = limits.pace_reserve(shop=shop, channel=EMAIL, count=5, now=now)
    then = limits.pace_reserve(shop=shop, channel=EMAIL, count=5, now=now)  # another worker, same instant
    later = limits.pace_reserve(shop=shop, channel=EMAIL, count=5, now=now + 3 * second)

    assert (first, then) == (now, now + second / 2)
    assert later == now + 3 * second  # slots left unused are not saved up for a burst
    # Each shop's account and each channel has its own pace.
    assert limits.pace_reserve(shop=other_shop, channel=EMAIL, count=5, now=now) == now
    assert limits.pace_reserve(shop=shop, channel=SMS, count=5, now=now) == now


@pytest.mark.django_db(transaction=True)
def test_workers_reserving_at_the_same_instant_never_share_a_slot(shop, settings):
    settings.MESSAGING_EMAIL_PER_SECOND = 10
    now = datetime.datetime(2030, 3, 11, 10, 0, tzinfo=HCM)
    starts = []

    def worker(_index):
        for _n in range(20):
            starts.append(limits.pace_reserve(shop=shop, channel=EMAIL, count=1, now=now))

    errors = in_threads(worker)

    assert errors == []
    assert sorted(starts) == [now + datetime.timedelta(seconds=n / 10) for n in range(40)]


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_at_once_keep_the_providers_pace_together(shop, email_ready, mail_server, settings):
    settings.MESSAGING_EMAIL_PER_SECOND = 10
    for n in range(10):
        message(shop, CustomerFactory(shop=shop, email=f"khach{n}@example.vn"))
    before = timezone.now()

    errors = in_threads(lambda _index: outbox_send(shop_id=shop.pk, channel=EMAIL, batch_size=5))

    assert errors == []
    started = sorted(Message.objects.values_list("sending_at", flat=True))
    assert len(started) == 10 and len(mail_server.received) == 10
    # The n-th message started no earlier than the n-th slot of one pace of 10 a second (a
    # pace per worker would start two at each slot and finish in half the time).
    for n, at in enumerate(started):
        assert at >= before + datetime.timedelta(seconds=n / 10), n


# What was reserved and not handed over is given back.


def test_the_quota_reserved_for_messages_not_handed_over_is_given_back(shop, lan, email_ready, mail_server, clock):
    email_ready.email_daily_quota = 5
    email_ready.save()
    clock.set(datetime.datetime(2030, 3, 11, 10, 0, tzinfo=HCM))
    left = CustomerFactory(shop=shop, email="hoa@example.vn")
    for _n in range(4):
        message(shop, lan, advertising=True)  # the fourth is over the cap
    message(shop, left)
    Customer.objects.filter(pk=left.pk).update(accepts_email=False)  # unsubscribed after the queueing

    result = send(shop)

    assert (result.sent, result.skipped) == (3, 2)
    assert SendingDay.objects.get(shop=shop, channel=EMAIL).used == 3
    more = [message(shop, CustomerFactory(shop=shop, email=f"khach{n}@example.vn")) for n in range(2)]
    assert send(shop).sent == 2  # what was given back is sent today
    assert {m.status for m in refreshed(*more)} == {Status.SENT}
    assert SendingDay.objects.get(shop=shop, channel=EMAIL).used == 5


def test_a_batch_stopped_by_the_account_gives_its_whole_share_of_the_quota_back(shop, email_ready, mail_server):
    email_ready.smtp_password = "sai-mat-khau-ung-dung"
    email_ready.save()
    for n in range(3):
        message(shop, CustomerFactory(shop=shop, email=f"khach{n}@example.vn"))

    result = send(shop)

    assert result.sent == 0 and result.stopped
    assert SendingDay.objects.get(shop=shop, channel=EMAIL).used == 0


def test_giving_back_never_goes_below_nothing(shop):
    now = datetime.datetime(2030, 3, 11, 10, 0, tzinfo=HCM)
    limits.quota_reserve(shop=shop, channel=EMAIL, count=2, quota=5, now=now)

    limits.quota_release(shop=shop, channel=EMAIL, day=datetime.date(2030, 3, 11), count=3)

    assert SendingDay.objects.get(shop=shop, channel=EMAIL).used == 0
