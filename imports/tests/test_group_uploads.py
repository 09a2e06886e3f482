"""A static group's phone list is read by a worker, like every import: the web request keeps
the file and answers; the worker previews it; staff confirm; the matched customers go in."""

import datetime
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import wait_for
from core.spreadsheets import read_numbered_rows
from core.tests.bombs import padded_blank_rows_bomb
from core.tests.spreadsheets import csv_bytes, xlsx_bytes
from imports import analysis, reading, services, tasks
from imports.models import ImportJob
from members.models import CustomerGroupMember
from members.services import group_create
from members.tests.factories import CustomerFactory


@pytest.fixture
def customers(shop):
    return [
        CustomerFactory(shop=shop, name="Nguyễn Thị Mai", phone="+84912345678"),
        CustomerFactory(shop=shop, name="Trần Văn Nam", phone="+84382345678"),
        CustomerFactory(shop=shop, name="Lê Thị Hoa", phone="+84987654321"),
    ]


@pytest.fixture
def queued(monkeypatch):
    """The tasks the web process hands to the broker, by name: (task, job id)."""
    sent = []
    monkeypatch.setattr(tasks.analyse_import, "delay", lambda job_id: sent.append(("analyse", job_id)))
    monkeypatch.setattr(tasks.run_import, "delay", lambda job_id: sent.append(("run", job_id)))
    return sent


@pytest.fixture
def no_reading_here(monkeypatch):
    """Fail if this (the web) process reads a spreadsheet."""

    def refuse(**kwargs):
        raise AssertionError("a spreadsheet was read in the web request")

    monkeypatch.setattr(reading, "read_numbered_rows", refuse)


def post_list(client, group, content: bytes, name: str = "ds.xlsx"):
    return client.post(f"/members/groups/{group.pk}/upload/", {"file": SimpleUploadedFile(name, content)})


def test_staff_upload_a_phone_list_see_what_matches_confirm_and_the_customers_are_in(
    staff_client, shop, customers, queued, no_reading_here, django_capture_on_commit_callbacks, monkeypatch
):
    group = group_create(shop=shop, name="Danh sách hội chợ", kind="static")
    content = xlsx_bytes([["HoTen", "DienThoai"], ["Mai", "0912 345 678"], ["Nam", 1682345678], ["Lạ", "0909 000 111"],
                    ["Sai", "12345"], ["Mai lần 2", "+84912345678"]])  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        response = post_list(staff_client, group, content)

    job = ImportJob.objects.get()
    assert response["Location"] == f"/members/imports/{job.pk}/"
    assert (job.kind, job.group, job.status, queued) == ("phones", group, "analysing", [("analyse", job.pk)])
    assert not CustomerGroupMember.objects.exists()

    monkeypatch.setattr(reading, "read_numbered_rows", read_numbered_rows)  # the worker reads the file
    analysis.import_analyse(job_id=job.pk)
    page = staff_client.get(f"/members/imports/{job.pk}/").content.decode()
    assert 'Khớp khách hàng: thêm vào nhóm</dt><dd data-outcome="matched">3' in page
    assert 'Không khớp khách hàng nào</dt><dd data-outcome="unmatched">1' in page and "0909 000 111" in page
    assert 'Không phải số điện thoại</dt><dd data-outcome="error">1' in page and "12345" in page
    assert f'href="/members/groups/{group.pk}/"' in page and "Danh sách hội chợ" in page
    assert not CustomerGroupMember.objects.exists()  # nothing before the confirmation

    staff_client.post(f"/members/imports/{job.pk}/confirm/")
    services.import_run(job_id=job.pk)

    assert {m.customer.name for m in CustomerGroupMember.objects.filter(group=group)} == {"Nguyễn Thị Mai",
                                                                                          "Trần Văn Nam"}  # fmt: skip
    job.refresh_from_db()
    assert (job.status, job.counts) == ("done", {"matched": 3, "unmatched": 1, "error": 1})
    group_page = staff_client.get(f"/members/groups/{group.pk}/").content.decode()
    assert f'href="/members/imports/{job.pk}/"' in group_page
    # The list's report is theirs to read, as the list is (the menu marks the groups).
    assert (
        'class="active" aria-current="page">Nhóm khách hàng'
        in staff_client.get(f"/members/imports/{job.pk}/").content.decode()
    )
    report = staff_client.post(f"/members/imports/{job.pk}/report/")
    assert staff_client.get(report["Location"]).status_code == 200


