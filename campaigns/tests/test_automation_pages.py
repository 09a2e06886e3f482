"""The automation pages: one automation of each kind per shop, its settings and words saved
and logged, turned on only when it can send, turned off dropping what waits, the next run's
members named, the report by day and week, and each shop's own."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Recipient
from members.tests.factories import CustomerFactory
from messaging.models import Message
from shops.models import ActivityEntry, ActivityKind

pytestmark = pytest.mark.django_db


def automation_data(**fields):
    values = {
        "send_email": "on",
        "email_subject": "Chúc mừng sinh nhật {ten|bạn}",
        "email_body": "Chào {ten|bạn},\n\n{ten_shop} tặng bạn mã {ma_uu_dai}.",
        "sms_text": "",
        "holdout_percent": "10",
        "run_hour": "8",
        "lead_days": "0",
        "gift_points": "100",
        "offered": "on",
        "offer_kind": "fixed_amount",
        "offer_value": "50.000",
        "offer_minimum_order": "0",
        "offer_validity": "days",
        "offer_valid_days": "14",
        "offer_codes": "shared",
        "offer_shared_code": "SINHNHAT",
    }
    values.update(fields)
    return {key: value for key, value in values.items() if value is not None}


def test_the_automations_page_lists_one_of_each_kind_off_and_says_who_the_next_run_reaches(staff_client, shop):
    tomorrow = timezone.localtime(timezone.now(), shop.tzinfo).date() + datetime.timedelta(days=1)
    for _index in range(3):
        CustomerFactory(shop=shop, birthday=tomorrow.replace(year=1992), member_since=timezone.now())
    response = staff_client.get("/campaigns/automations/")
    assert response.status_code == 200
    assert set(Campaign.objects.filter(shop=shop).values_list("kind", "state")) == {
        ("birthday", "draft"),
        ("thank_you", "draft"),
        ("win_back", "draft"),
        ("tier_up", "draft"),
        ("points_expiring", "draft"),
    }
    staff_client.get("/campaigns/automations/")  # asked again: still one of each
    assert Campaign.objects.filter(shop=shop).count() == 5
    page = response.content.decode()
    assert "5-3 Sinh nhật" in page and "5-4 Cảm ơn" in page and "5-5 Nhắc mua hàng" in page
    # Today's run may still be ahead; tomorrow's birthdays are named either way on the birthday page.
    assert "thành viên có sinh nhật" in page


def test_staff_save_an_automations_settings_and_words_and_the_change_is_logged(staff_client, shop):
    response = staff_client.post("/campaigns/automations/birthday/", automation_data())
    assert response.status_code == 302
    automation = Campaign.objects.get(shop=shop, kind="birthday")
    assert (automation.run_hour, automation.gift_points, automation.holdout_percent) == (8, 100, 10)
    assert automation.offer.shared_code == "SINHNHAT" and automation.advertising
    assert ActivityEntry.objects.filter(shop=shop, kind=ActivityKind.CAMPAIGN_SAVED).count() == 1

    notice = automation_data(offered=None, email_body="Chào {ten|bạn}, chúc mừng sinh nhật.")
    staff_client.post("/campaigns/automations/birthday/", notice)
    automation.refresh_from_db()
    assert automation.offer is None and not automation.advertising


def test_an_unknown_placeholder_and_dates_validity_are_refused_with_what_to_fix(staff_client, shop):
    response = staff_client.post(
        "/campaigns/automations/birthday/",
        automation_data(email_body="Chào {tenn}", offer_validity="dates", offer_ends_on="31/12/2030"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "{ten}" in page  # the nearest valid name
    assert "số ngày" in page
    assert Campaign.objects.get(shop=shop, kind="birthday").email_body != "Chào {tenn}"


def test_turning_on_needs_sending_set_up_and_turning_off_drops_what_waits(staff_client, shop, email_ready):
    staff_client.post("/campaigns/automations/birthday/", automation_data())
    staff_client.post("/campaigns/automations/birthday/on/")
    automation = Campaign.objects.get(shop=shop, kind="birthday")
    assert automation.state == Campaign.State.ACTIVE and automation.started_at is not None

    member = CustomerFactory(shop=shop, email="lan@example.vn", member_since=timezone.now())
    Recipient.objects.create(campaign=automation, customer=member, occasion="2026", send_at=timezone.now())
    Message.objects.create(
        shop=shop, customer=member, channel="email", source=automation.source, occasion="2026",
        recipient=member.email, body="", composer="campaign", priority=1,
    )  # fmt: skip
    staff_client.post("/campaigns/automations/birthday/off/")
    automation.refresh_from_db()
    assert automation.state == Campaign.State.PAUSED
    message = Message.objects.get(source=automation.source)
    assert message.status == Message.Status.SKIPPED and "tắt" in message.error
    kinds = list(ActivityEntry.objects.filter(shop=shop, target_id=str(automation.pk)).values_list("kind", flat=True))
    assert ActivityKind.CAMPAIGN_STARTED in kinds and ActivityKind.CAMPAIGN_PAUSED in kinds


def test_an_automation_that_cannot_send_is_not_turned_on_and_the_page_says_why(staff_client, shop):
    response = staff_client.post("/campaigns/automations/thank_you/on/", follow=True)
    assert Campaign.objects.get(shop=shop, kind="thank_you").state == Campaign.State.DRAFT
    assert "Gmail" in response.content.decode()


def test_the_report_reads_by_day_and_by_week(staff_client, shop):
    automation_page = staff_client.get("/campaigns/automations/win_back/?by=week")
    assert automation_page.status_code == 200
    assert staff_client.get("/campaigns/automations/win_back/?by=day").status_code == 200


def test_an_unknown_kind_is_not_found_and_each_shop_has_its_own(staff_client, shop, other_shop):
    assert staff_client.get("/campaigns/automations/anniversary/").status_code == 404
    staff_client.get("/campaigns/automations/birthday/")
    other = Campaign.objects.create(shop=other_shop, kind="birthday", name="x")
    assert Campaign.objects.filter(shop=shop, kind="birthday").exclude(pk=other.pk).count() == 1
    # Another shop's automation is not reachable by its number.
    assert staff_client.get(f"/campaigns/{other.pk}/preview/").status_code == 404


def test_the_campaign_list_leaves_the_automations_out(staff_client, shop):
    staff_client.get("/campaigns/automations/")
    page = staff_client.get("/campaigns/").content.decode()
    assert "5-3 Sinh nhật" not in page
