"""Campaigns at a million customers: the audience count, the outbox filled for 100,000 and
1,000,000 recipients, sending by two workers, and the report's figures during a send.

The shop (bench/campaign_shop.py: BENCH_CAMPAIGN_CUSTOMERS, default 1,000,000 members with
email, phone, consent, four tiers and groups) is built once and kept with BENCH_KEEPDB=1;
each run first deletes the campaigns and messages of the run before. All campaigns are 5-2
by email with a shared code (advertising: Decree 91's cap is checked as each message
starts), no holdout. In order, with the aims (issue 17/18):
- audience_count for all members, a tier, two groups (one static, one by rules): under
  100 ms each (median of 7);
- a campaign of BENCH_CAMPAIGN_SEND (default 20,000) customers sent to a loopback SMTP
  server by two worker processes (bench/outbox_worker.py), nothing else waiting: at least
  300 emails/s; the outbox before sent 76/s (a NOOP and two UPDATEs per message). The
  provider's rate is BENCH_OUTBOX_PER_SECOND (default 2,000/s) and the daily quota is off
  (0), so neither is what is measured;
- campaign_start then campaign_prepare (audience into recipients, recipients into the
  outbox) in a fresh process (bench/campaign_stage.py): 100,000 recipients under 5 s,
  1,000,000 under 60 s, the process's peak resident memory (VmHWM) under 300 MB;
- both paused, a campaign of BENCH_CAMPAIGN_SEND_HELD (default 2,000) sent past their held
  emails (what a paused campaign costs the others);
- the 100,000 cancelled, the million resumed: the report's figures while two workers send
  it, under 100 ms (campaigns.report.campaign_report when the branch has it; otherwise the
  status counts it runs), for BENCH_CAMPAIGN_REPORT_SECONDS (default 20), and the rate.
The machine's cores are shared by the workers, PostgreSQL and this process.
"""

import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from bench.bench_outbox import Accepting
from bench.campaign_shop import COUNT, campaign_shop
from campaigns.audience import ALL, GROUPS, TIERS, audience_count
from campaigns.lifecycle import campaign_cancel, campaign_pause, campaign_resume
from campaigns.models import Campaign, CampaignSettings, CodeUse, Offer, Recipient
from core.db import current_database_url
from core.tests.loopback import free_port
from messaging.models import Message, MessageHold, MessagingSettings
from shops.models import Shop

REPEAT = 7
AIM_COUNT_MS = 100.0
AIM_REPORT_MS = 100.0
AIM_PREPARE = {100_000: 5.0, 1_000_000: 60.0}
AIM_PEAK_MB = 300.0
AIM_PER_SECOND = 300
BEFORE_PER_SECOND = 76
WORKERS = 2
PER_SECOND = os.environ.get("BENCH_OUTBOX_PER_SECOND", "2000")
REPORT_SECONDS = float(os.environ.get("BENCH_CAMPAIGN_REPORT_SECONDS", 20))


def _median_ms(action) -> float:
    action()  # warm the caches once
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _forget_last_run(shop: Shop) -> float:
    """A kept database holds the last run's campaigns and their million messages: delete them
    (raw SQL: the ORM's cascade would load every recipient)."""
    started = time.perf_counter()
    campaigns = list(Campaign.objects.filter(shop=shop).values_list("pk", flat=True))
    if campaigns:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {Message._meta.db_table} WHERE shop_id = %s", [shop.pk])
            for pk in campaigns:
                cursor.execute(f"DELETE FROM {Recipient._meta.db_table} WHERE campaign_id = %s", [pk])
        CodeUse.objects.filter(campaign__shop=shop).delete()
        MessageHold.objects.filter(shop=shop).delete()
        Campaign.objects.filter(shop=shop).delete()
        Offer.objects.filter(shop=shop).delete()
        _vacuum()
    return time.perf_counter() - started


def _vacuum() -> float:
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in (Message._meta.db_table, Recipient._meta.db_table):
                cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def _campaign(shop: Shop, name: str, **audience) -> Campaign:
    """A 5-2 campaign by email with a shared code (advertising: Decree 91's cap is checked as
    each message starts), no holdout."""
    today = timezone.localdate()
    offer = Offer.objects.create(
        shop=shop, kind=Offer.Kind.FIXED_AMOUNT, value=50_000, minimum_order=300_000,
        validity=Offer.Validity.DATES, starts_on=today, ends_on=today + datetime.timedelta(days=30),
        codes=Offer.Codes.SHARED, shared_code="TET2027",
    )  # fmt: skip
    return Campaign.objects.create(
        shop=shop, name=name, kind=Campaign.Kind.OFFER, offer=offer, send_email=True, send_sms=False,
        email_subject="Ưu đãi Tết từ {ten_shop}",
        email_body="Chào {ten|bạn},\n\nMã {ma_uu_dai} giảm {gia_tri} cho đơn từ 300.000 ₫, dùng đến {han_dung}.",
        holdout_percent=0, holdout_seed="bench", **audience,
    )  # fmt: skip


