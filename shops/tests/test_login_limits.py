"""Failed logins: locks per address and per (username, address), a growing delay for the
username across addresses, and never a lock that a stranger controls."""

import datetime
import logging

import pytest
from django.utils import timezone

from shops.models import ActivityEntry, ActivityKind
from shops.tests.test_auth import login

OWNER_HOME = "203.0.113.9"
STRANGER = "198.51.100.7"
LOCKED = "Đăng nhập sai quá nhiều lần"


def failures(count, *, ip, username="chu.hoamai", seconds_ago=0):
    at = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    ActivityEntry.objects.bulk_create(
        ActivityEntry(kind=ActivityKind.LOGIN_FAILED, target_label=username, summary="x", ip=ip, created_at=at)
        for _ in range(count)
    )


@pytest.fixture
def owner_logged_in_from_home(client, owner, password):
    assert login(client, "chu.hoamai", password, REMOTE_ADDR=OWNER_HOME).status_code == 302
    client.logout()
    return owner


def test_a_strangers_failures_never_lock_the_owner_out_of_their_own_address(
    client, owner_logged_in_from_home, password, settings
):
    # The stranger goes on as long as the limits let them: locked at their address...
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 3):
        login(client, "chu.hoamai", "doan-bua", REMOTE_ADDR=STRANGER)
    # ... and from many more addresses, enough to start the username's delay.
    for index in range(settings.LOGIN_DELAY_AFTER + 5):
        login(client, "chu.hoamai", "doan-bua", REMOTE_ADDR=f"198.51.100.{20 + index}")

    response = login(client, "chu.hoamai", password, REMOTE_ADDR=OWNER_HOME)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner_logged_in_from_home.pk)


def test_failures_for_one_username_from_one_address_lock_that_address_only(client, owner, password, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        login(client, "chu.hoamai", "sai", REMOTE_ADDR=STRANGER)

    locked = login(client, "chu.hoamai", password, REMOTE_ADDR=STRANGER)
    elsewhere = login(client, "chu.hoamai", password, REMOTE_ADDR=OWNER_HOME)

    assert locked.status_code == 200 and LOCKED in locked.content.decode() and "15 phút" in locked.content.decode()
    assert elsewhere.status_code == 302
    entry = ActivityEntry.objects.get(kind=ActivityKind.LOGIN_LOCKED)
    assert (entry.ip, entry.shop, entry.target_label) == (STRANGER, owner.shop, "chu.hoamai")
    assert "từ địa chỉ này" in entry.summary


def test_the_usernames_delay_grows_with_its_failures_and_is_capped(client, db, settings):
    settings.LOGIN_DELAY_AFTER, settings.LOGIN_DELAY_MAX_SECONDS = 3, 60
    waits = []
    for count in (3, 4, 5, 10):
        failures(count, ip=STRANGER, username=f"khach{count}")
        page = login(client, f"khach{count}", "sai", REMOTE_ADDR="192.0.2.50").content.decode()
        waits.append(page.split("hãy chờ ", 1)[1].split()[0])

    assert waits == ["2", "4", "8", "60"]
    assert ActivityEntry.objects.filter(kind=ActivityKind.LOGIN_FAILED).count() == 3 + 4 + 5 + 10  # none added


def test_the_delay_runs_from_the_last_failure(client, owner, password, settings):
    settings.LOGIN_DELAY_AFTER = 3
    failures(5, ip=STRANGER, seconds_ago=3)  # the wait after 5 failures is 8 s: 5 s left

    page = login(client, "chu.hoamai", password, REMOTE_ADDR="192.0.2.50").content.decode()

    assert "Để an toàn, hãy chờ 5 giây rồi thử lại." in page
    assert "_auth_user_id" not in client.session


def test_once_the_delay_has_passed_the_right_password_gets_in(client, owner, password, settings):
    settings.LOGIN_DELAY_AFTER = 3
    failures(5, ip=STRANGER, seconds_ago=9)

    assert login(client, "chu.hoamai", password, REMOTE_ADDR="192.0.2.50").status_code == 302


def test_a_delayed_attempt_counts_toward_nothing(client, owner, password, settings):
    settings.LOGIN_DELAY_AFTER = 3
    failures(3, ip=STRANGER, seconds_ago=1)

    for _ in range(20):  # hammering during the wait does not lengthen it
        login(client, "chu.hoamai", "sai", REMOTE_ADDR="192.0.2.50")

    assert ActivityEntry.objects.filter(kind=ActivityKind.LOGIN_FAILED).count() == 3
    assert ActivityEntry.objects.filter(kind=ActivityKind.LOGIN_LOCKED).count() == 20


def test_every_refusal_is_logged_with_its_limit(client, owner, password, settings, caplog):
    settings.LOGIN_FAILURE_IP_LIMIT = 3
    failures(3, ip=STRANGER, username="someone-else")

    with caplog.at_level(logging.WARNING, logger="shops.login_limits"):
        login(client, "chu.hoamai", password, REMOTE_ADDR=STRANGER)

    entry = ActivityEntry.objects.get(kind=ActivityKind.LOGIN_LOCKED)
    assert "quá nhiều lần đăng nhập sai từ địa chỉ này" in entry.summary
    assert any("chu.hoamai" in record.getMessage() and STRANGER in record.getMessage() for record in caplog.records)


def test_logins_without_an_address_share_no_lock(client, owner, password, settings):
    # Failures whose address nobody knew (no REMOTE_ADDR, an undeclared proxy), many names.
    for index in range(settings.LOGIN_FAILURE_IP_LIMIT):
        failures(1, ip=None, username=f"khach{index}")
    failures(settings.LOGIN_FAILURE_LIMIT, ip=None)

    response = login(client, "chu.hoamai", password, REMOTE_ADDR="")

    assert response.status_code == 302
