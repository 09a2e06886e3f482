import time

from django.core.management.base import BaseCommand, CommandError

from demo.data import demo_fill
from shops.models import Shop


class Command(BaseCommand):
    help = "Fill a shop with realistic Vietnamese demo customers and a year of their orders."

    def add_arguments(self, parser):
        parser.add_argument("--shop", type=int, help="Shop id (default: the only shop, or the demo shop).")
        parser.add_argument("--customers", type=int, default=1_000, help="How many customers to add.")
        parser.add_argument(
            "--orders-per-customer", type=float, default=1.5, help="Average orders per customer (0 for none)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--batch-size", type=int, default=5_000)

    def handle(self, *args, shop=None, customers, orders_per_customer, seed, batch_size, **options):
        if customers < 1:
            raise CommandError("--customers must be at least 1.")
        shops = Shop.objects.all()
        if shop is not None:
            target = shops.filter(pk=shop).first()
            if target is None:
                raise CommandError(f"There is no shop with id {shop}.")
        elif shops.count() == 1:
            target = shops.get()
        else:
            raise CommandError("Name the shop with --shop ID; shops: " + ", ".join(f"{s.pk}={s.name}" for s in shops))

        started = time.monotonic()

        def progress(made_customers, made_orders):
            self.stdout.write(f"  {made_customers:,} customers, {made_orders:,} orders", ending="\r")
            self.stdout.flush()

        result = demo_fill(
            shop=target,
            customers=customers,
            orders_per_customer=orders_per_customer,
            seed=seed,
            batch_size=batch_size,
            progress=progress,
        )
        elapsed = time.monotonic() - started
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.customers:,} customers and {result.orders:,} orders to {target.name} "
                f"in {elapsed:.1f} s."
            )
        )
