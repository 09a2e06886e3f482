import getpass
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from loyalty.services import shop_open
from shops.models import User
from shops.services import normalize_username


class Command(BaseCommand):
    help = "Create a shop and its first owner account (asks for the password)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The shop's name.")
        parser.add_argument("--owner", required=True, help="The owner's username.")
        parser.add_argument("--time-zone", default="", help="Default: Asia/Ho_Chi_Minh.")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from standard input (for scripts)."
        )

    def handle(self, *args, name, owner, time_zone, password_stdin, **options):
        username = normalize_username(owner)
        if User.objects.filter(username=username).exists():
            raise CommandError(f"The username {username} is taken.")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Owner's password: ")
            if password != getpass.getpass("Again: "):
                raise CommandError("The two passwords differ.")
        try:
            validate_password(password, User(username=username))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        shop = shop_open(name=name, owner_username=username, owner_password=password, time_zone=time_zone)
        self.stdout.write(self.style.SUCCESS(f"Shop {shop.name} (id {shop.pk}) created; owner: {username}."))