def test_a_list_without_headers_is_read_from_its_first_column(staff_client, shop, customers, queued):
    group = group_create(shop=shop, name="CSV", kind="static")

    content = csv_bytes([["0987654321", "Hoa"], ["0912345678", "Mai"]], delimiter=";", encoding="utf-8-sig")
    post_list(staff_client, group, content, name="ds.csv")
    job = ImportJob.objects.get()
    analysis.import_analyse(job_id=job.pk)
    services.import_confirm(job=job, actor=job.uploaded_by, ip=None)
    services.import_run(job_id=job.pk)

    assert {m.customer.name for m in CustomerGroupMember.objects.filter(group=group)} == {"Lê Thị Hoa",
                                                                                          "Nguyễn Thị Mai"}  # fmt: skip


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ({"file": SimpleUploadedFile("ds.xlsx", b"")}, "File bạn chọn không có dữ liệu (0 byte)"),
        ({}, "Hãy chọn file có các số điện thoại rồi tải lên"),
        ({"file": SimpleUploadedFile("old.xls", b"\xd0\xcf")}, "Lưu thành"),
    ],
    ids=["empty", "none", "xls"],
)
def test_a_file_refused_before_it_is_kept_says_why_next_to_the_field(staff_client, shop, upload, message, queued):
    group = group_create(shop=shop, name="G", kind="static")

    response = staff_client.post(f"/members/groups/{group.pk}/upload/", upload)

    page = response.content.decode()
    assert response.status_code == 400 and not ImportJob.objects.exists() and not queued
    errors = page[page.index('<form method="post" action="/members/groups/') :]
    assert message in errors[: errors.index("</form>")]
    assert "Hãy chọn file trước" not in page


def test_staff_see_a_phone_list_job_but_not_an_owners_opening_import(staff_client, shop, owner, staff, queued):
    group = group_create(shop=shop, name="G", kind="static")
    phones = services.import_upload(shop=shop, actor=staff, ip=None, kind="phones", name="a.csv", content=b"1",
                                   group=group)  # fmt: skip
    opening = services.import_upload(shop=shop, actor=owner, ip=None, kind="opening", name="b.csv", content=b"1")

    assert staff_client.get(f"/members/imports/{phones.pk}/").status_code == 200
    assert staff_client.get(f"/members/imports/{opening.pk}/").status_code == 403
    assert staff_client.post(f"/members/imports/{opening.pk}/cancel/").status_code == 403


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_padded_bomb_is_answered_at_once_by_the_web_process_and_refused_quickly_by_the_worker(
    celery_worker_process, staff_client, shop, no_reading_here
):
    group = group_create(shop=shop, name="Hội chợ", kind="static")
    content = padded_blank_rows_bomb(("DienThoai",))

    started = time.monotonic()
    response = post_list(staff_client, group, content)
    answered = time.monotonic() - started

    job = ImportJob.objects.get()
    assert response["Location"] == f"/members/imports/{job.pk}/" and answered < 10  # it took 47 CPU-seconds
    job = wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status="refused").first(), timeout=60)
    assert "File .xlsx này khi giải nén lớn bất thường" in job.error
    # Read by the worker in well under a second; 10 s leave room for a loaded machine (it was 45 s).
    assert job.finished_at - job.created_at < datetime.timedelta(seconds=10)
    assert job.finished_at <= timezone.now()
    page = staff_client.get(f"/members/imports/{job.pk}/").content.decode()
    assert "giải nén lớn bất thường" in page and not CustomerGroupMember.objects.exists()
