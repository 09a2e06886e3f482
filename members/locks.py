"""The one way to lock customers' rows.

Every path that changes a customer's figures (orders, points, tiers, contact details,
consent) locks the rows it needs here, always in id order, so two transactions that lock
overlapping sets of customers wait for each other instead of deadlocking.
"""

from django.db.models import QuerySet

from members.models import Customer


def customers_lock(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """``customers`` locked until the transaction ends, taken in id order."""
    return customers.select_for_update().order_by("pk")


def customer_lock(customers: QuerySet[Customer], *, pk: int) -> Customer:
    """One customer of ``customers`` (a shop's, say) locked; ``Customer.DoesNotExist`` if
    it is not among them."""
    return customers_lock(customers.filter(pk=pk)).get()
