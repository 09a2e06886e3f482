"""Headless Chromium at a phone's width, with the fake VietGuys and the fake Haravan: a member
opens the shop's page, types their phone loosely, reads the code from the SMS, signs in,
sees their points and tier, redeems a reward, sees the code on screen and in a second SMS;
staff see it on the member page; a signed paid-order webhook that carries the code marks it
used on both pages. The worker's steps run in the test's process, one at a time, so the
page can be seen between them."""

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from haravan.models import WebhookEvent
from haravan.tasks import process_webhook
from haravan.tests.test_webhooks import order_body, post
from loyalty.models import Tier
from messaging.models import Message
from messaging.services import outbox_send
from rewards.codes import Outcome, redemption_code_make
from rewards.models import Redemption
from rewards.tests.factories import RewardFactory
from shops.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def sms_to(vietguys, phone: str) -> list[str]:
    """The texts the fake VietGuys received for ``phone`` (84...), oldest first."""
    return [fields["sms"] for fields in vietguys.requests if fields.get("phone") == phone]


def section_shot(page, selector: str, path) -> None:
    """One section, cut from the whole page as it is at the top (the staff pages' sticky bar
    would cover an element's own screenshot)."""
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator(selector).bounding_box()
    page.screenshot(path=str(path), full_page=True, clip=box)


@pytest.fixture
def staff_page(browser, live_server):
    """A second browser, the shop's staff's: the member's sign-in stays in ``page``'s."""
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport=PHONE)
    context.set_default_timeout(15_000)
    staff_page = context.new_page()
    blocked = []
    staff_page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    yield staff_page
    context.close()
    assert blocked == [], f"The Content-Security-Policy blocked: {blocked}"


