import socket

from celery import shared_task
from django.utils.translation import gettext as _

from shops.exports import export_fail, export_run
from shops.services import heartbeat_touch


@shared_task
def heartbeat() -> None:
    heartbeat_touch(hostname=socket.gethostname())


@shared_task(bind=True)
def run_export(self, job_id: int) -> None:
    try:
        export_run(job_id=job_id)
    except Exception:
        export_fail(job_id=job_id, error=_("The export failed unexpectedly; please try again."))
        raise
