"""A task travels through the configured broker (a folder on disk, or Redis) to a real
worker process, which writes to the test database."""

import pytest

from conftest import wait_for
from shops.activity import activity_record
from shops.models import ActivityKind, ExportJob, Heartbeat
from shops.tasks import heartbeat

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_task_sent_through_the_broker_runs_in_the_worker(celery_worker_process):
    heartbeat.delay()

    beat = wait_for(lambda: Heartbeat.objects.filter(name="worker").first())
    assert beat.hostname


def test_an_export_requested_in_a_request_is_built_by_the_worker(celery_worker_process, owner_client, owner):
    activity_record(shop=owner.shop, actor=owner, kind=ActivityKind.LOGIN, summary="Mai logged in.")

    response = owner_client.post("/settings/activity/export/", {})

    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    wait_for(lambda: ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.DONE).exists())
    page = owner_client.get(f"/exports/{job.pk}/").content.decode()
    assert "File đã sẵn sàng: 2 dòng" in page  # the login and the export request