def test_a_member_signs_in_with_an_sms_code_redeems_a_reward_and_sees_it_used(
    page, staff_page, shop, staff, member, sms_ready, vietguys, connection, fake_haravan, artifacts_dir
):
    page.set_viewport_size(PHONE)
    member.tier = Tier.objects.for_shop(shop).order_by("threshold").first()  # "Thành viên"; "Bạc" is next
    member.save(update_fields=["tier"])
    within_reach = RewardFactory(shop=shop, name="Quà tri ân", points=100)
    RewardFactory(shop=shop, name="Quà VIP", value=500_000, points=1000, minimum_order=2_000_000)

    # 1. The shop's page: the phone, typed as people do.
    page.goto(f"/m/{shop.slug}/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.get_by_label("Số điện thoại của bạn").fill("0912.345.678")
    page.screenshot(path=str(artifacts_dir / "member-page-1-phone-390.png"), full_page=True)
    page.get_by_role("button", name="Gửi mã cho tôi").click()
    page.wait_for_url(f"**/m/{shop.slug}/code/")
    assert "0912 345 678" in page.locator("#code-sent").inner_text()

    # 2. The code, from the SMS the outbox hands to VietGuys.
    assert outbox_send(shop_id=shop.pk, channel="sms").sent == 1
    (text,) = sms_to(vietguys, "84912345678")
    code = re.search(r"\b(\d{6})\b", text)[1]
    assert "Thoi trang Hoa Mai" in text  # SMS without marks
    page.get_by_label("Mã gồm 6 chữ số").fill(f"{code[:3]} {code[3:]}")
    page.screenshot(path=str(artifacts_dir / "member-page-2-code-390.png"), full_page=True)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"**/m/{shop.slug}/")

    # 3. Their points and tier; one reward within reach, one not.
    expect(page.locator("#member-points")).to_have_text("250")
    expect(page.locator("#member-tier")).to_contain_text("Thành viên")
    rewards = page.locator("#rewards")
    assert rewards.get_by_role("button", name="Đổi").count() == 1
    assert rewards.locator(".reward-row.inactive").get_by_text("Quà VIP", exact=True).is_visible()
    expect(page.locator("#redemptions")).to_contain_text("Chưa đổi quà nào.")
    page.screenshot(path=str(artifacts_dir / "member-page-3-home-390.png"), full_page=True)
    rewards.locator("form.reward-row").filter(has_text=within_reach.name).get_by_role("button", name="Đổi").click()

    page.wait_for_url(f"**/m/{shop.slug}/")
    redemption = Redemption.objects.get(customer=member)
    assert redemption.state == Redemption.State.WAITING and redemption.actor is None
    expect(page.locator("#member-points")).to_have_text("150")
    expect(page.locator(".messages")).to_contain_text(redemption.code)
    expect(page.locator("#redemptions tbody tr").first).to_contain_text("Đang tạo mã")
    assert page.locator("meta[http-equiv=refresh]").count() == 1  # the page looks again by itself
    page.screenshot(path=str(artifacts_dir / "member-page-4-waiting-390.png"), full_page=True)
    page.screenshot(path=str(artifacts_dir / "member-page-4-waiting-viewport-390.png"))  # where the redirect lands

    # 4. The worker makes the code in Haravan; the page refreshes itself and shows it sent.
    assert redemption_code_make(redemption_id=redemption.pk) == Outcome.SENT
    assert [d["code"] for d in fake_haravan.discounts.values()] == [redemption.code]
    row = page.locator("#redemptions tbody tr").first
    expect(row).to_contain_text("Đã gửi", timeout=15_000)  # within the 4 s meta refresh, no reload by the test
    expect(row.locator("code.code")).to_have_text(redemption.code)
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    page.screenshot(path=str(artifacts_dir / "member-page-5-sent-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(artifacts_dir / "member-page-home-1366.png"), full_page=True)
    page.set_viewport_size(PHONE)
    # ... and the second SMS carries it.
    assert outbox_send(shop_id=shop.pk, channel="sms").sent == 1
    texts = sms_to(vietguys, "84912345678")
    assert len(texts) == 2 and redemption.code in texts[1], texts

    # 5. Staff see it on the member page, with its code and state.
    log_in(staff_page, "nv.hoamai")
    staff_page.wait_for_url("**/overview/")
    staff_page.goto(f"/members/{member.pk}/#rewards")
    staff_row = staff_page.locator("#rewards tbody tr").first
    expect(staff_row.locator("code.code")).to_have_text(redemption.code)
    expect(staff_row).to_contain_text("Đã gửi")
    staff_page.screenshot(path=str(artifacts_dir / "member-page-6-staff-sent-viewport-390.png"))  # at #rewards
    section_shot(staff_page, "#rewards", artifacts_dir / "member-page-6-staff-sent-rewards-390.png")
    staff_page.screenshot(path=str(artifacts_dir / "member-page-6-staff-sent-390.png"), full_page=True)

    # 6. A signed paid-order webhook whose order carried the code (typed in lower case).
    now = timezone.now().replace(microsecond=0)
    body = order_body(
        order_id=7101,
        customer={"id": 77, "first_name": "Lan", "last_name": "Nguyễn Thị", "phone": "0912.345.678"},
        created_at=(now - datetime.timedelta(minutes=2)).isoformat(),
        updated=now.isoformat(),
        discount_codes=[{"code": redemption.code.lower(), "amount": "50000.0", "type": "fixed_amount"}],
    )
    assert post(Client(), connection, body, topic="orders/paid").status_code == 200
    process_webhook.apply(args=[WebhookEvent.objects.get().pk])
    redemption.refresh_from_db()
    assert redemption.state == Redemption.State.USED and redemption.order is not None

    staff_page.reload()
    staff_row = staff_page.locator("#rewards tbody tr").first
    expect(staff_row).to_contain_text("Đã dùng")
    expect(staff_row).to_contain_text(redemption.order.number)
    staff_page.screenshot(path=str(artifacts_dir / "member-page-7-staff-used-390.png"), full_page=True)
    section_shot(staff_page, "#rewards", artifacts_dir / "member-page-7-staff-used-rewards-390.png")

    page.reload()
    row = page.locator("#redemptions tbody tr").first
    expect(row).to_contain_text("Đã dùng")
    expect(row.locator("code.code")).to_have_text(redemption.code)
    page.screenshot(path=str(artifacts_dir / "member-page-8-member-used-390.png"), full_page=True)


def test_the_page_a_redemption_lands_on_shows_the_code_by_itself_once_made(
    page, live_server, shop, member, connection, fake_haravan
):
    page.set_viewport_size(PHONE)
    RewardFactory(shop=shop, name="Quà tri ân", points=100)
    # Signed in by the test client (the browser test above goes through the forms).
    client = Client()
    client.post(f"/m/{shop.slug}/", {"phone": "0912 345 678"})
    text = Message.objects.filter(customer=member, source__startswith="sign-in:").latest("id").body
    client.post(f"/m/{shop.slug}/code/", {"code": re.search(r"\b(\d{6})\b", text)[1]})
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    page.goto(f"/m/{shop.slug}/")
    page.get_by_role("button", name="Đổi").click()
    page.wait_for_url(f"**/m/{shop.slug}/")
    row = page.locator("#redemptions tbody tr").first
    expect(row).to_contain_text("Đang tạo mã")

    assert redemption_code_make(redemption_id=Redemption.objects.get().pk) == Outcome.SENT
    expect(row).to_contain_text("Đã gửi", timeout=10_000)  # the meta refresh is every 4 s
