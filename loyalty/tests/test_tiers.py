import datetime
from decimal import Decimal

from loyalty.membership import members_activate
from loyalty.models import Tier, TierChange
from loyalty.orders import order_record
from loyalty.selectors import tier_progress
from loyalty.tests.test_ledger import HOUR, PHONE, T0, order
from loyalty.tiers import tiers_read
from members.models import Customer


def test_a_new_member_gets_the_first_tier_and_climbs_as_soon_as_spend_crosses(shop):
    customer = Customer.objects.create(shop=shop, phone=PHONE, opening_revenue=4_000_000)
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk], when=T0 - HOUR)
    customer.refresh_from_db()
    assert customer.tier.name == "Thành viên"

    order_record(shop=shop, data=order(total=1_500_000))  # 4.0M opening + 1.5M paid = 5.5M

    customer.refresh_from_db()
    assert customer.tier.name == "Bạc"
    assert [(c.from_tier.name if c.from_tier else None, c.to_tier.name, c.reason)
            for c in TierChange.objects.order_by("id")] == [
        (None, "Thành viên", "Trở thành thành viên"), ("Thành viên", "Bạc", "Chi tiêu đạt ngưỡng hạng"),
    ]  # fmt: skip


def test_a_refund_does_not_drop_the_tier_by_itself(shop):
    customer = Customer.objects.create(shop=shop, phone=PHONE, opening_revenue=4_500_000)
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk], when=T0 - HOUR)
    order_record(shop=shop, data=order(total=1_000_000))
    order_record(shop=shop, data=order(total=1_000_000, status="refunded", refunded=1_000_000, updated=T0 + HOUR))

    customer.refresh_from_db()
    assert customer.tier.name == "Bạc"  # lowering is the yearly review's decision


def test_the_tier_multiplier_scales_points(shop):
    tiers_read(shop)
    Tier.objects.filter(shop=shop, name="Thành viên").update(multiplier=Decimal("1.5"))
    customer = Customer.objects.create(shop=shop, phone=PHONE)
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk], when=T0 - HOUR)

    order_record(shop=shop, data=order(total=1_000_000))

    customer.refresh_from_db()
    assert customer.points_balance == 150


def test_the_member_page_shows_the_tier_and_what_is_missing_for_the_next(staff_client, shop):
    customer = Customer.objects.create(shop=shop, phone=PHONE, opening_revenue=2_000_000)
    members_activate(
        shop=shop, actor=None, customer_ids=[customer.pk], when=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    customer.refresh_from_db()

    progress = tier_progress(customer)
    page = staff_client.get(f"/members/{customer.pk}/").content.decode()

    assert (progress["tier"].name, progress["next"].name, progress["missing"], progress["percent"]) == (
        "Thành viên", "Bạc", 3_000_000, 40)  # fmt: skip
    assert "Cần thêm 3.000.000 ₫ để lên hạng Bạc" in page


def test_members_filter_and_rule_groups_by_tier_and_points(staff_client, shop):
    from members.selectors import group_members
    from members.services import group_create

    rich = Customer.objects.create(shop=shop, phone=PHONE, name="Giàu", opening_revenue=60_000_000, points_balance=500)
    plain = Customer.objects.create(shop=shop, phone="+84987654321", name="Thường")
    members_activate(shop=shop, actor=None, customer_ids=[rich.pk, plain.pk])
    diamond = Tier.objects.get(shop=shop, name="Kim cương")

    page = staff_client.get("/members/", {"tier": diamond.pk}).content.decode()
    group = group_create(shop=shop, name="VIP", kind="rules", rules={"tier": diamond.pk, "points_min": 100})

    assert "Giàu" in page and "Thường" not in page
    assert [c.name for c in group_members(group=group)] == ["Giàu"]


def _tier_post(tiers, basis="lifetime", downgrade=False, review=(1, 1), remove=(), **changes):
    data = {
        "tiers-TOTAL_FORMS": str(len(tiers) + 1),
        "tiers-INITIAL_FORMS": str(len(tiers)),
        "review-basis": basis,
        "review-review_month": review[0],
        "review-review_day": review[1],
    }
    if downgrade:
        data["review-downgrade"] = "on"
    for index, tier in enumerate(tiers):
        data.update({f"tiers-{index}-pk": tier.pk, f"tiers-{index}-name": tier.name,
                     f"tiers-{index}-threshold": changes.get(tier.name, tier.threshold),
                     f"tiers-{index}-multiplier": "1"})  # fmt: skip
        if tier.name in remove:
            data[f"tiers-{index}-DELETE"] = "on"
    return data


def test_preview_then_save_places_every_member_again_in_the_background(owner_client, shop,
                                                                      django_capture_on_commit_callbacks):  # fmt: skip
    from loyalty.models import TierRecalculation
    from loyalty.tiers import tier_recalculation_run

    people = []
    for index, spend in enumerate([1_000_000, 6_000_000, 12_000_000, 30_000_000]):
        people.append(Customer.objects.create(shop=shop, phone=f"+8491234567{index}", opening_revenue=spend))
    members_activate(shop=shop, actor=None, customer_ids=[p.pk for p in people])
    tiers = tiers_read(shop)
    # Bạc from 5M to 10M: the 6M member moves down; Vàng from 20M to 10.5M: the 12M member moves up.
    data = _tier_post(tiers, **{"Bạc": 10_000_000, "Vàng": 10_500_000})

    preview = owner_client.post("/settings/loyalty/tiers/", {**data, "preview": "1"})
    assert "Trong 4 thành viên, 1 người sẽ lên hạng và 1 người sẽ xuống hạng" in preview.content.decode()
    assert Tier.objects.get(shop=shop, name="Bạc").threshold == 5_000_000  # nothing saved yet

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"})
    assert len(callbacks) == 1
    job = TierRecalculation.objects.get(shop=shop)
    tier_recalculation_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.done, job.moved_up, job.moved_down, job.percent) == ("done", 4, 1, 1, 100)
    placed = dict(Customer.objects.filter(shop=shop).values_list("opening_revenue", "tier__name"))
    assert placed == {1_000_000: "Thành viên", 6_000_000: "Thành viên", 12_000_000: "Vàng", 30_000_000: "Vàng"}
    moved = TierChange.objects.filter(reason="Thay đổi cấu hình hạng")
    assert moved.count() == 2
    assert {change.created_at.date() for change in moved} == {datetime.datetime.now(datetime.UTC).date()}
    page = owner_client.get("/settings/loyalty/tiers/").content.decode()
    assert "4 / 4 thành viên; 1 lên hạng, 1 xuống hạng" in page


