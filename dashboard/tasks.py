from celery import shared_task

from dashboard.services import dashboard_refresh, dashboard_refresh_all
from shops.models import Shop


@shared_task
def refresh_dashboard(shop_id: int) -> None:
    dashboard_refresh(shop=Shop.objects.get(pk=shop_id))


@shared_task
def refresh_dashboards() -> None:
    dashboard_refresh_all()
