"""Deleting a customer group: asked first, logged, the customers kept, and only ever the
shop's own group."""

import pytest

from members.models import Customer, CustomerGroup, CustomerGroupMember
from members.services import group_add_customers, group_create
from members.tests.factories import CustomerFactory
from shops.models import ActivityEntry, ActivityKind


@pytest.fixture
def vip(shop):
    group = group_create(shop=shop, name="Khách VIP", kind="static")
    group_add_customers(group=group, customer_ids=[c.pk for c in CustomerFactory.create_batch(3, shop=shop)])
    return group


def test_the_group_page_links_to_a_confirmation_that_deletes_nothing_by_itself(staff_client, vip):
    assert f'href="/members/groups/{vip.pk}/delete/"' in staff_client.get(f"/members/groups/{vip.pk}/").content.decode()

    page = staff_client.get(f"/members/groups/{vip.pk}/delete/").content.decode()

    assert "Xóa nhóm “Khách VIP”? Nhóm đang có 3 khách hàng." in page
    assert CustomerGroup.objects.filter(pk=vip.pk).exists()


def test_deleting_a_group_keeps_its_customers_and_is_logged(staff_client, staff, shop, vip):
    response = staff_client.post(f"/members/groups/{vip.pk}/delete/", follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/members/groups/"
    assert "Đã xóa nhóm Khách VIP; 3 khách hàng của nhóm vẫn còn trong danh sách thành viên." in page
    assert "Khách VIP</a>" not in page
    assert not CustomerGroup.objects.filter(pk=vip.pk).exists()
    assert not CustomerGroupMember.objects.filter(group_id=vip.pk).exists()
    assert Customer.objects.filter(shop=shop).count() == 3
    entry = ActivityEntry.objects.get(kind=ActivityKind.GROUP_DELETED)
    assert (entry.shop, entry.actor, entry.target_label) == (shop, staff, "Khách VIP")
    assert entry.summary == "Đã xóa nhóm Khách VIP; nhóm có 3 khách hàng."
    assert entry.before["customers"] == 3


def test_a_rule_group_can_be_deleted_too(staff_client, shop):
    group = group_create(shop=shop, name="Sinh nhật tháng 3", kind="rules", rules={"birthday_month": 3})

    staff_client.post(f"/members/groups/{group.pk}/delete/")

    assert not CustomerGroup.objects.filter(pk=group.pk).exists()


def test_another_shops_group_answers_404_and_stays(staff_client, other_shop):
    theirs = group_create(shop=other_shop, name="Của shop khác", kind="static")

    assert staff_client.get(f"/members/groups/{theirs.pk}/delete/").status_code == 404
    assert staff_client.post(f"/members/groups/{theirs.pk}/delete/").status_code == 404
    assert CustomerGroup.objects.filter(pk=theirs.pk).exists()
    assert not ActivityEntry.objects.filter(kind=ActivityKind.GROUP_DELETED).exists()
