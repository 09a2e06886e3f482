from django.core.management.base import BaseCommand, CommandError

from loyalty.services import points_balance_mismatches


class Command(BaseCommand):
    help = "Check that every customer's cached points balance equals the sum of their ledger."

    def handle(self, *args, **options):
        mismatches = points_balance_mismatches()
        if mismatches:
            for customer_id, cached, ledger in mismatches[:50]:
                self.stderr.write(f"customer {customer_id}: cached {cached}, ledger {ledger}")
            raise CommandError(f"{len(mismatches)} balances differ from the ledger.")
        self.stdout.write("Every cached balance equals its ledger.")
