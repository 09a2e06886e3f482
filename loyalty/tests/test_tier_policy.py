"""Removing a tier, the 12-month basis and the yearly review."""

import datetime

import pytest

from imports.models import ImportJob
from loyalty.membership import members_activate
from loyalty.models import OpeningBalance, Tier, TierChange, TierRecalculation, TierSettings
from loyalty.orders import order_record
from loyalty.tests.test_tiers import _tier_post
from loyalty.tiers import tier_recalculation_run, tier_reviews_start, tier_settings_read, tiers_read
from members.models import Customer
from members.tests.factories import OrderDataFactory
from shops.models import ActivityEntry

NOW = datetime.datetime.now(datetime.UTC)
DAY = datetime.timedelta(days=1)


def people(shop, *spends):
    customers = [
        Customer.objects.create(shop=shop, phone=f"+8491234567{index}", name=f"Khách {index}", opening_revenue=spend)
        for index, spend in enumerate(spends)
    ]
    members_activate(shop=shop, actor=None, customer_ids=[c.pk for c in customers], when=NOW - 800 * DAY)
    return customers


def placed(shop):
    return dict(Customer.objects.filter(shop=shop).values_list("name", "tier__name"))


def run_latest_job(shop):
    job = TierRecalculation.objects.filter(shop=shop).latest("created_at")
    tier_recalculation_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def paid_order(external_id, phone, total, created):
    return OrderDataFactory(external_id=external_id, phone=phone, total=total, created_at=created)


def test_removing_a_tier_previews_and_moves_its_members_to_what_their_spend_reaches(
    owner_client, shop, django_capture_on_commit_callbacks
):
    people(shop, 1_000_000, 25_000_000, 60_000_000)
    assert placed(shop) == {"Khách 0": "Thành viên", "Khách 1": "Vàng", "Khách 2": "Kim cương"}
    gold = Tier.objects.get(shop=shop, name="Vàng")
    data = _tier_post(tiers_read(shop), remove=["Vàng"])

    preview = owner_client.post("/settings/loyalty/tiers/", {**data, "preview": "1"}).content.decode()
    assert "Trong 3 thành viên, 0 người sẽ lên hạng và 1 người sẽ xuống hạng. Sẽ xóa 1 hạng." in preview

    with django_capture_on_commit_callbacks(execute=False):
        owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"})
    job = run_latest_job(shop)

    assert (job.moved_up, job.moved_down) == (0, 1)
    assert placed(shop) == {"Khách 0": "Thành viên", "Khách 1": "Bạc", "Khách 2": "Kim cương"}
    gold.refresh_from_db()
    assert gold.removed_at is not None  # kept: the history names it
    change = TierChange.objects.filter(customer__name="Khách 1").latest("id")
    assert (change.from_tier.name, change.to_tier.name) == ("Vàng", "Bạc")
    assert [t.name for t in tiers_read(shop)] == ["Thành viên", "Bạc", "Kim cương"]
    filters = owner_client.get("/members/").content.decode()
    assert ">Vàng</option>" not in filters and ">Bạc</option>" in filters  # no longer offered as a filter
    entry = ActivityEntry.objects.filter(shop=shop, kind="settings.loyalty").latest("id")
    assert [t["name"] for t in entry.before["tiers"]] == ["Thành viên", "Bạc", "Vàng", "Kim cương"]
    assert [t["name"] for t in entry.after["tiers"]] == ["Thành viên", "Bạc", "Kim cương"]

    # The name is free again: a new "Vàng" at another threshold is a new tier.
    data = _tier_post(tiers_read(shop))
    data.update({"tiers-3-name": "Vàng", "tiers-3-threshold": "30000000", "tiers-3-multiplier": "1"})
    data["tiers-TOTAL_FORMS"] = "4"
    with django_capture_on_commit_callbacks(execute=False):
        owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"})
    assert Tier.objects.filter(shop=shop, name="Vàng").count() == 2
    assert [t.name for t in tiers_read(shop)] == ["Thành viên", "Bạc", "Vàng", "Kim cương"]


def test_the_lowest_tier_cannot_be_removed_without_another_at_zero(owner_client, shop):
    data = _tier_post(tiers_read(shop), remove=["Thành viên"])

    response = owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"}).content.decode()

    assert "Hạng đầu tiên phải bắt đầu từ 0 ₫" in response
    assert not Tier.objects.filter(shop=shop, removed_at__isnull=False).exists()


