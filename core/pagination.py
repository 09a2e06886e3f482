from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet


class CappedPaginator(Paginator):
    """Counts at most ``cap`` + 1 rows: at a million customers an exact COUNT(*) costs more
    than the page itself, and "10.000+" says all a person needs. ``capped`` tells the
    template to say so."""

    cap = 10_000
    object_list: QuerySet[Any]  # a queryset: counting it is what the cap is about

    def __init__(self, object_list, per_page, *args, counted: int | None = None, **kwargs):
        """``counted``: the rows the caller found already, up to ``cap`` + 1."""
        super().__init__(object_list, per_page, *args, **kwargs)
        if counted is not None:
            self.capped = counted > self.cap
            self.__dict__["count"] = min(counted, self.cap + 1)

    @cached_property
    def count(self) -> int:
        # Without the list's ORDER BY, which would make the database walk the sort index.
        counted = self.object_list.order_by()[: self.cap + 1].count()
        self.capped = counted > self.cap
        return counted

    capped = False
