"""The campaign pages: the form refuses what cannot work and says what to fix, the
confirmation tells what a start will do, the buttons start, pause, resume and cancel, and
every page keeps to the staff member's shop."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign, CampaignSettings, Offer, Recipient
from campaigns.tests.factories import CampaignFactory
from members.models import CustomerGroup, CustomerGroupMember
from messaging.models import Message
from shops.models import ActivityEntry, ActivityKind

pytestmark = pytest.mark.django_db


def form_data(**fields):
    values = {
        "name": "Mừng Tết",
        "kind": "notice",
        "audience": "all",
        "send_email": "on",
        "email_subject": "Tin mới từ {ten_shop}",
        "email_body": "Chào {ten|bạn},\n\nCửa hàng có bộ sưu tập mới.",
        "sms_text": "",
        "holdout_percent": "0",
        "send_now": "1",
        "offer_kind": "fixed_amount",
        "offer_value": "50.000",
        "offer_minimum_order": "0",
        "offer_validity": "days",
        "offer_valid_days": "14",
        "offer_codes": "unique",
        "next": "draft",
    }
    values.update(fields)
    return {key: value for key, value in values.items() if value is not None}


def test_staff_create_a_notice_with_unique_codes_for_a_group_and_the_save_is_logged(staff_client, shop, staff, members):
    group = CustomerGroup.objects.create(shop=shop, name="Khách VIP", kind=CustomerGroup.Kind.STATIC)
    CustomerGroupMember.objects.bulk_create(CustomerGroupMember(group=group, customer=m) for m in members[:3])
    data = form_data(
        kind="offer",
        audience="groups",
        group_ids=str(group.pk),
        email_body="Mã {ma_uu_dai} giảm {gia_tri}, dùng đến {han_dung}.",
        holdout_percent="10",
    )

    response = staff_client.post("/campaigns/new/", data)

    campaign = Campaign.objects.get(shop=shop)
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.kind, campaign.audience, campaign.group_ids, campaign.holdout_percent) == (
        "offer",
        "groups",
        [group.pk],
        10,
    )
    offer = campaign.offer
    assert (offer.kind, offer.value, offer.codes, offer.valid_days) == (Offer.Kind.FIXED_AMOUNT, 50_000, "unique", 14)
    assert campaign.state == Campaign.State.DRAFT and campaign.created_by == staff and campaign.holdout_seed
    entry = ActivityEntry.objects.get(kind=ActivityKind.CAMPAIGN_SAVED)
    assert entry.actor == staff and entry.target_label == "Mừng Tết"


def test_an_unknown_placeholder_is_refused_with_the_nearest_name_and_nothing_is_saved(staff_client, shop):
    response = staff_client.post("/campaigns/new/", form_data(email_body="Chào {tne}, mời bạn ghé shop."))

    assert response.status_code == 200
    assert "{ten}" in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"kind": "offer", "offer_kind": "percentage", "offer_value": "10", "offer_max_amount": "100.000"},
         "offer_max_amount", "Haravan"),
        ({"kind": "offer", "offer_kind": "percentage", "offer_value": "120"}, "offer_value", "100"),
        ({"kind": "offer", "offer_codes": "shared", "offer_shared_code": " "}, "offer_shared_code", "Haravan"),
        ({"audience": "groups"}, "group_ids", None),
        ({"send_email": None}, "send_email", None),
        ({"send_now": "0", "send_date": "01/01/2020", "send_time": "09:00"}, "send_time", None),
        ({"kind": "offer", "offer_validity": "dates", "offer_starts_on": "10/12/2026", "offer_ends_on": "01/12/2026"},
         "offer_ends_on", None),
    ],
)  # fmt: skip
def test_the_form_refuses_what_cannot_work_with_a_message_under_the_field(staff_client, shop, fields, field, words):
    response = staff_client.post("/campaigns/new/", form_data(**fields))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    if words:
        assert words in " ".join(errors[field])
    assert not Campaign.objects.exists()


def test_a_time_is_read_in_the_shop_zone(staff_client, shop):
    day = timezone.localdate(timezone=shop.tzinfo) + datetime.timedelta(days=2)
    staff_client.post("/campaigns/new/", form_data(send_now="0", send_date=day.strftime("%d/%m/%Y"), send_time="09:00"))

    campaign = Campaign.objects.get(shop=shop)
    assert campaign.send_at == datetime.datetime.combine(day, datetime.time(9), tzinfo=shop.tzinfo)
    assert campaign.send_at.astimezone(datetime.UTC).hour == 2  # Asia/Ho_Chi_Minh is UTC+7


def test_a_started_campaign_cannot_be_edited(staff_client, shop):
    campaign = CampaignFactory(shop=shop, state=Campaign.State.SENDING)

    response = staff_client.post(f"/campaigns/{campaign.pk}/edit/", form_data(name="Khác"))

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name != "Khác"


def test_the_confirmation_counts_and_the_start_button_starts_once(staff_client, shop, members, email_ready):
    members[0].accepts_email = False
    members[0].save()
    campaign = CampaignFactory(shop=shop)

    page = staff_client.get(f"/campaigns/{campaign.pk}/confirm/").content.decode()
    assert 'id="confirm-email">4<' in page

    first = staff_client.post(f"/campaigns/{campaign.pk}/confirm/")
    second = staff_client.post(f"/campaigns/{campaign.pk}/confirm/", follow=True)

    assert first.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state in (Campaign.State.PREPARING, Campaign.State.SENDING, Campaign.State.FINISHED)
    assert ActivityEntry.objects.filter(kind=ActivityKind.CAMPAIGN_STARTED).count() == 1
    assert "đã được bắt đầu" in second.content.decode() or "already" in second.content.decode()


def test_what_stops_a_start_is_listed_and_the_button_is_not_shown(staff_client, shop):
    campaign = CampaignFactory(shop=shop)  # email, but no email settings

    page = staff_client.get(f"/campaigns/{campaign.pk}/confirm/").content.decode()

    assert 'id="start-campaign"' not in page
    assert "Gmail" in page


def test_pause_resume_and_cancel_from_the_campaign_page(staff_client, shop, staff):
    campaign = CampaignFactory(shop=shop, state=Campaign.State.SENDING, queued_at=timezone.now())
    Message.objects.create(
        shop=shop, customer=_customer(shop), channel="email", recipient="a@example.vn", source=campaign.source
    )

    staff_client.post(f"/campaigns/{campaign.pk}/pause/")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    staff_client.post(f"/campaigns/{campaign.pk}/resume/")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING
    staff_client.post(f"/campaigns/{campaign.pk}/cancel/")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED
    assert Message.objects.get(source=campaign.source).status == Message.Status.SKIPPED
    kinds = list(ActivityEntry.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds[-3:] == [ActivityKind.CAMPAIGN_PAUSED, ActivityKind.CAMPAIGN_RESUMED, ActivityKind.CAMPAIGN_CANCELLED]


def _customer(shop):
    from members.tests.factories import CustomerFactory

    return CustomerFactory(shop=shop, email="a@example.vn", member_since=timezone.now())


def test_another_shops_campaign_is_not_found(staff_client, other_shop):
    theirs = CampaignFactory(shop=other_shop)

    for path in ("", "edit/", "preview/", "confirm/", "preview/email/"):
        assert staff_client.get(f"/campaigns/{theirs.pk}/{path}").status_code == 404
    assert staff_client.post(f"/campaigns/{theirs.pk}/cancel/").status_code == 404
    assert Campaign.objects.get(pk=theirs.pk).state == Campaign.State.DRAFT


def test_the_live_counts_answer_per_channel(staff_client, shop, members):
    members[0].accepts_sms = False
    members[0].save()

    count = staff_client.get("/campaigns/audience-count/", {"audience": "all"}).json()
    sms = staff_client.get("/campaigns/sms-estimate/", {"sms_text": "Chào bạn", "kind": "notice"}).json()
    plain = staff_client.get("/campaigns/sms-estimate/", {"sms_text": "x" * 161, "kind": "notice", "sms_plain": "on"})

    assert (count["total"], count["email"], count["sms"]) == (5, 5, 4)
    assert sms["parts"] == 1
    assert plain.json()["parts"] == 2


def test_the_preview_shows_a_real_member_and_the_email_frame_has_its_own_policy(staff_client, shop, members):
    campaign = CampaignFactory(shop=shop, email_body="Chào {ten|bạn}, có hàng mới.")

    page = staff_client.get(f"/campaigns/{campaign.pk}/preview/?customer={members[1].pk}").content.decode()
    frame = staff_client.get(f"/campaigns/{campaign.pk}/preview/email/?customer={members[1].pk}")

    assert "Huệ" in page
    assert "Chào Huệ" in frame.content.decode()
    assert "sandbox" in frame["Content-Security-Policy"] and "script" not in frame["Content-Security-Policy"]
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


def test_settings_are_the_owners_and_a_change_is_logged(staff_client, owner, shop):
    assert staff_client.get("/campaigns/settings/").status_code == 403
    owner_client = Client()
    owner_client.force_login(owner)

    values = {"revenue_days": "14", "holdout_percent": "20", "sms_refuse_text": "Tu choi QC: 0901"}
    refused = owner_client.post("/campaigns/settings/", {**values, "cap_messages": "5", "cap_days": "0"})
    assert refused.status_code == 200 and "1 đến 90" in refused.content.decode()
    response = owner_client.post("/campaigns/settings/", {**values, "cap_messages": "3", "cap_days": "7"})

    assert response.status_code == 302
    settings = CampaignSettings.objects.get(shop=shop)
    assert (settings.revenue_days, settings.holdout_percent, settings.sms_refuse_text) == (14, 20, "Tu choi QC: 0901")
    assert (settings.cap_messages, settings.cap_days) == (3, 7)
    entry = ActivityEntry.objects.get(kind=ActivityKind.CAMPAIGN_SETTINGS_CHANGED)
    assert entry.after == {
        "revenue_days": 14,
        "holdout_percent": 20,
        "sms_refuse_text": "Tu choi QC: 0901",
        "cap_messages": 3,
    }


def test_staff_export_the_recipients_through_the_export_job(staff_client, shop, members):
    from shops.exports import export_run
    from shops.models import ExportJob

    campaign = CampaignFactory(shop=shop, state=Campaign.State.FINISHED)
    Recipient.objects.bulk_create(Recipient(campaign=campaign, customer=member) for member in members)

    response = staff_client.post(f"/campaigns/{campaign.pk}/export/")

    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    assert (job.kind, job.params) == ("campaign_recipients", {"campaign": campaign.pk})
    export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.row_count == len(members)
    assert staff_client.get(f"/exports/{job.pk}/download/").status_code == 200


def test_a_draft_is_edited_with_what_it_holds_and_the_change_is_logged(staff_client, shop):
    staff_client.post("/campaigns/new/", form_data(kind="offer", email_body="Mã {ma_uu_dai}", holdout_percent="10"))
    campaign = Campaign.objects.get()

    form = staff_client.get(f"/campaigns/{campaign.pk}/edit/").context["form"]
    assert (form.initial["offer_value"], form.initial["holdout_percent"], form.initial["kind"]) == (50_000, 10, "offer")
    staff_client.post(f"/campaigns/{campaign.pk}/edit/", form_data(name="Mừng Tết 2027"))  # now a notice

    campaign.refresh_from_db()
    assert (campaign.name, campaign.kind, campaign.offer, campaign.holdout_percent) == (
        "Mừng Tết 2027",
        "notice",
        None,
        0,
    )
    assert not Offer.objects.exists()
    changed = ActivityEntry.objects.filter(kind=ActivityKind.CAMPAIGN_SAVED).latest("pk")
    assert changed.after["name"] == "Mừng Tết 2027" and changed.before["kind"] == "offer"
