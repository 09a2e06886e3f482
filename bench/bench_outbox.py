"""The outbox: emails per second handed to a loopback SMTP server by two worker processes.

BENCH_OUTBOX_MESSAGES (default 20,000) campaign emails (priority 1, advertising: the path a
5-2 campaign takes, with Decree 91's cap checked in each start statement) are queued for one
shop; two processes run ``outbox_send`` at once against an aiosmtpd server in this process
that accepts everything and counts what each address received. Aim: 300 messages/s (issue
17); the outbox before it sent about 76/s (a NOOP and two UPDATEs per message). The
provider's rate is enforced at BENCH_OUTBOX_PER_SECOND (default 2,000/s, so that it is
exercised and does not bind). BENCH_PROFILE=1 prints each worker's cProfile.
"""

import logging
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from django.utils import timezone

from core.db import current_database_url
from core.tests.loopback import free_port
from members.models import Customer
from messaging.models import Message, MessagingSettings
from shops.models import Shop

logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per command costs more than the command
COUNT = int(os.environ.get("BENCH_OUTBOX_MESSAGES", 20_000))
PER_SECOND = os.environ.get("BENCH_OUTBOX_PER_SECOND", "2000")
WORKERS = 2
AIM_PER_SECOND = 300
BEFORE_PER_SECOND = 76


class Accepting:
    """An SMTP server's handler that takes every message and counts its recipients."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.update(envelope.rcpt_tos)
        return "250 2.0.0 OK"


def _queue(shop: Shop) -> None:
    customers = Customer.objects.bulk_create(
        [Customer(shop=shop, name=f"Khách {n}", phone=f"+8490{n:07d}", email=f"k{n}@example.vn") for n in range(COUNT)],
        batch_size=5_000,
    )
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                shop=shop,
                customer=customer,
                channel=Message.Channel.EMAIL,
                source="campaign:bench",
                source_label="Bench",
                recipient=customer.email,
                subject="Ưu đãi tháng 12",
                body=f"Chào {customer.name}, Thời trang Hoa Mai tặng bạn mã giảm giá 10%.",
                priority=1,
                advertising=True,
                next_attempt_at=now,
            )
            for customer in customers
        ],
        batch_size=5_000,
    )


def run(report) -> None:
    shop = Shop.objects.create(name="Bench outbox")
    handler = Accepting()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    MessagingSettings.objects.create(
        shop=shop, smtp_host="127.0.0.1", smtp_port=port, smtp_security=MessagingSettings.Security.NONE,
        from_email="shop.hoamai@example.vn", from_name="Thời trang Hoa Mai", email_daily_quota=COUNT * 2,
    )  # fmt: skip
    _queue(shop)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": current_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SMTP_ALLOWED_PORTS": str(port),
        "MESSAGING_EMAIL_PER_SECOND": PER_SECOND,
        "DEBUG": "0",
    }
    root = Path(settings.BASE_DIR)
    script = str(root / "bench" / "outbox_worker.py")
    workers = [
        subprocess.Popen(
            [sys.executable, script, str(shop.pk)],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _n in range(WORKERS)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            worker.wait(timeout=3600)
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        server.stop()
    statuses = Counter(Message.objects.filter(shop=shop).values_list("status", flat=True))
    delivered = sum(handler.received.values())
    twice = sum(1 for times in handler.received.values() if times > 1)
    report(f"emails handed over by {WORKERS} workers ({COUNT:,})", delivered / elapsed, "per s",
           baseline=AIM_PER_SECOND, baseline_name="the aim")  # fmt: skip
    report("the same, against the outbox before", delivered / elapsed, "per s",
           baseline=BEFORE_PER_SECOND, baseline_name="before, NOOP and two UPDATEs a message")  # fmt: skip
    print(f"  received {delivered:,} in {elapsed:.1f} s; addresses that received twice: {twice} (must be 0); "
          f"statuses {dict(statuses)}")  # fmt: skip
