"""The bulk-adjustment preview says what confirming will do ("Sẽ điều chỉnh"); only the
finished import says it was done ("Đã điều chỉnh")."""

import re

from core.tests.spreadsheets import xlsx_bytes, xlsx_rows
from imports import analysis, services
from loyalty.tests.test_bulk_adjustments import HEADERS, member
from shops.exports import export_run
from shops.models import ExportJob


def _facts(html: str, block_id: str) -> list[tuple[str, str]]:
    block = html.split(f'id="{block_id}"', 1)[1].split("</dl>", 1)[0]
    return re.findall(r"<dt>([^<]*)</dt><dd[^>]*>([^<]*)</dd>", block)


def _outcomes(owner_client, job) -> list[str]:
    """The report's "Kết quả" column."""
    owner_client.post(f"/members/imports/{job.pk}/report/")
    export = ExportJob.objects.filter(kind="import_report").latest("pk")
    export_run(job_id=export.pk)
    content = owner_client.get(f"/exports/{export.pk}/download/").getvalue()
    header, *rows = xlsx_rows(content)
    return [row[header.index("Kết quả")] for row in rows]


def test_the_preview_says_will_be_adjusted_and_the_result_says_adjusted(owner_client, shop, owner):
    member(shop, "+84912345678", "Mai")
    job = services.import_upload(
        shop=shop, actor=owner, ip=None, kind="points", name="diem.xlsx",
        content=xlsx_bytes([["0912345678", "Tặng điểm tri ân", 50], ["0909999999", "Tặng", 10]], headers=HEADERS),
    )  # fmt: skip
    analysis.import_analyse(job_id=job.pk)

    preview = owner_client.get(f"/members/imports/{job.pk}/").content.decode()
    assert _facts(preview, "import-preview") == [("Sẽ điều chỉnh", "1"), ("Lỗi", "1")]
    assert "Đã điều chỉnh" not in preview
    assert _outcomes(owner_client, job) == ["Sẽ điều chỉnh", "Lỗi"]

    job.refresh_from_db()
    services.import_confirm(job=job, actor=owner, ip=None)
    services.import_run(job_id=job.pk)

    done = owner_client.get(f"/members/imports/{job.pk}/").content.decode()
    assert _facts(done, "import-result") == [("Đã điều chỉnh", "1"), ("Lỗi", "1")]
    assert _outcomes(owner_client, job) == ["Đã điều chỉnh", "Lỗi"]
