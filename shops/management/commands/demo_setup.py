import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from members.demo import demo_fill
from shops.models import Shop, User
from shops.services import shop_create

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
            shop = shop_create(name=DEMO_SHOP_NAME, owner_username=DEMO_OWNER, owner_password=password)
            demo_fill(shop=shop, customers=customers)
            login_file.write_text(password + "\n")
            login_file.chmod(0o600)
        elif login_file.exists():
            password = login_file.read_text().strip()
        else:
            # The file was removed: give the demo owner a new password rather than none.
            password = secrets.token_urlsafe(9)
            owner.set_password(password)
            owner.save(update_fields=["password"])
            login_file.write_text(password + "\n")
            login_file.chmod(0o600)
        shop = Shop.objects.filter(staff__username=DEMO_OWNER).first()
        bar = "=" * 64
        port = os.environ.get("WEB_PORT", "8000")
        self.stdout.write(
            f"\n{bar}\n"
            f"  Demo shop: {shop.name}\n"
            f"  Log in at http://127.0.0.1:{port}/login/\n"
            f"  Username:  {DEMO_OWNER}\n"
            f"  Password:  {password}\n"
            f"  (kept in {login_file})\n"
            f"{bar}\n"
        )
