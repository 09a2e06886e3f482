"""Deleting a customer group that has phone lists: one being read or added makes it wait,
a waiting one is cancelled, a finished one stays in the history."""

import pytest

from imports.models import ImportJob
from members.models import CustomerGroup, CustomerGroupMember
from members.services import group_add_customers, group_create
from members.tests.factories import CustomerFactory


@pytest.fixture
def vip(shop):
    group = group_create(shop=shop, name="Khách VIP", kind="static")
    group_add_customers(group=group, customer_ids=[c.pk for c in CustomerFactory.create_batch(3, shop=shop)])
    return group


def _phone_list(shop, group, status, by):
    return ImportJob.objects.create(shop=shop, kind="phones", group=group, status=status, file_name="ds.xlsx",
                                    file_content=b"x", uploaded_by=by)  # fmt: skip


def test_a_group_whose_phone_list_is_being_read_waits_and_a_finished_list_stays_in_the_history(
    staff_client, staff, shop, vip
):
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
    from imports.kinds import Row, import_kind
    from imports.phone_lists import MATCHED

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
    from imports import tasks

    dropped = []
    monkeypatch.setattr(tasks.drop_import_rows, "delay", dropped.append)
    waiting = _phone_list(shop, vip, ImportJob.Status.READY, staff)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/members/groups/{vip.pk}/delete/")

    assert dropped == [waiting.pk]
