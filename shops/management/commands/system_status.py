import time

from django.core.management.base import BaseCommand, CommandError

from core.formatting import format_datetime
from shops.selectors import heartbeat_status


class Command(BaseCommand):
    help = "Say whether a Celery worker has recently run beat's heartbeat; exit 1 when not."

    def add_arguments(self, parser):
        parser.add_argument("--wait", type=int, default=0, help="Seconds to wait for a fresh heartbeat.")

    def handle(self, *args, wait, **options):
        deadline = time.monotonic() + wait
        status = heartbeat_status()
        while not status["alive"] and time.monotonic() < deadline:
            time.sleep(2)
            status = heartbeat_status()
        if status["alive"]:
            self.stdout.write(f"Worker and beat are running (last heartbeat {format_datetime(status['last_seen'])}).")
            return
        seen = format_datetime(status["last_seen"]) if status["last_seen"] else "never"
        raise CommandError(f"No recent heartbeat (last: {seen}): start a Celery worker and exactly one beat.")
