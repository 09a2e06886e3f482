from celery import shared_task

from loyalty.membership import members_activate_filtered
from loyalty.services import points_expire_all
from loyalty.tiers import tier_recalculation_run, tier_reviews_start
from shops.models import Shop, User


# Named as it was when it lived in members, so that a task queued before an upgrade still runs.
@shared_task(name="members.tasks.activate_filtered")
def activate_filtered(shop_id: int, actor_id: int, params: dict, ip: str | None) -> None:
    members_activate_filtered(
        shop=Shop.objects.get(pk=shop_id), actor=User.objects.get(pk=actor_id), params=params, ip=ip
    )


@shared_task
def recalculate_tiers(job_id: int) -> None:
    tier_recalculation_run(job_id=job_id)


@shared_task
def expire_points() -> None:
    points_expire_all()


@shared_task
def start_tier_reviews() -> None:
    tier_reviews_start()
