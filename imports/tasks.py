from celery import shared_task
from django.utils.translation import gettext as _

from imports.analysis import import_analyse
from imports.files import import_files_purge
from imports.rows import import_rows_drop
from imports.services import import_fail, import_run

# Each task is named as it was when it lived in members, so that a task queued before an
# upgrade still runs (and beat's schedule names the purge so).


@shared_task(name="members.tasks.analyse_import")
def analyse_import(job_id: int) -> None:
    try:
        import_analyse(job_id=job_id)
    except Exception:
        import_fail(job_id=job_id, error=_("Reading the file failed unexpectedly; please upload it again."))
        raise


@shared_task(name="members.tasks.run_import")
def run_import(job_id: int) -> None:
    """Applies batch after batch; a delivery after a crash continues after the last one."""
    try:
        import_run(job_id=job_id)
    except Exception:
        import_fail(
            job_id=job_id,
            error=_("The import stopped unexpectedly. The rows before it are in; resuming continues after them."),
        )
        raise


@shared_task(name="members.tasks.purge_import_files")
def purge_import_files() -> None:
    import_files_purge()


@shared_task(name="members.tasks.drop_import_rows")
def drop_import_rows(job_id: int) -> None:
    import_rows_drop(job_id=job_id)
