import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports import analysis, services
from imports.models import ImportJob
from loyalty.tests.test_opening_import import xlsx
from members.models import Customer
from shops.models import ExportJob


def post_file(client, content, name="dau-ky.xlsx"):
    return client.post("/members/opening-balances/", {"file": SimpleUploadedFile(name, content)})


def test_the_page_explains_when_to_use_it_and_offers_the_template(owner_client):
    page = owner_client.get("/members/opening-balances/").content.decode()

    assert "ngoài hệ thống Haravan" in page and "một lần duy nhất" in page
    assert "/members/opening-balances/template.xlsx" in page


def test_upload_preview_confirm_and_result_pages(owner_client, shop):
    response = post_file(owner_client, xlsx([["Mai", "0912345678", "", "1.500.000"], ["Sai", "123", "", 1]]))
    job = ImportJob.objects.get()
    assert response.url == f"/members/imports/{job.pk}/"
    assert "Đang đọc file" in owner_client.get(response.url).content.decode()

    analysis.import_analyse(job_id=job.pk)  # the worker
    page = owner_client.get(response.url).content.decode()
    assert "Chưa có gì được ghi" in page and "Xác nhận nhập" in page and "DienThoai" in page
    assert not Customer.objects.exists()

    owner_client.post(f"/members/imports/{job.pk}/confirm/")
    status = owner_client.get(f"/members/imports/{job.pk}/status/").json()
    assert status["status"] == "queued" and status["rows_total"] == 2
    services.import_run(job_id=job.pk)  # the worker

    page = owner_client.get(response.url).content.decode()
    assert "Đã nhập xong" in page and "Tải báo cáo (.xlsx)" in page
    owner_client.post(f"/members/imports/{job.pk}/report/")
    export = ExportJob.objects.get()
    assert (export.kind, export.params) == ("import_report", {"job": job.pk})


def test_a_refused_upload_says_why_on_the_same_page_and_keeps_nothing(owner_client):
    response = post_file(owner_client, b"old", name="dau-ky.xls")

    assert response.status_code == 200
    assert "Excel" in response.content.decode() and ".xlsx" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_cancelled_preview_cannot_be_confirmed(owner_client):
    post_file(owner_client, xlsx([["Mai", "0912345678", "", 1]]))
    job = ImportJob.objects.get()
    analysis.import_analyse(job_id=job.pk)

    owner_client.post(f"/members/imports/{job.pk}/cancel/")
    owner_client.post(f"/members/imports/{job.pk}/confirm/")

    job.refresh_from_db()
    assert job.status == "cancelled" and not Customer.objects.exists()


@pytest.mark.parametrize(
    "url", ["/members/opening-balances/", "/members/opening-balances/template.xlsx", "/settings/loyalty/adjustments/"]
)
def test_imports_are_for_the_owner(staff_client, url):
    assert staff_client.get(url).status_code == 403


def test_another_shops_import_is_not_found(client, other_owner, owner, shop):
    job = services.import_upload(shop=shop, actor=owner, ip=None, kind="opening", name="a.xlsx", content=xlsx([]))
    client.force_login(other_owner)

    assert client.get(f"/members/imports/{job.pk}/").status_code == 404
    assert client.post(f"/members/imports/{job.pk}/confirm/").status_code == 404
    assert client.get(f"/members/imports/{job.pk}/status/").status_code == 404
