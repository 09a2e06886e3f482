from celery import shared_task

from members.services import members_activate_filtered
from shops.models import Shop, User


@shared_task
def activate_filtered(shop_id: int, actor_id: int, params: dict, ip: str | None) -> None:
    members_activate_filtered(
        shop=Shop.objects.get(pk=shop_id), actor=User.objects.get(pk=actor_id), params=params, ip=ip
    )
