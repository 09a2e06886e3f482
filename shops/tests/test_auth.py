import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from shops.models import ActivityEntry, ActivityKind
from shops.tests.factories import OwnerFactory

LOGIN = "/login/"


def login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_login_page_is_vietnamese_by_default_even_for_an_english_browser(client, db):
    response = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response.status_code == 200
    assert "Đăng nhập" in response.content.decode()
    assert response["Content-Language"] == "vi"


def test_login_lands_on_the_overview_and_is_logged_with_the_address(client, owner, password):
    response = login(client, "chu.hoamai", password, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:index")
    entry = ActivityEntry.objects.get(kind=ActivityKind.LOGIN)
    assert (entry.shop, entry.actor, entry.ip) == (owner.shop, owner, "203.0.113.9")


def test_username_is_not_case_sensitive(client, owner, password):
    response = login(client, "  Chu.HoaMai ", password)

    assert response.status_code == 302


def test_wrong_password_says_what_to_check_and_is_logged(client, owner):
    response = login(client, "chu.hoamai", "wrong", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.content.decode()
    entry = ActivityEntry.objects.get(kind=ActivityKind.LOGIN_FAILED)
    assert (entry.shop, entry.actor, entry.target_label, entry.ip) == (owner.shop, None, "chu.hoamai", "203.0.113.9")


def test_unknown_username_fails_like_a_wrong_password(client, db):
    response = login(client, "nobody", "wrong")

    assert "Sai tên đăng nhập hoặc mật khẩu" in response.content.decode()
    assert ActivityEntry.objects.get(kind=ActivityKind.LOGIN_FAILED).shop is None


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, owner, password, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        login(client, "chu.hoamai", "wrong")

    response = login(client, "chu.hoamai", password)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Đăng nhập sai quá nhiều lần" in response.content.decode()
    assert "15 phút" in response.content.decode()
    assert ActivityEntry.objects.filter(kind=ActivityKind.LOGIN_LOCKED, shop=owner.shop).count() == 1


def test_the_lock_ends_when_the_failures_are_older_than_the_window(client, owner, password, settings):
    long_ago = timezone.now() - datetime.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES + 1)
    ActivityEntry.objects.bulk_create(
        ActivityEntry(
            kind=ActivityKind.LOGIN_FAILED, target_label="chu.hoamai", summary="x", ip="127.0.0.1", created_at=long_ago
        )
        for _ in range(settings.LOGIN_FAILURE_LIMIT)
    )

    response = login(client, "chu.hoamai", password)

    assert response.status_code == 302


def test_one_address_guessing_many_usernames_is_locked(client, owner, password, settings):
    settings.LOGIN_FAILURE_IP_LIMIT = 3
    for name in ("a", "b", "c"):
        login(client, name, "wrong", REMOTE_ADDR="198.51.100.7")

    locked = login(client, "chu.hoamai", password, REMOTE_ADDR="198.51.100.7")
    elsewhere = login(client, "chu.hoamai", password, REMOTE_ADDR="198.51.100.8")

    assert "Đăng nhập sai quá nhiều lần" in locked.content.decode()
    assert elsewhere.status_code == 302


def test_forwarded_address_is_used_only_behind_a_trusted_proxy(client, owner, settings):
    login(client, "chu.hoamai", "wrong", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")
    settings.TRUSTED_PROXY_COUNT = 1
    login(client, "chu.hoamai", "wrong", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")

    ips = list(ActivityEntry.objects.order_by("id").values_list("ip", flat=True))
    assert ips == ["10.0.0.2", "203.0.113.5"]


def test_login_ignores_a_next_address_on_another_site(client, owner, password):
    response = client.post(
        LOGIN, {"username": "chu.hoamai", "password": password, "next": "https://evil.example/steal"}
    )

    assert response["Location"] == reverse("dashboard:index")


def test_login_follows_a_next_address_in_the_product(client, owner, password):
    response = client.post(LOGIN, {"username": "chu.hoamai", "password": password, "next": "/settings/activity/"})

    assert response["Location"] == "/settings/activity/"


def test_logout_needs_post_and_is_logged(owner_client, owner):
    assert owner_client.get("/logout/").status_code == 405

    response = owner_client.post("/logout/", follow=True)

    assert "Bạn đã đăng xuất" in response.content.decode()
    assert ActivityEntry.objects.filter(kind=ActivityKind.LOGOUT, actor=owner).count() == 1
    assert owner_client.get("/overview/").status_code == 302


def test_password_change_keeps_the_session_and_masks_the_log(owner_client, owner, password, client):
    response = owner_client.post(
        "/account/password/",
        {"old_password": password, "new_password1": "Hoa-mai-2026-xuan", "new_password2": "Hoa-mai-2026-xuan"},
        follow=True,
    )

    assert "Mật khẩu của bạn đã được thay đổi" in response.content.decode()
    assert owner_client.get("/overview/").status_code == 200  # still logged in
    entry = ActivityEntry.objects.get(kind=ActivityKind.PASSWORD_CHANGED)
    assert "Hoa-mai-2026-xuan" not in str(entry.before) + str(entry.after)
    owner.refresh_from_db()
    assert owner.check_password("Hoa-mai-2026-xuan")


def test_password_change_refuses_a_wrong_old_password(owner_client, owner):
    response = owner_client.post(
        "/account/password/",
        {"old_password": "nope", "new_password1": "Hoa-mai-2026-xuan", "new_password2": "Hoa-mai-2026-xuan"},
    )

    assert response.status_code == 200
    assert "Mật khẩu cũ" in response.content.decode()
    assert not ActivityEntry.objects.filter(kind=ActivityKind.PASSWORD_CHANGED).exists()


@pytest.mark.parametrize("path", ["/overview/", "/members/", "/settings/activity/", "/settings/shop/"])
def test_pages_ask_anonymous_visitors_to_log_in(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_a_disabled_account_cannot_log_in(client, shop, password):
    OwnerFactory(shop=shop, username="old.owner", is_active=False)

    response = login(client, "old.owner", password)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_forms_refuse_a_post_without_the_csrf_token(db, owner, password):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)

    response = browser.post(LOGIN, {"username": "chu.hoamai", "password": password})

    assert response.status_code == 403
    assert not ActivityEntry.objects.filter(kind=ActivityKind.LOGIN).exists()


def test_create_shop_makes_a_shop_whose_owner_can_log_in(db, client, monkeypatch, capsys):
    import io

    from django.core.management import call_command

    monkeypatch.setattr("sys.stdin", io.StringIO("Hoa-mai-2026-xuan\n"))
    call_command("create_shop", "--name", "Thời trang Hoa Mai", "--owner", "Chu.HoaMai", "--password-stdin")

    assert "owner: chu.hoamai" in capsys.readouterr().out
    assert login(client, "chu.hoamai", "Hoa-mai-2026-xuan").status_code == 302
    assert ActivityEntry.objects.filter(kind=ActivityKind.SHOP_CREATED).count() == 1
