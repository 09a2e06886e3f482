"""One stage of an import (preview, commit, or building its report) in a fresh process, so
that its peak memory is its own: python bench/import_stage.py analyse|run|export JOB_ID
(for export, the id of the ExportJob). Prints seconds and peak MB.
With BENCH_PROFILE=1 it also prints, to stderr, where the database time went: the total
per kind of statement, slowest first."""

import json
import os
import re
import resource
import sys
import time
from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
os.environ.setdefault("DEBUG", "0")  # as bench/run.py: what production runs

import django

django.setup()

from django.db import connection  # noqa: E402

from imports.analysis import import_analyse  # noqa: E402
from imports.services import import_run  # noqa: E402
from shops.exports import export_run  # noqa: E402

spent: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])


def timed(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        shape = re.sub(r"\s+", " ", re.sub(r"\(%s(, %s)*\)|%s", "?", sql))[:110]
        spent[shape][0] += 1
        spent[shape][1] += time.perf_counter() - started


def peak_mb() -> float:
    """This process's peak resident memory. Linux's ru_maxrss carries over the peak of the
    process that started this one (it survives exec), so VmHWM is read where there is one."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


stage, job_id = sys.argv[1], int(sys.argv[2])
profile = os.environ.get("BENCH_PROFILE") == "1"
started = time.perf_counter()
with connection.execute_wrapper(timed) if profile else nullcontext():
    {"analyse": import_analyse, "run": import_run, "export": export_run}[stage](job_id=job_id)
seconds = time.perf_counter() - started
if profile:
    total = sum(took for _count, took in spent.values())
    print(f"{stage}: {seconds:.1f} s, of which SQL {total:.1f} s", file=sys.stderr)
    for shape, (count, took) in sorted(spent.items(), key=lambda item: -item[1][1])[:15]:
        print(f"  {took:7.2f} s {count:6d}×  {shape}", file=sys.stderr)
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb()}))
