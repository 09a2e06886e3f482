import phonenumbers
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from core.text import fold
from demo.data import demo_fill, demo_phone
from loyalty.services import points_balance_mismatches
from members.models import Customer, Order
from members.services import customers_refresh_totals


def test_demo_phones_are_distinct_valid_vietnamese_mobiles():
    phones = [demo_phone(index) for index in range(50_000)]

    assert len(set(phones)) == len(phones)
    for phone in phones[:2_000]:
        parsed = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(parsed), phone
        assert phonenumbers.region_code_for_number(parsed) == "VN"
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE, phone


def test_fold_strips_vietnamese_marks_and_case():
    assert fold("  Nguyễn   Đức Thắng ") == "nguyen duc thang"


def test_demo_fill_makes_customers_whose_figures_match_their_orders(shop):
    result = demo_fill(shop=shop, customers=400, orders_per_customer=2, batch_size=150)

    assert Customer.objects.for_shop(shop).count() == result.customers == 400
    assert Order.objects.for_shop(shop).count() == result.orders > 400
    assert Customer.objects.for_shop(shop).filter(member_since__isnull=False).count() > 100
    customer = Customer.objects.for_shop(shop).filter(orders_count__gte=2).first()
    assert Customer.objects.for_shop(shop).filter(points_balance__gt=0).exists()
    assert points_balance_mismatches(shop=shop) == []
    before = (customer.orders_count, customer.first_order_at, customer.last_order_at, customer.total_spent)
    customers_refresh_totals(customer_ids=[customer.pk])  # the database's own arithmetic
    customer.refresh_from_db()
    assert before == (customer.orders_count, customer.first_order_at, customer.last_order_at, customer.total_spent)
    assert customer.name.split()[0] in {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ",
                                        "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đinh", "Lâm",
                                        "Mai"}  # fmt: skip


def test_demo_members_have_the_tiers_points_and_history_a_year_of_orders_gives(shop):
    from loyalty.models import PointEntry, TierChange
    from loyalty.tiers import TierRow, tier_settings_read, tiers_preview, tiers_read

    started = timezone.now()
    demo_fill(shop=shop, customers=300)

    members = Customer.objects.for_shop(shop).filter(member_since__isnull=False)
    assert not members.filter(tier__isnull=True).exists()
    by_tier = dict(members.values_list("tier__name").annotate(count=Count("pk")).values_list("tier__name", "count"))
    assert by_tier["Thành viên"] > by_tier["Bạc"] > 0  # most at the bottom, some higher
    # Placed where their spend takes them: the tier page's preview moves nobody.
    rows = [TierRow(tier.pk, tier.name, tier.threshold, tier.multiplier) for tier in tiers_read(shop)]
    assert tiers_preview(shop=shop, rows=rows, basis=tier_settings_read(shop).basis)["up"] == 0
    assert tiers_preview(shop=shop, rows=rows, basis=tier_settings_read(shop).basis)["down"] == 0
    # Points were earned over the year, each line on its order's day, not at set-up.
    months = PointEntry.objects.filter(shop=shop).dates("created_at", "month")
    assert len(months) >= 10
    for entry in PointEntry.objects.filter(shop=shop, kind=PointEntry.Kind.EARN, created_at__lt=started)[:50]:
        assert entry.created_at == Order.objects.get(pk=entry.source_id).paid_at
    # Every member's history starts when they joined; moves up come later.
    first = TierChange.objects.filter(shop=shop, from_tier__isnull=True)
    assert first.count() == members.count()
    assert TierChange.objects.filter(shop=shop, from_tier__isnull=False).count() > 0
    change = first.select_related("customer").first()
    assert change.created_at == change.customer.member_since


def test_demo_data_command_adds_to_a_shop_without_clashing_phones(shop, capsys):
    call_command("demo_data", "--customers", "50", "--shop", str(shop.pk))
    call_command("demo_data", "--customers", "50", "--shop", str(shop.pk), "--seed", "2")

    assert Customer.objects.for_shop(shop).values("phone").distinct().count() == 100
    assert "Added 50 customers" in capsys.readouterr().out


def test_demo_setup_prints_a_login_that_works(db, client, capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("demo_setup", "--customers", "20")
    output = capsys.readouterr().out
    password = output.split("Password:")[1].split()[0]

    call_command("demo_setup")  # a second run keeps the shop and prints the same login

    assert f"Password:  {password}" in capsys.readouterr().out
    assert (tmp_path / "demo-login.txt").read_text() == f"Username: chushop\nPassword: {password}\n"
    (tmp_path / "demo-login.txt").write_text(password + "\n")  # as an older set-up wrote it
    call_command("demo_setup")
    assert (tmp_path / "demo-login.txt").read_text() == f"Username: chushop\nPassword: {password}\n"
    response = client.post("/login/", {"username": "chushop", "password": password})
    assert response.status_code == 302
    assert Customer.objects.count() == 20


def test_demo_rewards_show_every_state_and_keep_the_ledger_true(shop):
    from demo.data import demo_fill
    from demo.rewards import demo_rewards
    from loyalty.services import points_balance_mismatches
    from rewards.models import Redemption

    demo_fill(shop=shop, customers=120)
    demo_rewards(shop=shop)
    states = set(Redemption.objects.for_shop(shop).values_list("state", flat=True))
    assert states == {"used", "sent", "expired", "returned"}
    used = Redemption.objects.for_shop(shop).filter(state="used")
    assert all(r.order is not None and r.code in r.order.discount_codes for r in used)
    assert not points_balance_mismatches(shop=shop)
    assert not Customer.objects.for_shop(shop).filter(points_balance__lt=0).exists()
    # Nothing is dated in the future: a lapsed code's points came back after its last day.
    from django.utils import timezone

    from loyalty.models import PointEntry

    assert not PointEntry.objects.for_shop(shop).filter(created_at__gt=timezone.now()).exists()
    assert all(r.returned_at > r.ends_at for r in Redemption.objects.for_shop(shop).filter(state="expired"))
