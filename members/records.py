"""The records a platform hands to the customer layer, already cleaned (haravan.mapping
makes them from Haravan's JSON), and what recording them returns."""

import datetime
from dataclasses import dataclass, field


@dataclass
class CustomerData:
    """A customer as a platform describes them, already cleaned."""

    phone: str  # E.164
    name: str = ""
    email: str = ""
    birthday: datetime.date | None = None
    gender: str = ""
    city: str = ""
    haravan_id: int | None = None
    accepts_email: bool | None = None


@dataclass
class OrderData:
    """An order as a platform describes it, already cleaned."""

    source: str
    external_id: str
    number: str
    total: int
    paid_amount: int
    refunded_amount: int
    financial_status: str
    created_at: datetime.datetime
    updated_at: datetime.datetime | None
    paid_at: datetime.datetime | None = None
    cancelled_at: datetime.datetime | None = None
    discount_codes: list[str] = field(default_factory=list)
    phone_raw: str = ""
    customer: CustomerData | None = None


@dataclass(frozen=True)
class OrderResult:
    order_id: int
    created: bool
    changed: bool


@dataclass
class OrdersTouched:
    """What ``orders_upsert`` changed, for the layers above to go on from: each given
    order's result (in the order given), the customers whose figures it recomputed, and the
    moments whose overview days changed (orders placed, first orders moved)."""

    results: list[OrderResult]
    customer_ids: set[int] = field(default_factory=set)
    moments: list[datetime.datetime | None] = field(default_factory=list)

    @property
    def changed_order_ids(self) -> list[int]:
        return [result.order_id for result in self.results if result.changed]
