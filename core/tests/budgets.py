"""Query budgets of pages: what one request to a page may cost in queries, pinned by a test
(``django_assert_max_num_queries``) beside the checks that 5 and 55 rows cost the same. A
budget is the count measured on SQLite and on PostgreSQL (the larger) plus 2.

To measure again after a change, run the budget tests with QUERY_BUDGETS_MEASURE naming a
file: each visit appends its name and the queries it ran, whatever its budget."""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.urls import reverse

SLACK = 2


@dataclass(frozen=True)
class Visit:
    """One request to a page: the URL's name, its arguments and POST data as functions of the
    rows the test made (a namespace), the budget and the status it answers with."""

    name: str
    budget: int
    method: str = "get"
    args: Callable[[Any], tuple] = lambda rows: ()
    data: Callable[[Any], dict] = lambda rows: {}
    status: int = 200
    label: str = ""
    extra: dict = field(default_factory=dict)  # passed to the client (a file upload's format, say)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}{f' ({self.label})' if self.label else ''}"


def visit_within_budget(client: Client, visit: Visit, rows: Any, django_assert_max_num_queries):
    """Send the visit (its URL and data are built first, outside the count) and fail if it ran
    more queries than its budget or answered another status."""
    url, data = reverse(visit.name, args=visit.args(rows)), visit.data(rows)
    send = client.post if visit.method == "post" else client.get
    with django_assert_max_num_queries(visit.budget if not _measuring() else 10**6) as captured:
        response = send(url, data, **visit.extra)
    if _measuring():
        with open(os.environ["QUERY_BUDGETS_MEASURE"], "a") as out:
            out.write(f"{visit}\t{len(captured)}\n")
    assert response.status_code == visit.status, f"{visit} answered {response.status_code}"
    return response


def _measuring() -> bool:
    return bool(os.environ.get("QUERY_BUDGETS_MEASURE"))
