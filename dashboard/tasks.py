from celery import shared_task

from dashboard.services import dashboard_refresh_all


@shared_task
def refresh_dashboards() -> None:
    dashboard_refresh_all()
