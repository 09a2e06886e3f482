import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.automations import demo_automations
from demo.campaigns import demo_campaigns
from demo.data import demo_fill, demo_groups
from demo.rewards import demo_rewards
from loyalty.services import shop_open
from shops.models import Shop, User

DEMO_SHOP_NAME = "Cửa hàng Demo"
DEMO_OWNER = "chushop"


class Command(BaseCommand):
    help = "Create the demo shop and its owner login (once), and print how to log in."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300, help="Demo customers for a new demo shop.")

    def handle(self, *args, customers, **options):
        login_file = settings.VAR_DIR / "demo-login.txt"
        owner = User.objects.filter(username=DEMO_OWNER).first()
        if owner is None:
            password = secrets.token_urlsafe(9)
            shop = shop_open(name=DEMO_SHOP_NAME, owner_username=DEMO_OWNER, owner_password=password)
            demo_fill(shop=shop, customers=customers)
            demo_groups(shop=shop)
            demo_campaigns(shop=shop)
            demo_automations(shop=shop)
            demo_rewards(shop=shop)
        elif (password := _read_password(login_file)) is None:
            # The file was removed: give the demo owner a new password rather than none.
            password = secrets.token_urlsafe(9)
            owner.set_password(password)
            owner.save(update_fields=["password"])
        _write_login(login_file, password)  # also brings an older file (the password alone) up to date
        shop = Shop.objects.filter(staff__username=DEMO_OWNER).first()
        bar = "=" * 64
        self.stdout.write(
            f"\n{bar}\n"
            f"  Demo shop: {shop.name}\n"
            f"  Log in at http://127.0.0.1:{settings.WEB_PORT}/login/\n"
            f"  Username:  {DEMO_OWNER}\n"
            f"  Password:  {password}\n"
            f"  (kept in {login_file})\n"
            f"{bar}\n"
        )


def _write_login(path: Path, password: str) -> None:
    path.write_text(f"Username: {DEMO_OWNER}\nPassword: {password}\n")
    path.chmod(0o600)


def _read_password(path: Path) -> str | None:
    """The password kept in the file; an older file held nothing else."""
    if not path.exists():
        return None
    lines = path.read_text().splitlines()
    for line in lines:
        if line.startswith("Password:"):
            return line.removeprefix("Password:").strip()
    return lines[0].strip() if len(lines) == 1 and lines[0].strip() else None
