"""The opening-balance import: preview and commit of a generated .xlsx, against
django-import-export's default ModelResource flow on the same file.

BENCH_IMPORT_ROWS (default 100,000) sets the file's size; half of its phones belong to
customers the shop already has. The preview and the commit each run in a fresh process
(bench/import_stage.py), which reports its peak memory. django-import-export runs only up
to BENCH_IMPORT_BASELINE_ROWS (default 100,000) rows: it takes minutes. BENCH_IMPORT_COMMIT=0
stops after the preview. BENCH_PROFILE=1 prints where each stage's database time went.
Aims: preview and commit each under 5 s for 100,000 rows on PostgreSQL, under 60 s for
1,000,000, memory under 300 MB.
"""

import io
import json
import os
import subprocess
import sys
import time

from django.conf import settings
from django.db import connection
from openpyxl import Workbook

from core.db import current_database_url
from imports.models import ImportJob
from imports.services import import_upload
from loyalty.services import loyalty_defaults_create
from members.models import Customer
from shops.models import Shop, User

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 100_000))
BASELINE_ROWS = int(os.environ.get("BENCH_IMPORT_BASELINE_ROWS", 100_000))


def _phone(index: int) -> str:
    return f"09{index:08d}"


def _file(rows: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("DauKy")
    sheet.append(["HoTen", "DienThoai", "Email", "DTDauKy"])
    for index in range(rows):
        sheet.append([f"Khách hàng {index}", _phone(index), f"kh{index}@example.vn" if index % 3 else "",
                      1_000_000 + (index % 97) * 250_000])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _stage(stage: str, job_id: int) -> dict:
    connection.close()  # let the child see everything committed
    output = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "bench" / "import_stage.py"), stage, str(job_id)],
        env={**os.environ, "DATABASE_URL": current_database_url()},
        capture_output=True,
        text=True,
        check=True,
    )
    if output.stderr.strip() and os.environ.get("BENCH_PROFILE") == "1":
        print(output.stderr.rstrip(), flush=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def _baseline(content: bytes, shop: Shop) -> tuple[float, float]:
    import tablib
    from import_export import fields, resources

    class CustomerResource(resources.ModelResource):
        name = fields.Field(attribute="name", column_name="HoTen")
        phone = fields.Field(attribute="phone", column_name="DienThoai")
        email = fields.Field(attribute="email", column_name="Email", default="")  # an empty cell reads as None
        opening_revenue = fields.Field(attribute="opening_revenue", column_name="DTDauKy")

        class Meta:
            model = Customer
            fields = ("name", "phone", "email", "opening_revenue")
            import_id_fields = ("phone",)

        def get_queryset(self):
            return Customer.objects.filter(shop=shop)

        def before_save_instance(self, instance, row, **kwargs):
            instance.shop = shop

    dataset = tablib.Dataset().load(io.BytesIO(content), format="xlsx")
    started = time.perf_counter()
    result = CustomerResource().import_data(dataset, dry_run=True)
    preview = time.perf_counter() - started
    assert not result.has_errors()
    started = time.perf_counter()
    CustomerResource().import_data(dataset, dry_run=False)
    return preview, time.perf_counter() - started


def run(report) -> None:
    shop = Shop.objects.create(name=f"Bench import {ROWS}")
    loyalty_defaults_create(shop=shop)
    owner = User.objects.create_user(username=f"bench-import-{shop.pk}", password="x", shop=shop, role="owner")
    started = time.perf_counter()
    content = _file(ROWS)
    report(f"generated the file: {ROWS:,} rows, {len(content) / 2**20:.1f} MB", time.perf_counter() - started, "s")
    Customer.objects.bulk_create(
        (Customer(shop=shop, phone="+84" + _phone(index)[1:], name=f"Haravan {index}") for index in range(0, ROWS, 2)),
        batch_size=10_000,
    )  # half the file's phones are already customers (e.g. synced from Haravan)
    job = import_upload(shop=shop, actor=owner, ip=None, kind="opening", name="dau-ky.xlsx", content=content)

    analysed = _stage("analyse", job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY, job.error
    baseline = 5 if ROWS <= 100_000 else 60
    report(f"preview of {ROWS:,} rows ({job.preview})", analysed["seconds"], "s", baseline=baseline,
           baseline_name="the aim")  # fmt: skip
    report("  peak memory of the preview process", analysed["peak_mb"], "MB", baseline=300, baseline_name="the aim")

    if os.environ.get("BENCH_IMPORT_COMMIT", "1") == "0":
        return
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["status"])
    committed = _stage("run", job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    report(f"commit of {ROWS:,} rows ({job.counts})", committed["seconds"], "s", baseline=baseline,
           baseline_name="the aim")  # fmt: skip
    report("  peak memory of the commit process", committed["peak_mb"], "MB", baseline=300, baseline_name="the aim")

    if ROWS <= BASELINE_ROWS:
        other = Shop.objects.create(name=f"Bench import-export {ROWS}")
        loyalty_defaults_create(shop=other)
        preview, commit = _baseline(content, other)
        report("django-import-export, default flow: preview (dry run)", preview, "s",
               baseline=analysed["seconds"], baseline_name="ours")  # fmt: skip
        report("django-import-export, default flow: commit", commit, "s",
               baseline=committed["seconds"], baseline_name="ours")  # fmt: skip