def test_tiers_must_start_at_zero_and_be_distinct(owner_client, shop):
    tiers = tiers_read(shop)

    response = owner_client.post("/settings/loyalty/tiers/", {**_tier_post(tiers, **{"Thành viên": 100}), "save": "1"})

    assert "Hạng đầu tiên phải bắt đầu từ 0 ₫" in response.content.decode()


def test_clearing_a_tiers_name_is_refused_rather_than_losing_it(owner_client, shop):
    tiers = tiers_read(shop)
    data = _tier_post(tiers)
    data["tiers-3-name"] = ""

    response = owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"})

    assert "Hãy đặt tên cho mọi hạng, hoặc đánh dấu “Xóa” để xóa hạng" in response.content.decode()
    assert Tier.objects.filter(shop=shop, removed_at__isnull=True).count() == 4


def test_saving_unchanged_tiers_places_the_members_the_preview_counts(owner_client, shop,
                                                                     django_capture_on_commit_callbacks):  # fmt: skip
    from loyalty.models import TierRecalculation
    from loyalty.tiers import tier_recalculation_run

    # Given members written around activation (no tier yet) and one a refund left above
    # what their spend now reaches.
    tiers = tiers_read(shop)
    unplaced = [
        Customer.objects.create(shop=shop, phone=f"+8491234560{index}", opening_revenue=spend, member_since=T0)
        for index, spend in enumerate([1_000_000, 6_000_000])
    ]
    silver = Customer.objects.create(shop=shop, phone="+84912345679", opening_revenue=1_000_000, member_since=T0,
                                     tier=tiers[1])  # fmt: skip
    data = _tier_post(tiers)

    # When the owner previews without editing, then saves.
    preview = owner_client.post("/settings/loyalty/tiers/", {**data, "preview": "1"}).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"}, follow=True)

    # Then what the preview said is what saving does: the two without a tier are placed, and
    # nobody moves down, as the yearly review (off here) alone would move them.
    assert "Trong 3 thành viên, 2 người sẽ lên hạng và 0 người sẽ xuống hạng" in preview
    assert "Không có gì thay đổi" not in response.content.decode()
    assert len(callbacks) == 1
    tier_recalculation_run(job_id=TierRecalculation.objects.get(shop=shop).pk)
    placed = dict(Customer.objects.filter(shop=shop).values_list("pk", "tier__name"))
    assert placed == {unplaced[0].pk: "Thành viên", unplaced[1].pk: "Bạc", silver.pk: "Bạc"}
    job = TierRecalculation.objects.get(shop=shop)
    assert (job.moved_up, job.moved_down) == (2, 0)
    after = owner_client.post("/settings/loyalty/tiers/", {**data, "preview": "1"}).content.decode()
    assert "Trong 3 thành viên, 0 người sẽ lên hạng và 0 người sẽ xuống hạng" in after
    owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"})
    assert TierRecalculation.objects.filter(shop=shop).count() == 1  # nothing below its spend: no new job
    # An edit still places everyone again, both ways: the owner moved the thresholds.
    edited = owner_client.post("/settings/loyalty/tiers/", {**_tier_post(tiers, **{"Vàng": 21_000_000}),
                                                            "preview": "1"}).content.decode()  # fmt: skip
    assert "0 người sẽ lên hạng và 1 người sẽ xuống hạng" in edited


def test_a_member_without_a_tier_has_a_page_that_says_so(staff_client, shop):
    tiers_read(shop)
    customer = Customer.objects.create(shop=shop, phone=PHONE, member_since=T0)  # written around activation

    page = staff_client.get(f"/members/{customer.pk}/")

    assert page.status_code == 200
    assert "Chưa xếp hạng" in page.content.decode()


def test_a_shop_starts_with_the_guides_tiers_and_its_first_member_gets_the_lowest(db, monkeypatch):
    import io

    from django.core.management import call_command

    from loyalty.models import EarningSettings, TierSettings
    from shops.models import Shop

    monkeypatch.setattr("sys.stdin", io.StringIO("Hoa-mai-2026-xuan\n"))
    call_command("create_shop", "--name", "Hoa Mai", "--owner", "chu.hoamai", "--password-stdin", stdout=io.StringIO())

    shop = Shop.objects.get()
    assert list(Tier.objects.filter(shop=shop).values_list("name", "threshold")) == [
        ("Thành viên", 0), ("Bạc", 5_000_000), ("Vàng", 20_000_000), ("Kim cương", 50_000_000),
    ]  # fmt: skip
    assert EarningSettings.objects.filter(shop=shop).exists() and TierSettings.objects.filter(shop=shop).exists()
    customer = Customer.objects.create(shop=shop, phone=PHONE)
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk])
    customer.refresh_from_db()
    assert customer.tier.name == "Thành viên"
