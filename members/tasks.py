from celery import shared_task
from django.utils.translation import gettext as _

from members.import_files import import_files_purge
from members.import_rows import import_rows_drop
from members.imports import import_analyse, import_fail, import_run


@shared_task
def analyse_import(job_id: int) -> None:
    try:
        import_analyse(job_id=job_id)
    except Exception:
        import_fail(job_id=job_id, error=_("Reading the file failed unexpectedly; please upload it again."))
        raise


@shared_task
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


@shared_task
def purge_import_files() -> None:
    import_files_purge()


@shared_task
def drop_import_rows(job_id: int) -> None:
    import_rows_drop(job_id=job_id)
