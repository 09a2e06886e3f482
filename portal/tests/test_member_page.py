"""The member's own page: the one-time code (lifetime, one use, tries, limits, the same answer
for a phone that is not a member), the short session, and one member's data only."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members.tests.factories import CustomerFactory, OrderFactory
from messaging.models import Message
from portal.models import SignInCode
from portal.services import BLANKED, sign_in_messages_blank
from rewards.models import Redemption
from rewards.tests.factories import RewardFactory, points_give
from shops.models import ActivityEntry, ActivityKind


@pytest.fixture
def home(shop):
    return reverse("portal:home", args=[shop.slug])


@pytest.fixture
def code_url(shop):
    return reverse("portal:code", args=[shop.slug])


def ask(client, home, phone):
    return client.post(home, {"phone": phone}, REMOTE_ADDR="203.0.113.7")


def sent_code(member) -> str:
    body = Message.objects.filter(customer=member, source__startswith="sign-in:").latest("id").body
    return re.search(r"\b(\d{6})\b", body)[1]


def sign_in(client, home, code_url, member, phone="0912 345 678"):
    ask(client, home, phone)
    return client.post(code_url, {"code": sent_code(member)})


def test_a_member_signs_in_with_the_code_sent_by_sms_and_sees_their_page(
    client, shop, member, home, code_url, django_assert_max_num_queries
):
    page = client.get(home)
    assert page.status_code == 200 and shop.name in page.text and 'inputmode="tel"' in page.text
    response = ask(client, home, "0912.345.678")  # any form of the number
    assert response.status_code == 302 and response.url == code_url
    message = Message.objects.get(customer=member)
    assert message.channel == Message.Channel.SMS and message.recipient == "+84912345678"
    code = sent_code(member)
    row = SignInCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64  # only a keyed hash is kept

    response = client.post(code_url, {"code": code})
    assert response.status_code == 302 and response.url == home
    with django_assert_max_num_queries(16):
        page = client.get(home)
    assert "Nguyễn Thị Lan" in page.text and 'id="member-points">250<' in page.text
    assert page.headers["Cache-Control"].startswith("max-age=0")
    entry = ActivityEntry.objects.get(kind=ActivityKind.MEMBER_SIGNED_IN)
    assert entry.target_id == str(member.pk) and entry.ip == "127.0.0.1"
    # The outbox's copy of the code is blanked once it is used.
    message.refresh_from_db()
    assert message.body == BLANKED and code not in message.body


def test_the_page_costs_the_same_queries_with_5_or_55_lines(client, shop, member, home, code_url, connection):
    sign_in(client, home, code_url, member)
    for n in range(5):
        OrderFactory(shop=shop, customer=member)
        RewardFactory(shop=shop, points=10 + n)

    def count():
        from django.db import connection as db
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(db) as queries:
            assert client.get(home).status_code == 200
        return len(queries)

    few = count()
    for n in range(50):
        OrderFactory(shop=shop, customer=member)
        RewardFactory(shop=shop, points=100 + n)
        points_give(member, 1, key=f"more-{n}")
    assert count() == few


def test_a_code_works_once(client, shop, member, home, code_url):
    ask(client, home, "0912345678")
    code = sent_code(member)
    assert client.post(code_url, {"code": code}).status_code == 302
    other = Client()
    ask(other, home, "0912345678")
    # The first code, typed again elsewhere, is no longer the latest and was used.
    response = other.post(code_url, {"code": code})
    assert response.status_code == 200 and 'id="member-points"' not in response.text


def test_a_code_lapses_after_5_minutes(client, shop, member, home, code_url, clock):
    ask(client, home, "0912345678")
    code = sent_code(member)
    clock.set(timezone.now() + datetime.timedelta(minutes=5, seconds=1))
    response = client.post(code_url, {"code": code})
    assert response.status_code == 200 and "hết hạn" in response.text
    assert sign_in_messages_blank() == 1
    assert code not in Message.objects.get(customer=member).body


def test_five_wrong_tries_lock_the_code(client, shop, member, home, code_url):
    ask(client, home, "0912345678")
    code = sent_code(member)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    texts = [client.post(code_url, {"code": wrong}).text for _ in range(5)]
    assert "Còn 4 lần thử" in texts[0] and "khoá" in texts[4]
    response = client.post(code_url, {"code": code})  # the right one, too late
    assert response.status_code == 200 and "khoá" in response.text
    assert SignInCode.objects.get().used_at is None
    assert not ActivityEntry.objects.filter(kind=ActivityKind.MEMBER_SIGNED_IN).exists()


def test_codes_per_phone_and_per_address_are_limited(client, shop, member, home, settings, clock):
    for _ in range(3):
        assert ask(client, home, "0912345678").status_code == 302
    refused = ask(client, home, "0912345678")
    assert refused.status_code == 200 and "Thử lại sau 60 phút" in refused.text
    assert SignInCode.objects.count() == 3 and Message.objects.count() == 3
    # Other phones from the same address: up to the address's limit.
    for n in range(settings.PORTAL_CODES_PER_ADDRESS_HOUR - 3):
        assert ask(client, home, f"09881{n:05d}").status_code == 302
    assert ask(client, home, "0977000111").status_code == 200
    # An hour later the phone may ask again.
    clock.set(timezone.now() + datetime.timedelta(hours=1, minutes=1))
    assert ask(client, home, "0912345678").status_code == 302


def test_a_phone_that_is_not_a_member_gets_the_same_answer(shop, member, home, code_url):
    CustomerFactory(shop=shop, phone="+84987654321")  # a customer, not a member
    answers = {}
    for phone in ("0912345678", "0987654321", "0933333333"):
        client = Client()
        response = ask(client, home, phone)
        page = client.get(response.url)
        wrong = client.post(code_url, {"code": "000000"})
        answers[phone] = (
            response.status_code,
            response.url,
            re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.text).replace(
                phone[:4] + " " + phone[4:7] + " " + phone[7:], "PHONE"
            ),
            wrong.text.count("Còn 4 lần thử"),
        )
    assert len(set(answers.values())) == 1, answers
    assert Message.objects.count() == 1  # only the member was sent a code
    assert SignInCode.objects.count() == 3  # and every phone counts toward its limits


def test_a_member_without_sms_consent_gets_the_code_by_email(client, shop, member, home, code_url):
    member.accepts_sms = False
    member.save()
    ask(client, home, "0912345678")
    message = Message.objects.get(customer=member)
    assert message.channel == Message.Channel.EMAIL and message.recipient == "lan@example.vn"
    assert client.post(code_url, {"code": sent_code(member)}).status_code == 302


def test_a_bad_number_is_refused_with_what_to_fix(client, home):
    response = ask(client, home, "12345")
    assert response.status_code == 200 and "0912 345 678" in response.text
    assert not SignInCode.objects.exists()


def test_the_session_is_short_and_for_one_shop(client, shop, other_shop, member, home, code_url, clock):
    sign_in(client, home, code_url, member)
    assert 'id="member-points"' in client.get(home).text
    other_home = reverse("portal:home", args=[other_shop.slug])
    assert 'id="member-points"' not in client.get(other_home).text
    clock.set(timezone.now() + datetime.timedelta(minutes=31))
    assert 'id="member-points"' not in client.get(home).text


def test_a_member_sees_only_their_own_data(client, shop, member, home, code_url, connection):
    neighbour = CustomerFactory(shop=shop, name="Trần Văn Bình", member_since=timezone.now())
    points_give(neighbour, 999)
    OrderFactory(shop=shop, customer=neighbour, number="#BINH-1")
    reward = RewardFactory(shop=shop, points=10)
    Redemption.objects.create(
        shop=shop, customer=neighbour, reward=reward, name=reward.name, kind=reward.kind, value=reward.value,
        valid_days=30, points=10, request_key="binh", code="DDBINHCODE",
    )  # fmt: skip
    OrderFactory(shop=shop, customer=member, number="#LAN-1")
    sign_in(client, home, code_url, member)
    page = client.get(home).text
    assert "#LAN-1" in page and "250" in page
    assert "Bình" not in page and "#BINH-1" not in page and "DDBINHCODE" not in page and "999" not in page
    # Redeeming names only a reward: the member is the session's.
    client.post(reverse("portal:redeem", args=[shop.slug]), {"reward": reward.pk, "request_key": "r1"})
    assert Redemption.objects.filter(customer=member).count() == 1
    assert Redemption.objects.filter(customer=neighbour).count() == 1


def test_a_member_redeems_on_their_page(client, shop, member, home, code_url, connection):
    reward = RewardFactory(shop=shop, points=100, name="Giảm 50.000 ₫")
    RewardFactory(shop=shop, points=5000, name="Giảm 1.000.000 ₫")
    sign_in(client, home, code_url, member)
    page = client.get(home).text
    assert "Giảm 50.000 ₫" in page and "4750" in page.replace(".", "")  # 4,750 more points for the other
    redeem = reverse("portal:redeem", args=[shop.slug])
    response = client.post(redeem, {"reward": reward.pk, "request_key": "tap"})
    client.post(redeem, {"reward": reward.pk, "request_key": "tap"})  # tapped twice
    assert response.status_code == 302
    redemption = Redemption.objects.get()
    assert redemption.actor is None and redemption.customer == member
    page = client.get(home).text
    assert redemption.code in page and 'id="member-points">150<' in page
    entry = ActivityEntry.objects.get(kind=ActivityKind.REWARD_REDEEMED)
    assert "trang" in entry.summary.lower() or "own page" in entry.summary


def test_redeeming_without_a_session_does_nothing(client, shop, member, connection):
    reward = RewardFactory(shop=shop, points=10)
    response = client.post(reverse("portal:redeem", args=[shop.slug]), {"reward": reward.pk, "request_key": "x"})
    assert response.status_code == 302 and not Redemption.objects.exists()


def test_an_unknown_shop_address_is_not_found(client, db):
    assert client.get("/m/khong-co/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_codes_asked_at_the_same_moment_still_keep_the_phones_limit(shop, member, settings):
    from django.db import connection as db_connection

    from core.tests.threads import in_threads
    from portal.services import sign_in_code_send

    if db_connection.vendor != "postgresql":
        pytest.skip("requests at the same moment: PostgreSQL (SQLite's writers queue at BEGIN)")
    refusals: list[str] = []

    def ask_now(index: int) -> None:
        refusals.append(sign_in_code_send(shop=shop, raw_phone="0912345678", ip=f"198.51.100.{index}").refusal)

    assert in_threads(ask_now, count=8) == []
    assert SignInCode.objects.count() == settings.PORTAL_CODES_PER_PHONE_HOUR == 3
    assert sum(1 for refusal in refusals if refusal) == 5
    assert Message.objects.filter(customer=member).count() == 3


def test_the_request_hands_the_code_to_a_worker_encrypted_for_any_phone(
    shop, member, monkeypatch, django_capture_on_commit_callbacks
):
    from portal import services, tasks
    from portal.tests.delivery import REAL_DISPATCH

    monkeypatch.setattr(services, "sign_in_code_dispatch", REAL_DISPATCH)
    handed: list[tuple] = []
    monkeypatch.setattr(tasks.deliver_sign_in_code, "delay", lambda *args: handed.append(args))
    for phone in ("0912345678", "0987654321"):  # a member's, and not
        with django_capture_on_commit_callbacks(execute=True):
            services.sign_in_code_send(shop=shop, raw_phone=phone, ip="203.0.113.7")
    assert [row_id for row_id, _sealed in handed] == list(
        SignInCode.objects.order_by("pk").values_list("pk", flat=True)
    )
    assert not Message.objects.exists()  # nothing is sent by the request itself
    for row_id, sealed in handed:
        assert not re.search(r"\d{6}", sealed)  # the code is not readable in the broker
        tasks.deliver_sign_in_code(row_id, sealed)
    message = Message.objects.get()
    assert message.customer == member and re.search(r"\b\d{6}\b", message.body)


def test_without_haravan_the_rewards_are_shown_but_not_sold(client, shop, member, home, code_url):
    RewardFactory(shop=shop, points=100, name="Giảm 50.000 ₫")
    sign_in(client, home, code_url, member)
    page = client.get(home).text
    assert "Giảm 50.000 ₫" in page and "Shop chưa mở đổi điểm" in page
    assert reverse("portal:redeem", args=[shop.slug]) not in page


def test_an_ipv6_household_is_one_address_and_the_shop_has_an_hourly_cap(shop, member, settings):
    from portal.services import address_key, sign_in_code_send

    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("203.0.113.7") == "203.0.113.7" and address_key(None) == ""
    for n in range(settings.PORTAL_CODES_PER_ADDRESS_HOUR):
        assert not sign_in_code_send(shop=shop, raw_phone=f"09881{n:05d}", ip=f"2001:db8:1:2::{n + 1:x}").refusal
    assert sign_in_code_send(shop=shop, raw_phone="0977000111", ip="2001:db8:1:2:dead::beef").refusal
    settings.PORTAL_CODES_PER_SHOP_HOUR = SignInCode.objects.count() + 1
    assert not sign_in_code_send(shop=shop, raw_phone="0977000222", ip="198.51.100.1").refusal
    refused = sign_in_code_send(shop=shop, raw_phone="0977000333", ip="198.51.100.2").refusal
    assert "Try again in a few minutes" in refused or "Thử lại sau ít phút" in refused
