"""A campaign sent by real worker processes: two at once, and one killed (SIGKILL) in the
middle of a batch. Every member gets the campaign once; nobody is skipped."""

import asyncio
import os
import signal
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from campaigns.lifecycle import campaign_start
from campaigns.sending import campaign_prepare
from campaigns.tests.factories import CampaignFactory
from core.db import current_database_url
from members.tests.factories import CustomerFactory
from messaging.models import Message
from messaging.services import outbox_recover
from messaging.tests.servers import MailServer

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Status = Message.Status


class StallingMailServer(MailServer):
    """Keeps the client waiting in DATA once it has accepted ``stall_after`` messages."""

    def __init__(self, stall_after: int):
        super().__init__()
        self.stall_after = stall_after
        self.stalled = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if len(self.received) >= self.stall_after:
            self.stalled.set()
            while self.stall_after and len(self.received) >= self.stall_after:
                await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def _sender(shop_id: int) -> subprocess.Popen:
    """A process that does what a worker's send task does: send the shop's due emails."""
    code = (
        "import django; django.setup(); "
        "from messaging.services import outbox_send; "
        f"outbox_send(shop_id={shop_id}, channel='email', batch_size=10)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "DATABASE_URL": current_database_url()}
    return subprocess.Popen([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env)


@pytest.fixture
def stalling_mail_server():
    server = StallingMailServer(stall_after=15).start()
    yield server
    server.stall_after = 0
    server.stop()


def test_two_workers_and_one_killed_mid_batch_send_each_member_the_campaign_once(
    shop, owner, email_ready, stalling_mail_server
):
    server = stalling_mail_server
    email_ready.smtp_port = server.port
    email_ready.save()
    members = [
        CustomerFactory(shop=shop, name=f"Khách {n}", email=f"khach{n}@example.vn", member_since=timezone.now())
        for n in range(60)
    ]
    campaign = CampaignFactory(shop=shop)
    campaign_start(campaign=campaign, actor=owner, ip=None)
    campaign_prepare(campaign_id=campaign.pk)

    # A worker sends 15 messages, then is killed while handing over the 16th.
    doomed = _sender(shop.pk)
    assert server.stalled.wait(timeout=60)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    server.stall_after = 0
    # SENT marks are written a few dozen at a time: those handed over since the last one
    # are still SENDING, like the message it was handing over.
    started = list(Message.objects.filter(source=campaign.source, status=Status.SENDING))
    delivered = {message["To"] for message in server.received}
    in_flight = [message for message in started if message.recipient not in delivered]
    assert len(in_flight) == 1
    # Its lease runs out (15 minutes later), and beat's recovery finds the messages it was
    # handing over: they may have arrived, so they are never sent again.
    Message.objects.filter(source=campaign.source, status=Status.QUEUED).update(lease_until=timezone.now())
    Message.objects.filter(source=campaign.source, status=Status.SENDING).update(
        sending_at=timezone.now() - timezone.timedelta(hours=1)
    )
    assert outbox_recover() == len(started)

    # Two workers share the rest.
    pair = [_sender(shop.pk), _sender(shop.pk)]
    for process in pair:
        assert process.wait(timeout=120) == 0

    # Everyone else once; the one in flight when the worker died is not sent again (it may
    # have arrived: here the server dropped it with the connection) and says so.
    received = sorted(message["To"] for message in server.received)
    assert received == sorted(member.email for member in members if member.pk != in_flight[0].customer_id)
    statuses = dict(
        Message.objects.filter(source=campaign.source).values_list("status").annotate(n=Count("pk")).order_by()
    )
    assert statuses == {Status.SENT: 60 - len(started), Status.UNKNOWN: len(started)}


def _automation_worker(shop_id: int, campaign_id: int) -> subprocess.Popen:
    """A process that does what beat's automation task and the send task do."""
    code = (
        "import django; django.setup(); "
        "from django.utils import timezone; "
        "from campaigns.automations import automation_run; "
        "from campaigns.models import Campaign; "
        "from messaging.services import outbox_send; "
        f"campaign = Campaign.objects.select_related('shop', 'offer').get(pk={campaign_id}); "
        "automation_run(campaign=campaign, now=timezone.now()); "
        f"outbox_send(shop_id={shop_id}, channel='email', batch_size=10)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "DATABASE_URL": current_database_url()}
    return subprocess.Popen([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env)


def test_an_automation_whose_worker_is_killed_mid_run_sends_each_birthday_once(shop, email_ready, stalling_mail_server):
    from campaigns.tests.factories import AutomationFactory

    server = stalling_mail_server
    email_ready.smtp_port = server.port
    email_ready.save()
    today = timezone.localtime(timezone.now(), shop.tzinfo).date()
    members = [
        CustomerFactory(
            shop=shop, email=f"khach{n}@example.vn", birthday=today.replace(year=1992),
            member_since=timezone.now() - timezone.timedelta(days=400),
        )
        for n in range(40)
    ]  # fmt: skip
    automation = AutomationFactory(shop=shop, run_hour=0, started_at=timezone.now() - timezone.timedelta(days=2))

    doomed = _automation_worker(shop.pk, automation.pk)
    assert server.stalled.wait(timeout=60)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    server.stall_after = 0
    started = list(Message.objects.filter(source=automation.source, status=Status.SENDING))
    delivered = {message["To"] for message in server.received}
    in_flight = [message for message in started if message.recipient not in delivered]
    Message.objects.filter(source=automation.source, status=Status.QUEUED).update(lease_until=timezone.now())
    Message.objects.filter(source=automation.source, status=Status.SENDING).update(
        sending_at=timezone.now() - timezone.timedelta(hours=1)
    )
    outbox_recover()

    # Beat runs it again, twice at once: nobody is chosen or sent twice, nobody is left out.
    pair = [_automation_worker(shop.pk, automation.pk), _automation_worker(shop.pk, automation.pk)]
    for process in pair:
        assert process.wait(timeout=120) == 0

    received = sorted(message["To"] for message in server.received)
    in_flight_ids = {message.customer_id for message in in_flight}
    assert received == sorted(member.email for member in members if member.pk not in in_flight_ids)
    assert Message.objects.filter(source=automation.source).count() == 40
