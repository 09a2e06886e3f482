"""Every page and every query stays inside the staff member's shop."""

import pytest

from shops.activity import activity_record
from shops.models import ActivityEntry, ActivityKind, ExportJob, User
from shops.tests.factories import UserFactory


@pytest.fixture
def other_entry(other_owner):
    return activity_record(
        shop=other_owner.shop, actor=other_owner, kind=ActivityKind.LOGIN, summary="Sen Vàng logged in."
    )


def test_another_shops_staff_account_answers_404(owner_client, other_owner):
    assert owner_client.get(f"/settings/staff/{other_owner.pk}/").status_code == 404
    response = owner_client.post(f"/settings/staff/{other_owner.pk}/", {"role": "staff", "is_active": ""})
    assert response.status_code == 404
    other_owner.refresh_from_db()
    assert (other_owner.role, other_owner.is_active) == (User.Role.OWNER, True)


def test_another_shops_activity_entry_answers_404(owner_client, other_entry):
    assert owner_client.get(f"/settings/activity/{other_entry.pk}/").status_code == 404


def test_the_activity_log_lists_only_the_own_shop(owner_client, owner, other_entry):
    activity_record(shop=owner.shop, actor=owner, kind=ActivityKind.LOGIN, summary="Hoa Mai logged in.")

    page = owner_client.get("/settings/activity/").content.decode()

    assert "Hoa Mai logged in." in page
    assert "Sen Vàng logged in." not in page


def test_another_shops_export_answers_404(owner_client, other_owner):
    job = ExportJob.objects.create(
        shop=other_owner.shop, requested_by=other_owner, kind="activity", status=ExportJob.Status.DONE, content=b"x"
    )

    assert owner_client.get(f"/exports/{job.pk}/").status_code == 404
    assert owner_client.get(f"/exports/{job.pk}/download/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/settings/activity/",
        "/settings/shop/",
        "/settings/staff/new/",
        "/settings/loyalty/",
        "/settings/messaging/",
        "/members/opening-balances/",
    ],
)
def test_staff_cannot_open_settings(staff_client, path):
    response = staff_client.get(path)

    assert response.status_code == 403
    assert "chỉ dành cho chủ cửa hàng" in response.content.decode()


@pytest.mark.parametrize("path", ["/overview/", "/members/", "/members/groups/", "/campaigns/"])
def test_staff_work_with_members_and_campaigns(staff_client, path):
    assert staff_client.get(path).status_code == 200


def test_staff_see_no_settings_in_the_menu(staff_client):
    page = staff_client.get("/overview/").content.decode()

    assert "Hồ sơ thành viên" in page
    assert "Cấu hình hệ thống" not in page
    assert "Nhật ký hoạt động" not in page


def test_a_superuser_without_a_shop_is_sent_to_the_admin(client, db, password):
    admin = UserFactory(shop=None, username="root", is_superuser=True, is_staff=True)

    response = client.post("/login/", {"username": "root", "password": password})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    page = client.get("/overview/")
    assert page.status_code == 403
    assert "không thuộc cửa hàng nào" in page.content.decode()
    assert ActivityEntry.objects.get(kind=ActivityKind.LOGIN).actor == admin


def test_staff_cannot_open_the_django_admin(staff_client):
    assert staff_client.get("/admin/").status_code == 302


def test_the_admin_login_goes_through_the_products_login(client, db):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == "/login/?next=%2Fadmin%2F"
    assert "Đăng nhập" in response.content.decode()
