"""What the spreadsheet import pages cost in queries, on the data of a shop in use
(``busy_shop``) with an opening-balance file read and waiting for its confirmation.

The import pages live in the imports app (``imports:*``)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.tests.budgets import Visit, visit_within_budget
from imports import analysis, services
from loyalty.tests.test_opening_import import xlsx

FILE = [["Nguyễn Thị Mai", "0912 345 678", "", "1.500.000"], ["Đỗ Văn Tùng", "0933 333 333", "", 2_000_000],
        ["Số Sai", "12345", "", 1]]  # fmt: skip
JOB = {"args": lambda rows: (rows.job.pk,)}
VISITS = [
    Visit("imports:opening", 6),
    Visit("imports:opening", 12, "post", label="uploaded", status=302,
          data=lambda rows: {"file": SimpleUploadedFile("dau-ky.xlsx", xlsx(FILE))}),
    Visit("imports:opening_template", 5),
    Visit("imports:job", 12, label="preview", **JOB),
    Visit("imports:job", 12, label="preview, searched", **JOB, data=lambda rows: {"q": "mai"}),
    Visit("imports:status", 6, **JOB),
    Visit("imports:confirm", 11, "post", status=302, **JOB),
    Visit("imports:cancel", 8, "post", status=302, **JOB),
    Visit("imports:report", 10, "post", status=302, **JOB),
    Visit("imports:adjustments", 6),
]  # fmt: skip


@pytest.fixture
def rows(busy_shop):
    busy_shop.job = services.import_upload(shop=busy_shop.shop, actor=busy_shop.owner, ip=None, kind="opening",
                                          name="dau-ky.xlsx", content=xlsx(FILE))  # fmt: skip
    analysis.import_analyse(job_id=busy_shop.job.pk)  # the worker
    return busy_shop


@pytest.mark.parametrize("visit", VISITS, ids=str)
def test_each_import_page_keeps_its_query_budget(visit, owner_client, rows, django_assert_max_num_queries):
    visit_within_budget(owner_client, visit, rows, django_assert_max_num_queries)
