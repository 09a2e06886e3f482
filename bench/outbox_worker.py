"""One outbox worker process for bench_outbox: python bench/outbox_worker.py SHOP_ID.
Prints "ready" once Django is set up, waits for a line on stdin (so that both workers start
together), then sends the shop's email until nothing is due. With BENCH_PROFILE=1 it prints
to stderr where its time went (cProfile, by cumulative time)."""

import cProfile
import os
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")  # as bench/run.py: what production runs

import django

django.setup()

from messaging.services import outbox_send  # noqa: E402


def main(shop_id: int) -> None:
    print("ready", flush=True)
    sys.stdin.readline()
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") == "1" else None
    if profile:
        profile.enable()
    # A run stops at MESSAGING_RUN_SECONDS (beat starts the next): go on until one finds nothing.
    while True:
        result = outbox_send(shop_id=shop_id, channel="email")
        if not (result.sent or result.failed or result.skipped or result.waiting) or result.stopped:
            break
    if profile:
        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(35)
    print(f"sent {result.sent} stopped {result.stopped!r}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