def _prepare(campaign: Campaign, owner_id: int) -> dict:
    """campaign_start and campaign_prepare in a fresh process (bench/campaign_stage.py)."""
    connection.close()  # let the child see everything committed
    output = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "bench" / "campaign_stage.py"), str(campaign.pk), str(owner_id)],
        env={**os.environ, "DATABASE_URL": current_database_url()},
        capture_output=True,
        text=True,
    )
    if output.returncode:
        raise RuntimeError(output.stderr[-3000:])
    return json.loads(output.stdout.strip().splitlines()[-1])


class Workers:
    """WORKERS processes of bench/outbox_worker.py sending the shop's email, started together."""

    def __init__(self, shop: Shop, port: int):
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
        self.processes = [
            subprocess.Popen(
                [sys.executable, str(root / "bench" / "outbox_worker.py"), str(shop.pk)],
                cwd=root,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _n in range(WORKERS)
        ]
        for process in self.processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"

    def go(self) -> float:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        return time.perf_counter()

    def wait(self) -> float:
        try:
            for process in self.processes:
                process.wait(timeout=3600)
        finally:
            for process in self.processes:
                if process.poll() is None:
                    process.kill()
        return time.perf_counter()


def _report_figures(campaign: Campaign):
    """What the campaign's page shows: its report when the branch has one, else the counts
    that report runs (per channel, status and reason; per status only)."""
    try:
        from campaigns.report import campaign_report  # type: ignore[import-not-found]
    except ImportError:
        campaign_report = None
    messages = Message.objects.filter(shop=campaign.shop_id, source=campaign.source)
    figures = [
        ("counts per channel, status and reason", lambda: list(
            messages.values("channel", "status", "error").annotate(count=Count("id")).order_by()
        )),
        ("counts per status only", lambda: list(messages.values("status").annotate(count=Count("id")).order_by())),
    ]  # fmt: skip
    if campaign_report is not None:
        figures.insert(0, ("campaign_report(campaign)", lambda: campaign_report(campaign)))
    return figures


def _send(workers_for, handler: Accepting, campaign: Campaign) -> tuple[int, float, str]:
    """Send the campaign's due emails with two fresh workers; (delivered, seconds, notes)."""
    handler.received.clear()
    workers = workers_for()
    started = workers.go()
    elapsed = workers.wait() - started
    delivered = sum(handler.received.values())
    statuses = Counter(
        Message.objects.filter(shop=campaign.shop_id, source=campaign.source).values_list("status", flat=True)
    )
    twice = sum(1 for times in handler.received.values() if times > 1)
    return delivered, elapsed, f"addresses that received twice: {twice} (must be 0); statuses {dict(statuses)}"


def run(report) -> None:
    if connection.vendor != "postgresql":
        print("  (the figures that matter are PostgreSQL's: set DATABASE_URL to a postgres:// URL)")
    bench = campaign_shop(report)
    shop = bench.shop
    report("deleted the last run's campaigns and messages", _forget_last_run(shop), "s")

    # The audience count, as the campaign form shows it while staff choose.
    counts = [
        ("all members", {"audience": ALL, "tier_ids": [], "group_ids": []}),
        (f"a tier ({bench.top_tier.name})", {"audience": TIERS, "tier_ids": [bench.top_tier.pk], "group_ids": []}),
        (f"two groups ({bench.loyal.name}, static; {bench.danang.name}, rules)",
         {"audience": GROUPS, "tier_ids": [], "group_ids": [bench.loyal.pk, bench.danang.pk]}),
    ]  # fmt: skip
    for name, params in counts:
        size = audience_count(shop=shop, **params)
        report(f"audience count: {name} = {size.total:,} ({size.email:,} by email)",
               _median_ms(lambda params=params: audience_count(shop=shop, **params)), "ms",
               baseline=AIM_COUNT_MS, baseline_name="the aim")  # fmt: skip

    handler = Accepting()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        MessagingSettings.objects.update_or_create(
            shop=shop,
            defaults={
                "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": MessagingSettings.Security.NONE,
                "from_email": "shop.hoamai@example.vn", "from_name": "Thời trang Hoa Mai", "email_daily_quota": 0,
            },
        )  # fmt: skip
        CampaignSettings.objects.get_or_create(shop=shop)
        owner = bench.owner

        def workers_for() -> Workers:
            connection.close()
            return Workers(shop, port)

        # Sending: a campaign of SEND customers, nothing else waiting in the outbox.
        trial = _campaign(shop, "Gửi thử", audience=Campaign.Audience.GROUPS, group_ids=[bench.trial.pk])
        _prepare(trial, owner.pk)
        queued = Message.objects.filter(shop=shop, source=trial.source, status=Message.Status.QUEUED).count()
        delivered, elapsed, notes = _send(workers_for, handler, trial)
        report(f"campaign emails sent by {WORKERS} workers ({delivered:,} of {queued:,} queued)", delivered / elapsed,
               "per s", baseline=AIM_PER_SECOND, baseline_name="the aim")  # fmt: skip
        report("  the same, against the outbox before", delivered / elapsed, "per s",
               baseline=BEFORE_PER_SECOND, baseline_name="before, NOOP and two UPDATEs a message")  # fmt: skip
        print(f"    {elapsed:.1f} s; {notes}")

        # Start and prepare: the audience into recipients, then into the outbox.
        tier_campaign = _campaign(shop, "Hạng cao nhất", audience=Campaign.Audience.TIERS, tier_ids=[bench.top_tier.pk])
        all_campaign = _campaign(shop, "Tất cả thành viên", audience=Campaign.Audience.ALL)
        for campaign, expected in ((tier_campaign, COUNT // 10), (all_campaign, COUNT)):
            stage = _prepare(campaign, owner.pk)
            queued = Message.objects.filter(shop=shop, source=campaign.source, status=Message.Status.QUEUED).count()
            report(f"start + prepare: {stage['recipients']:,} recipients, {queued:,} emails queued",
                   stage["seconds"], "s", baseline=AIM_PREPARE.get(expected), baseline_name="the aim")  # fmt: skip
            print(f"    audience into recipients {stage['take']:.1f} s, recipients into the outbox "
                  f"{stage['queue']:.1f} s; the campaign is {stage['state']} ({stage['done']!r})")  # fmt: skip
            report("  peak memory of that process", stage["peak_mb"], "MB", baseline=AIM_PEAK_MB,
                   baseline_name="the aim")  # fmt: skip
            campaign.refresh_from_db()
            campaign_pause(campaign=campaign, actor=owner, ip=None)  # the next figures send others
        # What autovacuum does after the load (this server runs with it off): statistics, and
        # the visibility map. Without them the planner takes the million-row outbox for empty.
        report("VACUUM ANALYZE of the outbox and the recipients", _vacuum(), "s")

        # Sending while both big campaigns are paused: their waiting emails are held.
        held = Message.objects.filter(shop=shop, status=Message.Status.QUEUED).count()
        small = _campaign(shop, "Gửi thử khi tạm dừng", audience=Campaign.Audience.GROUPS,
                          group_ids=[bench.trial_held.pk])  # fmt: skip
        _prepare(small, owner.pk)
        queued = Message.objects.filter(shop=shop, source=small.source, status=Message.Status.QUEUED).count()
        delivered, elapsed, notes = _send(workers_for, handler, small)
        report(f"campaign emails sent with {held:,} of paused campaigns held ({delivered:,} of {queued:,})",
               delivered / elapsed, "per s", baseline=AIM_PER_SECOND, baseline_name="the aim")  # fmt: skip
        print(f"    {elapsed:.1f} s; {notes}")

        # The report of the million while two workers send it (the 100,000 cancelled first:
        # its held emails would otherwise stand ahead of it in the outbox).
        started = time.perf_counter()
        tier_campaign.refresh_from_db()
        campaign_cancel(campaign=tier_campaign, actor=owner, ip=None)
        report(f"cancel of the {tier_campaign.recipients_count:,}-recipient campaign", time.perf_counter() - started,
               "s")  # fmt: skip
        all_campaign.refresh_from_db()
        campaign_resume(campaign=all_campaign, actor=owner, ip=None)
        size = Message.objects.filter(shop=shop, source=all_campaign.source).count()
        handler.received.clear()
        workers = workers_for()
        started = workers.go()
        time.sleep(3)  # both at work
        for name, action in _report_figures(all_campaign):
            report(f"report of {size:,} messages while sending: {name}", _median_ms(action), "ms",
                   baseline=AIM_REPORT_MS, baseline_name="the aim")  # fmt: skip
        left = REPORT_SECONDS - (time.perf_counter() - started)
        if left > 0:
            time.sleep(left)
        sent_before_pause = sum(handler.received.values())
        paused_at = time.perf_counter()
        all_campaign.refresh_from_db()
        campaign_pause(campaign=all_campaign, actor=owner, ip=None)
        workers.wait()
        report(f"  meanwhile, emails sent by {WORKERS} workers from the {size:,}", sent_before_pause
               / (paused_at - started), "per s", baseline=AIM_PER_SECOND, baseline_name="the aim")  # fmt: skip
        connection.close()
    finally:
        server.stop()
