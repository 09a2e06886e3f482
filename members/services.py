"""What changes customers and orders."""

from members.models import Customer, Order

# Orders whose paid amount counts as spend (minus what was refunded).
SPENDING_STATUSES = frozenset(
    {Order.FinancialStatus.PAID, Order.FinancialStatus.PARTIALLY_REFUNDED, Order.FinancialStatus.REFUNDED}
)


def apply_order_totals(customer: Customer, orders: list[Order]) -> None:
    """Set the customer's order figures from their orders: cancelled (voided) orders do not
    count; spend is what was paid minus what was refunded."""
    live = [order for order in orders if order.financial_status != Order.FinancialStatus.VOIDED]
    customer.orders_count = len(live)
    customer.first_order_at = min((order.created_at for order in live), default=None)
    customer.last_order_at = max((order.created_at for order in live), default=None)
    customer.total_spent = sum(
        order.total - order.refunded_amount for order in live if order.financial_status in SPENDING_STATUSES
    )
