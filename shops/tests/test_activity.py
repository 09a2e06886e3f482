import datetime
import zoneinfo

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.tests.spreadsheets import xlsx_sheet
from shops.activity import SECRET_MASK, activity_record, mask_secrets
from shops.exports import export_run
from shops.models import ActivityEntry, ActivityKind, ExportJob, User

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def entry_at(shop, actor, local_time, kind=ActivityKind.LOGIN, summary="entry"):
    return ActivityEntry.objects.create(
        shop=shop,
        actor=actor,
        actor_name=actor.display_name if actor else "",
        kind=kind,
        summary=summary,
        created_at=local_time.replace(tzinfo=HCM),
    )


def test_secrets_are_masked_however_deep():
    masked = mask_secrets(
        {"host": "smtp.gmail.com", "password": "abcd efgh ijkl mnop", "vietguys": {"api_token": "t0k"}, "secret": ""}
    )

    assert masked == {
        "host": "smtp.gmail.com",
        "password": SECRET_MASK,
        "vietguys": {"api_token": SECRET_MASK},
        "secret": "",
    }


def test_the_log_refuses_to_be_rewritten(owner):
    entry = activity_record(shop=owner.shop, actor=owner, kind=ActivityKind.LOGIN, summary="logged in")

    with pytest.raises(DatabaseError), transaction.atomic():
        ActivityEntry.objects.filter(pk=entry.pk).update(summary="nothing happened")

    entry.refresh_from_db()
    assert entry.summary == "logged in"


def test_filter_by_person_kind_and_local_days(owner_client, owner, staff):
    shop = owner.shop
    entry_at(shop, owner, datetime.datetime(2026, 11, 9, 23, 59), summary="late on the 9th")
    entry_at(shop, owner, datetime.datetime(2026, 11, 10, 0, 1), summary="early on the 10th")
    entry_at(shop, staff, datetime.datetime(2026, 11, 10, 12, 0), summary="staff at noon")
    entry_at(shop, None, datetime.datetime(2026, 11, 10, 13, 0), ActivityKind.LOGIN_FAILED, "system noted")

    by_day = owner_client.get("/settings/activity/", {"date_from": "10/11/2026", "date_to": "10/11/2026"})
    by_person = owner_client.get("/settings/activity/", {"person": staff.pk})
    by_system = owner_client.get("/settings/activity/", {"person": "system", "kind": ActivityKind.LOGIN_FAILED})
    day_before = owner_client.get("/settings/activity/", {"date_to": "09/11/2026"})

    def shown(response):
        page = response.content.decode()
        return [s for s in ("late on the 9th", "early on the 10th", "staff at noon", "system noted") if s in page]

    assert shown(by_day) == ["early on the 10th", "staff at noon", "system noted"]
    assert shown(by_person) == ["staff at noon"]
    assert shown(by_system) == ["system noted"]
    assert shown(day_before) == ["late on the 9th"]
    assert "10/11/2026 00:01" in by_day.content.decode()  # shown in the shop's time, not UTC


def test_a_reversed_date_range_says_what_to_fix(owner_client):
    response = owner_client.get("/settings/activity/", {"date_from": "10/11/2026", "date_to": "01/11/2026"})

    assert "Ngày bắt đầu đang sau ngày kết thúc" in response.content.decode()


def test_the_log_paginates_newest_first(owner_client, owner):
    start = datetime.datetime(2026, 1, 1, 8, 0)
    for minute in range(120):
        entry_at(owner.shop, owner, start + datetime.timedelta(minutes=minute), summary=f"event-{minute:03d}")

    first = owner_client.get("/settings/activity/").content.decode()
    third = owner_client.get("/settings/activity/", {"page": 3}).content.decode()

    assert "120 mục" in first
    assert "event-119" in first and "event-070" in first and "event-069" not in first
    assert "Trang 3 / 3" in third
    assert "event-019" in third and "event-000" in third and "event-020" not in third


def test_the_log_page_runs_the_same_queries_for_10_or_100_entries(owner_client, owner, staff):
    def queries_for(count):
        for index in range(count):
            entry_at(owner.shop, staff if index % 2 else owner, datetime.datetime(2026, 2, 1, 9, index % 60))
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get("/settings/activity/").status_code == 200
        return len(captured)

    assert queries_for(10) == queries_for(90)


def test_shop_settings_change_is_logged_with_before_and_after(owner_client, owner):
    response = owner_client.post(
        "/settings/shop/",
        {"name": "Hoa Mai Boutique", "time_zone": "Asia/Bangkok", "auto_activate_members": "on"},
        follow=True,
    )

    assert "Đã lưu cấu hình" in response.content.decode()
    entry = ActivityEntry.objects.get(kind=ActivityKind.SHOP_SETTINGS_CHANGED)
    assert entry.before == {
        "name": "Thời trang Hoa Mai",
        "time_zone": "Asia/Ho_Chi_Minh",
        "auto_activate_members": False,
    }
    assert entry.after == {"name": "Hoa Mai Boutique", "time_zone": "Asia/Bangkok", "auto_activate_members": True}
    assert entry.actor == owner


def test_saving_unchanged_settings_writes_nothing(owner_client, owner):
    response = owner_client.post(
        "/settings/shop/", {"name": owner.shop.name, "time_zone": owner.shop.time_zone}, follow=True
    )

    assert "Không có gì thay đổi" in response.content.decode()
    assert not ActivityEntry.objects.filter(kind=ActivityKind.SHOP_SETTINGS_CHANGED).exists()


