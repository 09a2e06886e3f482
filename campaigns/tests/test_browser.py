"""Headless Chromium, with the loopback SMTP server and the fake Haravan: staff create a 5-2
campaign with unique codes for a group, preview it, test-send it, start it and watch it go;
each member's email arrives once; a signed paid-order webhook uses one of the codes, and
the report shows it and its revenue. The worker's steps run in the test's process, one at
a time, so the page can be seen between them."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from campaigns.codes import codes_make
from campaigns.models import Campaign, Recipient
from campaigns.sending import campaign_codes_done, campaign_prepare
from haravan.models import WebhookEvent
from haravan.tasks import process_webhook
from haravan.tests.test_webhooks import order_body, post
from members.models import CustomerGroup, CustomerGroupMember
from messaging.services import outbox_send
from shops.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_staff_send_a_campaign_with_unique_codes_and_see_a_code_used_in_the_report(
    page, staff, shop, members, email_ready, mail_server, connection, fake_haravan, artifacts_dir, width
):
    page.set_viewport_size({"width": width, "height": 900})
    group = CustomerGroup.objects.create(shop=shop, name="Khách thân thiết", kind=CustomerGroup.Kind.STATIC)
    in_group = members[:3]
    CustomerGroupMember.objects.bulk_create(CustomerGroupMember(group=group, customer=m) for m in in_group)
    log_in(page, "nv.hoamai")
    page.wait_for_url("**/overview/")

    # 1. A 5-2 campaign with unique codes, for the group.
    page.goto("/campaigns/")
    page.locator("a[href='/campaigns/new/']").first.click()
    page.locator("input[name=name]").fill("Tri ân khách thân thiết")
    page.locator("input[name=kind][value=offer]").check()
    page.locator("input[name=audience][value=groups]").check()
    page.get_by_label("Khách thân thiết").check()
    expect(page.locator("#audience-count")).to_have_text(re.compile(r"^3 "))
    page.locator("input[name=email_subject]").fill("Quà tặng cho {ten|bạn} từ {ten_shop}")
    page.locator("textarea[name=email_body]").fill(
        "Chào {ten|bạn},\n\nMã {ma_uu_dai} giảm {gia_tri}, dùng đến {han_dung}."
    )
    page.locator("input[name=offer_kind][value=fixed_amount]").check()
    page.locator("input[name=offer_value]").fill("50.000")
    page.locator("input[name=offer_codes][value=unique]").check()
    page.locator("input[name=holdout_percent]").fill("0")
    page.screenshot(path=str(artifacts_dir / f"campaign-form-{width}.png"), full_page=True)
    page.locator("button[name=next][value=confirm]").click()

    page.wait_for_url("**/confirm/")
    campaign = Campaign.objects.get(shop=shop)
    assert page.locator("#confirm-email").inner_text() == "3"
    assert page.locator("#confirm-codes").inner_text() == "3"
    page.screenshot(path=str(artifacts_dir / f"campaign-confirm-{width}.png"), full_page=True)

    # 2. The preview, for a real member, and a test to the staff member's own address.
    page.goto(f"/campaigns/{campaign.pk}/preview/")
    frame = page.frame_locator("iframe.email-preview")
    assert "Chào" in frame.locator("body").inner_text()
    page.locator("input[name=email]").fill("thu.nghiem@example.vn")
    page.locator("#test-send").click()
    page.wait_for_load_state()
    (test,) = mail_server.to("thu.nghiem@example.vn")
    assert str(test["Subject"]).strip().startswith("[")  # marked as a test
    page.screenshot(path=str(artifacts_dir / f"campaign-preview-{width}.png"), full_page=True)

    # 3. Start it, and watch its progress as the worker's steps run.
    page.goto(f"/campaigns/{campaign.pk}/confirm/")
    page.locator("#start-campaign").click()
    page.wait_for_url(f"**/campaigns/{campaign.pk}/")
    assert campaign_prepare(campaign_id=campaign.pk) == "codes"
    page.reload()
    assert "0/3" in page.locator("#codes-progress").inner_text()
    assert codes_make(campaign_id=campaign.pk).done
    assert campaign_codes_done(campaign_id=campaign.pk) == "queued"
    page.reload()
    assert "3/3" in page.locator("#codes-progress").inner_text()
    assert outbox_send(shop_id=shop.pk, channel="email").sent == 3
    page.reload()
    assert page.locator("#report-email td").nth(1).inner_text() == "3"
    page.screenshot(path=str(artifacts_dir / f"campaign-sending-{width}.png"), full_page=True)

    # 4. Each member of the group once; nobody else.
    codes = dict(Recipient.objects.filter(campaign=campaign).values_list("customer_id", "code"))
    for member in members:
        received = mail_server.to(member.email)
        assert len(received) == (1 if member in in_group else 0), [(str(m["Subject"]), m["To"]) for m in received]
        if received:
            assert codes[member.pk] in received[0].get_body(("plain",)).get_content()

    # 5. A signed paid-order webhook that used one of the codes (typed in lower case).
    code = codes[in_group[0].pk]
    body = order_body(
        order_id=7001, discount_codes=[{"code": code.lower(), "amount": "50000.0", "type": "fixed_amount"}]
    )
    assert post(Client(), connection, body, topic="orders/paid").status_code == 200
    process_webhook.apply(args=[WebhookEvent.objects.get().pk])

    # 6. The report: one code used, and that order's revenue.
    page.reload()
    assert page.locator("#report-codes-used").inner_text() in ("1 mã đã dùng", "1 code used")
    assert page.locator("#report-codes-revenue").inner_text() == "1.200.000 ₫"
    page.screenshot(path=str(artifacts_dir / f"campaign-report-{width}.png"), full_page=True)
