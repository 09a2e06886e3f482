"""The shop page's "Background work": a worker that has just booted is starting, not missing,
during the minute before beat's first heartbeat; a worker that stopped is still reported."""

import datetime

from celery.signals import worker_ready
from django.utils import timezone

from shops.models import Heartbeat


class _Consumer:
    """What Celery's worker_ready sends: the worker's consumer, which knows its hostname."""

    hostname = "celery@shop-server"


STARTING = "Tác vụ nền đang khởi động"
MISSING = "Chưa có tác vụ nền nào báo hoạt động"


def _page(owner_client) -> str:
    return owner_client.get("/settings/shop/").content.decode()


def test_a_worker_that_just_booted_is_said_to_be_starting(owner_client):
    worker_ready.send(sender=_Consumer())

    page = _page(owner_client)

    assert Heartbeat.objects.get(name="worker-boot").hostname == "celery@shop-server"
    assert STARTING in page
    assert MISSING not in page


def test_a_worker_booted_long_ago_without_a_heartbeat_is_not_starting(owner_client):
    Heartbeat.objects.create(name="worker-boot", last_seen=timezone.now() - datetime.timedelta(minutes=10))

    page = _page(owner_client)

    assert STARTING not in page
    assert MISSING in page


def test_a_reboot_after_the_worker_stopped_says_starting_then_running(owner_client):
    now = timezone.now()
    beat = Heartbeat.objects.create(name="worker", last_seen=now - datetime.timedelta(days=2))
    assert "Không có tác vụ nền nào báo hoạt động từ" in _page(owner_client)

    Heartbeat.objects.create(name="worker-boot", last_seen=now - datetime.timedelta(seconds=20))
    assert STARTING in _page(owner_client)

    beat.last_seen = now
    beat.save()
    page = _page(owner_client)
    assert "đang chạy" in page and STARTING not in page
