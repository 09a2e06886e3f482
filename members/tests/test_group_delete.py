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


def _phone_list(shop, group, status, by):
    from members.models import ImportJob

    return ImportJob.objects.create(shop=shop, kind="phones", group=group, status=status, file_name="ds.xlsx",
                                    file_content=b"x", uploaded_by=by)  # fmt: skip


def test_a_group_whose_phone_list_is_being_read_waits_and_a_finished_list_stays_in_the_history(
    staff_client, staff, shop, vip
):
    from members.models import ImportJob

    reading = _phone_list(shop, vip, ImportJob.Status.ANALYSING, staff)
    response = staff_client.post(f"/members/groups/{vip.pk}/delete/", follow=True)
    assert "đang được đọc hoặc thêm vào nhóm" in response.content.decode()
    assert CustomerGroup.objects.filter(pk=vip.pk).exists()

    ImportJob.objects.filter(pk=reading.pk).update(status=ImportJob.Status.DONE)
    waiting = _phone_list(shop, vip, ImportJob.Status.READY, staff)
    staff_client.post(f"/members/groups/{vip.pk}/delete/")

    assert not CustomerGroup.objects.filter(pk=vip.pk).exists()
    reading.refresh_from_db()
    waiting.refresh_from_db()
    assert (reading.status, reading.group) == (ImportJob.Status.DONE, None)
    assert (waiting.status, waiting.file_content) == (ImportJob.Status.CANCELLED, b"")
    page = staff_client.get(f"/members/imports/{reading.pk}/")
    assert page.status_code == 200 and 'href="/members/groups/"' in page.content.decode()


def test_a_list_that_stopped_before_it_was_added_keeps_its_group_and_a_deleted_groups_report_stays_true(
    staff_client, staff, shop, vip
):
    from members.imports import Row, import_kind
    from members.models import ImportJob
    from members.phone_lists import MATCHED

    stopped = _phone_list(shop, vip, ImportJob.Status.FAILED, staff)
    response = staff_client.post(f"/members/groups/{vip.pk}/delete/", follow=True)
    assert "dừng trước khi được thêm" in response.content.decode()
    assert CustomerGroup.objects.filter(pk=vip.pk).exists()

    ImportJob.objects.filter(pk=stopped.pk).update(status=ImportJob.Status.DONE)
    member = CustomerGroupMember.objects.filter(group=vip).select_related("customer").first().customer
    staff_client.post(f"/members/groups/{vip.pk}/delete/")
    stopped.refresh_from_db()
    row = Row(number=2, cells={}, key=member.phone, value=None, error="")
    outcome = import_kind("phones").result(shop, stopped, [row])[0]

    assert stopped.group is None and outcome.code == MATCHED and "đã bị xóa" in outcome.reason


def test_a_deleted_groups_waiting_list_has_its_preview_rows_dropped_too(
    staff_client, staff, shop, vip, monkeypatch, django_capture_on_commit_callbacks
):
    from members import tasks
    from members.models import ImportJob

    dropped = []
    monkeypatch.setattr(tasks.drop_import_rows, "delay", dropped.append)
    waiting = _phone_list(shop, vip, ImportJob.Status.READY, staff)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/members/groups/{vip.pk}/delete/")

    assert dropped == [waiting.pk]
