"""An upload reaches its job, and the worker the file, a chunk at a time: the bytes that
arrive are the bytes sent, whatever their size, and a CSV is decoded as it is read."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import blobs
from core.tests.spreadsheets import csv_bytes
from imports import services
from imports import storage as import_storage
from imports.models import ImportJob
from loyalty.tests.test_opening_import import HEADERS, confirm_and_run, refused, upload
from members.models import Customer

pytestmark = pytest.mark.django_db


def opening_csv(rows: int) -> bytes:
    return csv_bytes([[f"Nguyễn Thị Khách {n}", f"0912{n:06d}", "", 1000 + n] for n in range(rows)], headers=HEADERS)


def test_an_upload_larger_than_a_chunk_arrives_whole_through_the_page(owner_client, monkeypatch, settings):
    """Over Django's in-memory limit, the upload comes from a temporary file; the chunks
    are made small so that the file spans several, with a partial last one."""
    monkeypatch.setattr(blobs, "CHUNK_BYTES", 64 * 1024 + 7)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100 * 1024
    content = opening_csv(20_000)  # about 800 KB
    assert len(content) > 10 * blobs.CHUNK_BYTES

    response = owner_client.post("/members/opening-balances/", {"file": SimpleUploadedFile("dau-ky.csv", content)})

    job = ImportJob.objects.get()
    assert response.url == f"/members/imports/{job.pk}/"
    assert (job.file_size, job.file_sha256) == (len(content), hashlib.sha256(content).hexdigest())
    with import_storage.import_file_open(job_id=job.pk) as file:
        assert file.read() == content


def test_a_csv_read_as_a_stream_imports_every_row(shop, owner, monkeypatch):
    monkeypatch.setattr(blobs, "CHUNK_BYTES", 4096 + 3)
    job = upload(shop, owner, opening_csv(3_000), name="dau-ky.csv")
    assert job.preview == {"new": 3_000}

    job = confirm_and_run(job, owner)

    assert job.counts == {"new": 3_000}
    assert Customer.objects.get(phone="+84912002999").name == "Nguyễn Thị Khách 2999"


def test_a_csv_that_stops_being_utf8_far_down_is_refused_as_not_utf8(shop, owner):
    content = opening_csv(2_000) + csv_bytes([["Hélène", "0933333333", "", 1]], encoding="cp1252")

    assert "UTF-8" in refused(shop, owner, content, name="dau-ky.csv")
    assert not Customer.objects.exists()


def test_the_report_reads_the_file_again_after_the_preview(shop, owner):
    from imports.report import report_rows

    job = upload(shop, owner, opening_csv(3), name="dau-ky.csv")

    _header, total, rows = report_rows(job=job)

    assert total == 3 and [row[0] for row in rows] == [2, 3, 4]
    job.refresh_from_db()
    assert bytes(job.file_content) == opening_csv(3)  # still there for the commit


def test_a_job_whose_file_was_dropped_reads_as_empty(shop, owner):
    job = services.import_upload(shop=shop, actor=owner, ip=None, kind="opening", name="a.csv", content=opening_csv(1))
    ImportJob.objects.filter(pk=job.pk).update(file_content=b"")

    with import_storage.import_file_open(job_id=job.pk) as file:
        assert file.read() == b""
