from celery import shared_task

from loyalty.services import tier_recalculation_run


@shared_task
def recalculate_tiers(job_id: int) -> None:
    tier_recalculation_run(job_id=job_id)
