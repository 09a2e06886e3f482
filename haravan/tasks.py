from celery import shared_task
from django.utils.translation import gettext as _

from haravan import services


@shared_task
def check_connection(connection_id: int) -> None:
    services.connection_check(connection_id=connection_id)


@shared_task
def run_sync(job_id: int) -> None:
    services.sync_run(job_id=job_id)


@shared_task
def incremental_sync_all() -> None:
    services.incremental_sync_all()


@shared_task(bind=True, max_retries=5)
def process_webhook(self, event_id: int) -> None:
    try:
        services.webhook_process(event_id=event_id)
    except Exception as error:
        services.webhook_fail(event_id=event_id, error=_("Processing failed: %(error)s") % {"error": error})
        raise self.retry(exc=error, countdown=min(300, 5 * 2**self.request.retries)) from error


@shared_task
def webhook_sweep() -> None:
    services.webhook_sweep()