def test_on_the_12_month_basis_old_orders_and_old_opening_revenue_stop_counting(
    owner, owner_client, shop, django_capture_on_commit_callbacks
):
    recent, old = people(shop, 0, 0)
    order_record(shop=shop, data=paid_order("1", recent.phone, 6_000_000, NOW - 30 * DAY))
    order_record(shop=shop, data=paid_order("2", old.phone, 6_000_000, NOW - 400 * DAY))
    assert placed(shop) == {"Khách 0": "Bạc", "Khách 1": "Bạc"}  # lifetime: both reach Bạc

    data = _tier_post(tiers_read(shop), basis="12_months")
    preview = owner_client.post("/settings/loyalty/tiers/", {**data, "preview": "1"}).content.decode()
    assert "Trong 2 thành viên, 0 người sẽ lên hạng và 1 người sẽ xuống hạng" in preview
    with django_capture_on_commit_callbacks(execute=False):
        owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"})
    run_latest_job(shop)

    assert tier_settings_read(shop).basis == "12_months"
    assert placed(shop) == {"Khách 0": "Bạc", "Khách 1": "Thành viên"}
    page = owner_client.get(f"/members/{recent.pk}/").content.decode()
    assert "Chi tiêu 12 tháng gần đây: 6.000.000 ₫" in page

    # Upgrades follow the window too: 4M more within 12 months does not reach Bạc for the
    # member whose 6M is older than a year, 5M does (opening revenue imported now counts).
    order_record(shop=shop, data=paid_order("3", old.phone, 4_000_000, NOW - DAY))
    assert placed(shop)["Khách 1"] == "Thành viên"
    import_job = ImportJob.objects.create(
        shop=shop, kind="opening", file_name="x.xlsx", file_content=b"", file_sha256="0" * 64, uploaded_by=owner
    )
    OpeningBalance.objects.create(shop=shop, phone=old.phone, customer=old, job=import_job, row=2, amount=1_000_000)
    OpeningBalance.objects.create(
        shop=shop, phone="+84900000000", customer=recent, job=import_job, row=3, amount=9_000_000,
        created_at=NOW - 400 * DAY,
    )  # fmt: skip
    order_record(shop=shop, data=paid_order("4", old.phone, 0, NOW))  # any order event re-checks the tier
    assert placed(shop) == {"Khách 0": "Bạc", "Khách 1": "Bạc"}


def test_the_yearly_review_moves_members_down_once_on_its_date_in_the_shops_time_zone(
    owner_client, shop, django_capture_on_commit_callbacks
):
    (member,) = people(shop, 6_000_000)
    assert placed(shop) == {"Khách 0": "Bạc"}
    today = datetime.datetime.now(shop.tzinfo).date()
    review = datetime.date(today.year + 1, 3, 15)
    data = _tier_post(tiers_read(shop), downgrade=True, review=(3, 15))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"})
    assert callbacks == []  # only the review changed: nobody moves now
    settings = TierSettings.objects.get(shop=shop)
    assert (settings.downgrade, settings.review_month, settings.review_day, settings.reviews_since) == (
        True, 3, 15, today)  # fmt: skip
    entry = ActivityEntry.objects.filter(shop=shop, kind="settings.loyalty").latest("id")
    assert entry.before == {"downgrade": False, "review_month": 1, "review_day": 1}
    assert entry.after == {"downgrade": True, "review_month": 3, "review_day": 15}
    Customer.objects.filter(pk=member.pk).update(opening_revenue=1_000_000)  # e.g. refunds: spend now below Bạc

    # 14 March 23:59 in Hồ Chí Minh City (16:59 UTC): not yet.
    eve = datetime.datetime(review.year, 3, 14, 16, 59, tzinfo=datetime.UTC)
    assert tier_reviews_start(now=eve) == []
    # 15 March 00:01 local is still 14 March in UTC: the review starts, once.
    started = tier_reviews_start(now=datetime.datetime(review.year, 3, 14, 17, 1, tzinfo=datetime.UTC))
    assert len(started) == 1
    assert tier_reviews_start(now=datetime.datetime(review.year, 3, 20, tzinfo=datetime.UTC)) == []
    job = TierRecalculation.objects.get(pk=started[0])
    assert (job.review_date, job.requested_by) == (review, None)

    tier_recalculation_run(job_id=job.pk)

    assert placed(shop) == {"Khách 0": "Thành viên"}
    change = TierChange.objects.filter(customer=member).latest("id")
    assert (change.from_tier.name, change.to_tier.name, change.reason) == ("Bạc", "Thành viên", "Xét hạng hằng năm")


def test_no_review_is_held_for_a_date_before_it_was_switched_on(shop):
    people(shop, 1_000_000)
    TierSettings.objects.filter(shop=shop).update(
        downgrade=True, review_month=1, review_day=10, reviews_since=datetime.date(2026, 2, 1)
    )

    assert tier_reviews_start(now=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)) == []
    assert len(tier_reviews_start(now=datetime.datetime(2027, 1, 10, 5, tzinfo=datetime.UTC))) == 1


@pytest.mark.parametrize(("month", "day"), [(2, 29), (4, 31), (13, 1)])
def test_a_review_date_that_does_not_come_every_year_is_refused(owner_client, shop, month, day):
    data = _tier_post(tiers_read(shop), downgrade=True, review=(month, day))

    response = owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"}).content.decode()

    assert "Hãy chọn ngày xét hạng có mặt hằng năm" in response
    assert not TierSettings.objects.filter(shop=shop, downgrade=True).exists()
