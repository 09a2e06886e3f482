import os
import socket

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("loyalty")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _worker_ready(sender=None, **_kwargs) -> None:
    # Beat's first heartbeat comes a minute after start; the boot itself says "starting" meanwhile.
    # Imported here: this module is loaded before Django's apps are.
    from shops.services import worker_boot_record

    worker_boot_record(hostname=getattr(sender, "hostname", "") or socket.gethostname())
