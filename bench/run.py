"""Run the benchmarks and print their figures; nothing here asserts a time.

Each module bench/bench_*.py has ``run(report)``; it works in a throw-away test database
on whatever DATABASE_URL names (SQLite by default; set a postgres:// URL for the figures
that matter in production). Usage: python bench/run.py [name ...]
"""

import importlib
import os
import pkgutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
# Measure what production runs: with DEBUG on, Django keeps every query's text (a batch's
# arrays of thousands of values included) and spends time building it.
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def report(name: str, value: float, unit: str, *, baseline: float | None = None, baseline_name: str = "") -> None:
    line = f"  {name:<58} {value:>12,.1f} {unit}"
    if baseline:
        line += f"   baseline ({baseline_name}) {baseline:,.1f} {unit}, ratio {value / baseline:.2f}x"
    print(line, flush=True)


def main(selected: list[str]) -> None:
    setup_test_environment()
    names = [m.name for m in pkgutil.iter_modules([str(ROOT / "bench")]) if m.name.startswith("bench_")]
    names = [n for n in names if not selected or n.removeprefix("bench_") in selected or n in selected]
    print(f"Database: {connection.vendor}; benchmarks: {', '.join(names)}")
    # BENCH_KEEPDB=1 keeps the database (and the data a benchmark built) for the next run.
    keep = os.environ.get("BENCH_KEEPDB") == "1"
    # serialize=False: nothing here rolls back to a snapshot, and serializing a kept database
    # of a million customers took minutes before the first benchmark began.
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=not keep, keepdb=keep, serialize=False)
    try:
        for name in names:
            module = importlib.import_module(f"bench.{name}")
            print(f"\n{name}: {module.__doc__.strip().splitlines()[0]}")
            started = time.monotonic()
            module.run(report)
            print(f"  ({time.monotonic() - started:.1f} s)")
    finally:
        if not keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main(sys.argv[1:])
