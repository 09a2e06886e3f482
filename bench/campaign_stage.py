"""Start a campaign and put its recipients into the outbox in a fresh process, so that its
peak memory is its own: python bench/campaign_stage.py CAMPAIGN_ID USER_ID. Does what staff's
start and the worker's prepare task do (``campaign_start``, then ``campaign_prepare``) and
prints, as JSON, the seconds of each step and the process's peak resident memory."""

import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
os.environ.setdefault("DEBUG", "0")  # as bench/run.py: what production runs

import django

django.setup()

from campaigns import sending  # noqa: E402
from campaigns.lifecycle import campaign_start  # noqa: E402
from campaigns.models import Campaign  # noqa: E402
from shops.models import User  # noqa: E402

spent: dict[str, float] = {}


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss carries over the parent's)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(name: str, function):
    def wrapper(**kwargs):
        started = time.perf_counter()
        try:
            return function(**kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

    return wrapper


# campaign_prepare looks these up in its module when it calls them: time each step.
sending.recipients_take = timed("take", sending.recipients_take)
sending.messages_queue = timed("queue", sending.messages_queue)

campaign_id, user_id = int(sys.argv[1]), int(sys.argv[2])
campaign = Campaign.objects.select_related("shop").get(pk=campaign_id)
started = time.perf_counter()
campaign_start(campaign=campaign, actor=User.objects.get(pk=user_id), ip=None)
start_seconds = time.perf_counter() - started
# The worker's task (prepare_campaign) does this; here it runs in the same process.
done = sending.campaign_prepare(campaign_id=campaign_id)
seconds = time.perf_counter() - started
campaign.refresh_from_db()
print(
    json.dumps(
        {
            "seconds": seconds,
            "start": start_seconds,
            "take": spent.get("take", 0.0),
            "queue": spent.get("queue", 0.0),
            "done": done,
            "state": campaign.state,
            "recipients": campaign.recipients_count,
            "peak_mb": peak_mb(),
        }
    )
)
