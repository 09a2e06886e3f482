"""One stage of an import (preview or commit) in a fresh process, so that its peak memory
is its own: python bench/import_stage.py analyse|run JOB_ID. Prints seconds and peak MB."""

import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django

django.setup()

from members.imports import import_analyse, import_run  # noqa: E402

stage, job_id = sys.argv[1], int(sys.argv[2])
started = time.perf_counter()
(import_analyse if stage == "analyse" else import_run)(job_id=job_id)
print(
    json.dumps(
        {"seconds": time.perf_counter() - started, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    )
)
