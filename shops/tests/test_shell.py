"""The frame of every page: its menu marks where you are, its icon and logo are there, and
nothing in it needs an inline style or script (the production Content-Security-Policy)."""

import re

import pytest

from imports.models import ImportJob
from loyalty.membership import members_activate
from members.models import Customer


def active_items(page: str) -> list[str]:
    return re.findall(r'<a href="[^"]+" class="active" aria-current="page">([^<]+)</a>', page)


@pytest.mark.parametrize(
    ("url", "item"),
    [
        ("/members/", "Hồ sơ thành viên"),
        ("/members/groups/", "Nhóm khách hàng"),
        ("/members/opening-balances/", "Nhập dữ liệu đầu kỳ"),
        ("/settings/loyalty/adjustments/", "Tích điểm và hạng (Loyalty)"),
        ("/settings/loyalty/tiers/", "Tích điểm và hạng (Loyalty)"),
        ("/overview/", "Tổng quan"),
        ("/settings/staff/new/", "Cửa hàng và nhân viên"),
    ],
)
def test_the_menu_marks_exactly_the_page_you_are_on(owner_client, url, item):
    assert active_items(owner_client.get(url).content.decode()) == [item]


@pytest.mark.parametrize(
    ("kind", "item"), [("opening", "Nhập dữ liệu đầu kỳ"), ("points", "Tích điểm và hạng (Loyalty)")]
)
def test_an_import_jobs_page_marks_the_menu_item_it_was_started_from(owner_client, owner, shop, kind, item):
    job = ImportJob.objects.create(
        shop=shop, kind=kind, status=ImportJob.Status.REFUSED, file_name="x.xlsx", uploaded_by=owner, error="Sai."
    )

    assert active_items(owner_client.get(f"/members/imports/{job.pk}/").content.decode()) == [item]


def test_every_page_has_an_icon_and_favicon_ico_answers(owner_client, client):
    page = owner_client.get("/overview/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    logo = re.search(r'<img class="brand-mark" src="([^"]+)"', page).group(1)

    for path in (icon, logo):
        assert path.endswith(".svg")
    # Asked for by browsers without looking at the page, logged in or not.
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")


def test_the_menu_and_the_haravan_page_speak_vietnamese(owner_client):
    page = owner_client.get("/settings/haravan/").content.decode()

    assert "Tích điểm và hạng (Loyalty)" in page
    for vietnamese in ("Mã truy cập (Access token)", "Mã ứng dụng (Client ID", "Khóa bí mật ứng dụng (Client secret",
                       "Mã xác minh (Verify token)"):  # fmt: skip
        assert vietnamese in page
    for english in (">Loyalty<", ">Access token", ">Verify token<", ">Client ID", ">Client secret"):
        assert english not in page


PAGES = [
    "/overview/", "/members/", "/members/groups/", "/members/opening-balances/", "/settings/activity/",
    "/settings/loyalty/", "/settings/loyalty/tiers/", "/settings/loyalty/adjustments/", "/settings/messaging/",
    "/settings/haravan/", "/settings/shop/", "/settings/staff/new/", "/account/password/",
]  # fmt: skip


@pytest.mark.parametrize("url", PAGES)
def test_pages_carry_no_inline_style_or_script_for_a_strict_content_security_policy(owner_client, url):
    page = owner_client.get(url).content.decode()

    assert re.findall(r"<[^>]+\sstyle=", page) == []
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page) == []
    assert re.findall(r"<[^>]+\son[a-z]+=", page) == []


def test_a_members_tier_bar_needs_no_inline_style(owner_client, shop):
    customer = Customer.objects.create(shop=shop, phone="+84912345678", name="Lan")
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk])

    page = owner_client.get(f"/members/{customer.pk}/").content.decode()

    assert 'role="progressbar"' in page
    assert re.findall(r"<[^>]+\sstyle=", page) == []
