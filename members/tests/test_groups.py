import datetime

import pytest
from django.utils import timezone

from members.models import CustomerGroup, CustomerGroupMember
from members.selectors import group_members
from members.services import group_create
from members.tests.factories import CustomerFactory


@pytest.fixture
def customers(shop):
    now = timezone.now()
    return [
        CustomerFactory(shop=shop, name="Nguyễn Thị Mai", phone="+84912345678", total_spent=6_000_000, city="Hà Nội",
                        member_since=now, last_order_at=now - datetime.timedelta(days=5), email="mai@example.vn"),
        CustomerFactory(shop=shop, name="Trần Văn Nam", phone="+84382345678", total_spent=2_000_000, city="Hà Nội",
                        member_since=now, last_order_at=now - datetime.timedelta(days=200)),
        CustomerFactory(shop=shop, name="Lê Thị Hoa", phone="+84987654321", total_spent=9_000_000, city="Huế"),
    ]  # fmt: skip


def test_a_rule_group_resolves_its_conditions_when_used(shop, customers):
    group = group_create(shop=shop, name="VIP Hà Nội", kind="rules", rules={"member": "yes", "spent_min": 5_000_000})

    assert [c.name for c in group_members(group=group)] == ["Nguyễn Thị Mai"]
    customers[1].total_spent = 7_000_000
    customers[1].save()
    assert sorted(c.name for c in group_members(group=group)) == ["Nguyễn Thị Mai", "Trần Văn Nam"]  # stays current


def test_win_back_conditions_use_days_since_the_last_order(shop, customers):
    group = group_create(shop=shop, name="Lâu không mua", kind="rules", rules={"no_order_for_days": 90})

    assert sorted(c.name for c in group_members(group=group)) == ["Lê Thị Hoa", "Trần Văn Nam"]


def test_the_live_count_follows_the_conditions(staff_client, customers):
    everyone = staff_client.get("/members/groups/count/", {"name": "x"}).json()
    hanoi_members = staff_client.get("/members/groups/count/", {"name": "x", "city": "hà nội", "member": "yes"}).json()
    wrong = staff_client.get("/members/groups/count/", {"name": "x", "spent_min": "9", "spent_max": "1"}).json()

    assert (everyone["count"], hanoi_members["count"]) == (3, 2)
    assert hanoi_members["label"] == "2 khách hàng"
    assert wrong["count"] is None and "đổi chỗ" in wrong["error"]


def test_amounts_in_conditions_are_read_as_staff_write_them(staff_client, customers):
    # "5.000.000" is five million, not 5 (Django's integer field drops a ".000").
    spent = staff_client.get("/members/groups/count/", {"name": "x", "spent_min": "5.000.000"}).json()
    points = staff_client.get("/members/groups/count/", {"name": "x", "spent_min": "5.000", "spent_max": "6.000.000"})

    assert spent["count"] == 2  # 6 and 9 million
    assert points.json()["count"] == 2  # 2 and 6 million


def test_staff_build_a_rule_group_on_its_page(staff_client, shop, customers):
    response = staff_client.post("/members/groups/", {"name": "Khách Huế", "kind": "rules"})
    group = CustomerGroup.objects.get(shop=shop)
    assert response["Location"] == f"/members/groups/{group.pk}/"

    staff_client.post(f"/members/groups/{group.pk}/", {"name": "Khách Huế", "city": "Huế"})

    group.refresh_from_db()
    assert group.rules == {"city": "Huế"}
    page = staff_client.get(f"/members/groups/{group.pk}/").content.decode()
    assert "Lê Thị Hoa" in page and "Nguyễn Thị Mai" not in page


def test_add_a_filtered_list_to_a_static_group_once(staff_client, shop, customers):
    group = group_create(shop=shop, name="Hà Nội", kind="static")

    staff_client.post("/members/add-to-group/", {"target": group.pk, "q": "", "member": "yes"})
    response = staff_client.post("/members/add-to-group/", {"target": group.pk, "member": "yes"}, follow=True)

    assert CustomerGroupMember.objects.filter(group=group).count() == 2
    assert "0 khách hàng đã được thêm vào Hà Nội" in response.content.decode()


def test_remove_a_customer_from_a_static_group(staff_client, shop, customers):
    group = group_create(shop=shop, name="G", kind="static")
    CustomerGroupMember.objects.create(group=group, customer=customers[0])

    staff_client.post(f"/members/groups/{group.pk}/remove/{customers[0].pk}/")

    assert not CustomerGroupMember.objects.filter(group=group).exists()


def test_filter_the_member_list_by_group(staff_client, shop, customers):
    group = group_create(shop=shop, name="Huế", kind="rules", rules={"city": "Huế"})

    page = staff_client.get("/members/", {"group": group.pk}).content.decode()

    assert "Lê Thị Hoa" in page and "Trần Văn Nam" not in page


def test_another_shops_group_answers_404(staff_client, other_shop):
    group = group_create(shop=other_shop, name="Secret", kind="static")

    assert staff_client.get(f"/members/groups/{group.pk}/").status_code == 404
    assert staff_client.get("/members/", {"group": group.pk}).status_code == 200
