"""Who may open an export: the role of the page its rows come from."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports import analysis, services
from imports.models import ImportJob
from loyalty.tests.test_opening_import import xlsx
from shops.exports import export_run
from shops.models import ExportJob


def built(job: ExportJob) -> ExportJob:
    export_run(job_id=job.pk)  # what the worker does
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    return job


@pytest.fixture
def activity_export(client, owner):
    client.force_login(owner)
    client.post("/settings/activity/export/", {})
    client.logout()
    return built(ExportJob.objects.get(kind="activity"))


@pytest.fixture
def import_report(client, owner):
    client.force_login(owner)
    client.post(
        "/members/opening-balances/", {"file": SimpleUploadedFile("dau-ky.xlsx", xlsx([["Mai", "0912345678", "", 1]]))}
    )
    job = ImportJob.objects.get()
    analysis.import_analyse(job_id=job.pk)
    client.post(f"/members/imports/{job.pk}/confirm/")
    services.import_run(job_id=job.pk)
    client.post(f"/members/imports/{job.pk}/report/")
    client.logout()
    return built(ExportJob.objects.get(kind="import_report"))


@pytest.mark.parametrize("export_fixture", ["activity_export", "import_report"])
def test_staff_cannot_open_or_download_an_owners_export(request, export_fixture, client, owner, staff):
    job = request.getfixturevalue(export_fixture)

    client.force_login(staff)
    assert client.get("/settings/activity/").status_code == 403  # the page itself
    detail = client.get(f"/exports/{job.pk}/")
    download = client.get(f"/exports/{job.pk}/download/")

    assert detail.status_code == 403 and job.filename not in detail.content.decode()
    assert download.status_code == 403 and download.get("Content-Disposition") is None

    client.force_login(owner)
    assert client.get(f"/exports/{job.pk}/").status_code == 200
    assert client.get(f"/exports/{job.pk}/download/")["Content-Disposition"].startswith("attachment;")


def test_staff_open_the_member_list_export_they_asked_for(staff_client):
    staff_client.post("/members/export/", {})
    job = built(ExportJob.objects.get(kind="members"))

    assert job.required_role == "staff"
    assert staff_client.get(f"/exports/{job.pk}/").status_code == 200
    assert staff_client.get(f"/exports/{job.pk}/download/").status_code == 200


def test_a_download_is_streamed_in_chunks_with_its_length(owner_client, owner, shop, settings, monkeypatch):
    from core import blobs

    monkeypatch.setattr(blobs, "CHUNK_BYTES", 1_000)  # several chunks from a small export
    content = bytes(range(256)) * 20
    job = ExportJob.objects.create(shop=shop, requested_by=owner, kind="activity", status="done", content=content,
                                   filename="nhat-ky.xlsx", required_role="owner")  # fmt: skip

    response = owner_client.get(f"/exports/{job.pk}/download/")

    assert response.streaming and int(response["Content-Length"]) == 5_120
    assert list(map(len, response.streaming_content)) == [1_000] * 5 + [120]
