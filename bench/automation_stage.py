"""One step of an automation's run in a fresh process, so that its peak memory is its own:
python bench/automation_stage.py STEP CAMPAIGN_ID MOMENT [MOMENT ...], where STEP is

- ``daily``: ``daily_select`` (the birthday's or the reminder's selection into recipients)
  for each local day MOMENT (YYYY-MM-DD), in turn;
- ``thank_you``: ``thank_you_select`` at each MOMENT (ISO datetime), in turn;
- ``queue``: ``recipients_queue`` at MOMENT (ISO datetime).

Prints, as JSON, the seconds of each call, what each returned, the seconds spent in the
birthday's points (``birthday_points_grant``) and the process's peak resident memory.
"""

import datetime
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

from django.db import connection  # noqa: E402

from campaigns import automations  # noqa: E402
from campaigns.models import Campaign  # noqa: E402


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM), as bench/campaign_stage.py reads it."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


points_seconds = 0.0
_grant = automations.birthday_points_grant


def _timed_grant(**kwargs):
    global points_seconds
    started = time.perf_counter()
    try:
        return _grant(**kwargs)
    finally:
        points_seconds += time.perf_counter() - started


# _birthday_points looks it up in its module when it calls it.
automations.birthday_points_grant = _timed_grant

step, campaign_id, moments = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
campaign = Campaign.objects.select_related("shop", "offer").get(pk=campaign_id)
connection.ensure_connection()
seconds, results = [], []
for moment in moments:
    started = time.perf_counter()
    if step == "daily":
        result = automations.daily_select(campaign=campaign, day=datetime.date.fromisoformat(moment))
    elif step == "thank_you":
        result = automations.thank_you_select(campaign=campaign, now=datetime.datetime.fromisoformat(moment))
    elif step == "queue":
        result = automations.recipients_queue(campaign=campaign, now=datetime.datetime.fromisoformat(moment))
    else:
        raise SystemExit(f"unknown step {step!r}")
    seconds.append(time.perf_counter() - started)
    results.append(result)
print(json.dumps({"seconds": seconds, "results": results, "points": points_seconds, "peak_mb": peak_mb()}))
