"""Memory of one large opening-balance CSV: the upload in the web process, the preview and
its report in the worker.

BENCH_MEMORY_ROWS (default 1,000,000) rows of a UTF-8 CSV with Vietnamese names (about
60 MB, the size that peaked at 565 MB in the worker); a quarter of its phones belong to
customers the shop has. Each stage runs in a fresh process (bench/upload_stage.py,
bench/import_stage.py), which reports its own peak. Aims: the upload adds under 50 MB to the
web process; the preview stays under 300 MB for a million rows. BENCH_MEMORY_COMMIT=1 also
commits the file (minutes for a million rows) and reports that process's peak.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from core.db import current_database_url
from imports.models import ImportJob
from loyalty.services import loyalty_defaults_create
from members.models import Customer
from shops.models import ExportJob, Shop, User

ROWS = int(os.environ.get("BENCH_MEMORY_ROWS", 1_000_000))


def _write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("HoTen,DienThoai,Email,DTDauKy\n")
        for index in range(rows):
            email = f"kh{index}@example.vn" if index % 3 else ""
            out.write(f"Nguyễn Thị Khách {index},09{index:08d},{email},{1_000_000 + (index % 97) * 250_000}\n")


def _child(script: str, *args: str) -> dict:
    connection.close()  # let the child see everything committed
    output = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "bench" / script), *args],
        env={**os.environ, "DATABASE_URL": current_database_url()},
        capture_output=True,
        text=True,
    )
    if output.returncode:
        raise RuntimeError(output.stderr[-3000:])
    if output.stderr.strip() and os.environ.get("BENCH_PROFILE") == "1":
        print(output.stderr.rstrip(), flush=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def run(report) -> None:
    shop = Shop.objects.create(name=f"Bench memory {ROWS}")
    loyalty_defaults_create(shop=shop)
    owner = User.objects.create_user(username=f"bench-memory-{shop.pk}", password="x", shop=shop, role="owner")
    Customer.objects.bulk_create(
        (Customer(shop=shop, phone=f"+849{index:08d}", name=f"Haravan {index}") for index in range(0, ROWS, 4)),
        batch_size=10_000,
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dau-ky.csv"
        started = time.perf_counter()
        _write_csv(path, ROWS)
        size = path.stat().st_size / 2**20
        report(f"generated the CSV: {ROWS:,} rows, {size:.1f} MB", time.perf_counter() - started, "s")
        uploaded = _child("upload_stage.py", str(path), str(owner.pk))
    report(f"upload of the {size:.0f} MB file through the web stack", uploaded["seconds"], "s")
    report("  memory the upload added to the web process", uploaded["added_mb"], "MB", baseline=50,
           baseline_name="the aim")  # fmt: skip
    analysed = _child("import_stage.py", "analyse", str(uploaded["job"]))
    job = ImportJob.objects.get(pk=uploaded["job"])
    assert job.status == ImportJob.Status.READY, job.error
    report(f"preview of {ROWS:,} rows ({job.preview})", analysed["seconds"], "s")
    report("  peak memory of the preview process", analysed["peak_mb"], "MB", baseline=300, baseline_name="the aim")
    export = ExportJob.objects.create(shop=shop, requested_by=owner, kind="import_report", params={"job": job.pk})
    exported = _child("import_stage.py", "export", str(export.pk))
    export.refresh_from_db(fields=["status", "row_count", "error"])
    assert export.status == ExportJob.Status.DONE, export.error
    report(f"report of the preview ({export.row_count:,} rows, .xlsx)", exported["seconds"], "s")
    report("  peak memory of the report process", exported["peak_mb"], "MB", baseline=300, baseline_name="the aim")
    if os.environ.get("BENCH_MEMORY_COMMIT") != "1":
        return
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    committed = _child("import_stage.py", "run", str(job.pk))
    job.refresh_from_db(fields=["status", "counts", "error"])
    assert job.status == ImportJob.Status.DONE, job.error
    report(f"commit of {ROWS:,} rows ({job.counts})", committed["seconds"], "s")
    report("  peak memory of the commit process", committed["peak_mb"], "MB", baseline=300, baseline_name="the aim")
