from celery import shared_task

from loyalty.services import points_expire_all
from loyalty.tiers import tier_recalculation_run, tier_reviews_start


@shared_task
def recalculate_tiers(job_id: int) -> None:
    tier_recalculation_run(job_id=job_id)


@shared_task
def expire_points() -> None:
    points_expire_all()


@shared_task
def start_tier_reviews() -> None:
    tier_reviews_start()
