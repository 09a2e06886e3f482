"""Headless Chromium, with the loopback SMTP server and the fake Haravan: staff turn on the
birthday automation with a unique code, see tomorrow's members in its preview of the next
run, and then, with Django's clock set to tomorrow at the chosen hour, beat's work runs (the
selection, the codes made in Haravan, the queueing, the outbox): each member's email
arrives once with their own code, and the automation's report fills."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.automations import automation_run
from campaigns.codes import codes_make
from campaigns.models import Campaign, Recipient
from members.tests.factories import CustomerFactory
from messaging.services import outbox_send
from shops.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_staff_turn_on_the_birthday_automation_with_a_code_and_it_sends_once_at_its_hour(
    page, staff, shop, email_ready, mail_server, connection, fake_haravan, artifacts_dir, clock, width
):
    page.set_viewport_size({"width": width, "height": 900})
    zone = shop.tzinfo
    local_now = timezone.localtime(timezone.now(), zone)
    tomorrow = local_now.date() + datetime.timedelta(days=1)
    joined = timezone.now() - datetime.timedelta(days=400)
    born = [
        CustomerFactory(
            shop=shop, name=name, email=f"{slug}@example.vn", birthday=tomorrow.replace(year=1992), member_since=joined
        )
        for name, slug in [("Nguyễn Thị Lan", "lan"), ("Trần Văn Bình", "binh"), ("Lê Thu Hà", "ha")]
    ]
    other = CustomerFactory(
        shop=shop, email="cuc@example.vn", birthday=(tomorrow + datetime.timedelta(days=3)).replace(year=1990),
        member_since=joined,
    )  # fmt: skip
    log_in(page, "nv.hoamai")
    page.wait_for_url("**/overview/")

    # 1. The birthday automation, at this hour of the day (so its next run is tomorrow), with
    # a unique code each, saved and turned on.
    page.goto("/campaigns/automations/")
    page.locator("a[href='/campaigns/automations/birthday/']").click()
    page.wait_for_url("**/automations/birthday/")
    page.locator("select[name=run_hour]").select_option(str(local_now.hour))
    page.locator("input[name=offered]").check()
    page.locator("input[name=offer_kind][value=fixed_amount]").check()
    page.locator("input[name=offer_value]").fill("100.000")
    page.locator("input[name=offer_validity][value=days]").check()
    page.locator("input[name=offer_valid_days]").fill("7")
    page.locator("input[name=offer_codes][value=unique]").check()
    page.locator("input[name=holdout_percent]").fill("0")
    page.locator("input[name=email_subject]").fill("Chúc mừng sinh nhật {ten|bạn}")
    page.locator("textarea[name=email_body]").fill(
        "Chào {ten|bạn},\n\n{ten_shop} tặng bạn mã {ma_uu_dai} giảm {gia_tri}, dùng đến {han_dung}."
    )
    page.locator("#campaign-form button[type=submit]").click()
    page.wait_for_url("**/automations/birthday/")
    automation = Campaign.objects.get(shop=shop, kind=Campaign.Kind.BIRTHDAY)
    assert automation.offer is not None and automation.run_hour == local_now.hour

    # 2. The preview of the next run: tomorrow's three birthdays.
    expect(page.locator("#automation-outlook")).to_contain_text(tomorrow.strftime("%d/%m/%Y"))
    expect(page.locator("#automation-outlook")).to_contain_text(re.compile(r"\b3\b"))
    page.locator("#automation-on").click()
    page.wait_for_url("**/automations/birthday/")
    expect(page.locator("#automation-state")).to_have_text(re.compile("Đang bật|On"))
    page.screenshot(path=str(artifacts_dir / f"automation-birthday-{width}.png"), full_page=True)
    page.goto(f"/campaigns/{automation.pk}/preview/")
    assert "Chào" in page.frame_locator("iframe.email-preview").locator("body").inner_text()

    # 3. Tomorrow at the chosen hour: beat's work, step by step, twice over.
    clock.set(datetime.datetime.combine(tomorrow, datetime.time(local_now.hour, 1), tzinfo=zone))
    automation.refresh_from_db()
    for _ in range(2):
        automation_run(campaign=automation, now=timezone.now())
        assert codes_make(campaign_id=automation.pk).done
        automation_run(campaign=automation, now=timezone.now())
        outbox_send(shop_id=shop.pk, channel="email")

    # 4. Each birthday once, with their own code; nobody else.
    codes = dict(Recipient.objects.filter(campaign=automation).values_list("customer_id", "code"))
    for member in born:
        (received,) = mail_server.to(member.email)
        assert codes[member.pk] and codes[member.pk] in received.get_body(("plain",)).get_content()
    assert mail_server.to(other.email) == []
    assert len(fake_haravan.discounts) == 3

    # 5. The report fills (a day later the staff member signs in again: sessions end when idle).
    log_in(page, "nv.hoamai")
    page.wait_for_url("**/overview/")
    page.goto("/campaigns/automations/birthday/")
    expect(page.locator("#automation-total td").nth(1)).to_have_text("3")
    page.screenshot(path=str(artifacts_dir / f"automation-birthday-report-{width}.png"), full_page=True)