def test_an_empty_shop_name_is_refused_in_vietnamese(owner_client):
    response = owner_client.post("/settings/shop/", {"name": "  ", "time_zone": "Asia/Ho_Chi_Minh"})

    assert "Trường này là bắt buộc" in response.content.decode() or "Hãy nhập tên cửa hàng" in response.content.decode()


def test_owner_adds_a_staff_account_and_the_password_never_reaches_the_log(owner_client, client, password):
    response = owner_client.post(
        "/settings/staff/new/",
        {
            "username": "Thu.Ngan",
            "first_name": "Thu",
            "last_name": "Lê",
            "role": "staff",
            "password": "Ngan-hang-2026!",
        },
        follow=True,
    )

    assert "Đã tạo tài khoản nhân viên thu.ngan" in response.content.decode()
    created = User.objects.get(username="thu.ngan")
    assert created.role == User.Role.STAFF
    entry = ActivityEntry.objects.get(kind=ActivityKind.STAFF_CREATED)
    assert entry.after["password"] == SECRET_MASK
    assert "Ngan-hang-2026!" not in str(entry.after)


def test_a_weak_staff_password_is_refused(owner_client):
    response = owner_client.post("/settings/staff/new/", {"username": "yeu", "role": "staff", "password": "123"})

    assert response.status_code == 200
    assert not User.objects.filter(username="yeu").exists()
    assert "Mật khẩu này quá ngắn" in response.content.decode()


def test_the_last_owner_cannot_demote_themselves(owner_client, owner):
    response = owner_client.post(
        f"/settings/staff/{owner.pk}/", {"role": "staff", "is_active": "on", "first_name": "Mai", "last_name": "Trần"}
    )

    assert "Cửa hàng cần ít nhất một chủ cửa hàng" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == User.Role.OWNER


def test_disabling_a_staff_account_is_logged(owner_client, staff):
    owner_client.post(f"/settings/staff/{staff.pk}/", {"role": "staff", "first_name": "Lan", "last_name": "Nguyễn"})

    staff.refresh_from_db()
    assert not staff.is_active
    entry = ActivityEntry.objects.get(kind=ActivityKind.STAFF_CHANGED)
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})


def test_export_builds_a_spreadsheet_of_the_filtered_log(
    owner_client, owner, staff, django_capture_on_commit_callbacks
):
    entry_at(owner.shop, owner, datetime.datetime(2026, 11, 10, 9, 0), summary="=owner did it")
    entry_at(owner.shop, staff, datetime.datetime(2026, 11, 10, 10, 0), summary="staff did it")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner_client.post(
            "/settings/activity/export/", {"person": str(owner.pk), "date_from": "10/11/2026", "date_to": "10/11/2026"}
        )
    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    assert len(callbacks) == 1  # the worker is asked only once the job row is committed
    assert "đang được chuẩn bị" in owner_client.get(f"/exports/{job.pk}/").content.decode()

    export_run(job_id=job.pk)  # what the worker does

    assert "File đã sẵn sàng: 1 dòng" in owner_client.get(f"/exports/{job.pk}/").content.decode()
    download = owner_client.get(f"/exports/{job.pk}/download/")
    assert download["Content-Disposition"].startswith('attachment; filename="nhat-ky-hoat-dong-')
    sheet = xlsx_sheet(download.getvalue())
    rows = list(sheet.values)
    assert rows[0][:3] == ("Thời gian", "Người thực hiện", "Loại")
    assert rows[1][0] == "10/11/2026 09:00"
    assert rows[1][1:5] == ("Mai Trần", "Đăng nhập", None, "=owner did it")
    assert sheet["E2"].data_type == "s" and sheet["E2"].quotePrefix  # text, never run as a formula
    assert len(rows) == 2


def test_running_an_export_twice_builds_it_once(owner):
    job = ExportJob.objects.create(shop=owner.shop, requested_by=owner, kind="activity")
    export_run(job_id=job.pk)
    first = ExportJob.objects.get(pk=job.pk)

    export_run(job_id=job.pk)

    again = ExportJob.objects.get(pk=job.pk)
    assert (again.status, again.finished_at) == (ExportJob.Status.DONE, first.finished_at)


def test_an_oversized_export_fails_with_a_way_forward(owner, settings):
    settings.EXPORT_MAX_ROWS = 2
    for minute in range(3):
        entry_at(owner.shop, owner, datetime.datetime(2026, 3, 1, 9, minute))
    job = ExportJob.objects.create(shop=owner.shop, requested_by=owner, kind="activity")

    export_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "hãy thu hẹp bộ lọc" in job.error


def test_the_member_page_address_can_be_changed_once_free_and_well_formed(owner_client, owner, other_shop):
    shop = owner.shop
    taken = owner_client.post(
        "/settings/shop/", {"name": shop.name, "time_zone": shop.time_zone, "slug": other_shop.slug}
    )
    assert "Another shop has this address" in taken.text or "Cửa hàng khác đã dùng địa chỉ này" in taken.text
    badly = owner_client.post("/settings/shop/", {"name": shop.name, "time_zone": shop.time_zone, "slug": "Hoa Mai!"})
    assert badly.status_code == 200
    owner_client.post("/settings/shop/", {"name": shop.name, "time_zone": shop.time_zone, "slug": "Hoa-Mai"})
    shop.refresh_from_db()
    assert shop.slug == "hoa-mai"
    entry = ActivityEntry.objects.get(kind=ActivityKind.SHOP_SETTINGS_CHANGED)
    assert entry.after == {"slug": "hoa-mai"}
    assert owner_client.get("/m/hoa-mai/").status_code == 200
