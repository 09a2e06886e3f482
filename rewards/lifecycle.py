"""Beat's sweep of redemptions: codes a lost task left waiting, and codes that lapsed unused.

An unused code's points come back a day after its last day (``GRACE``): an order placed on
the last day may reach us later (a webhook retried, the next sync), and should find its
code still open. ``points_return`` moves each once, whatever runs twice.
"""

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rewards.codes import LEASE
from rewards.models import Redemption
from rewards.services import points_return

GRACE = datetime.timedelta(days=1)
# A redemption's task normally starts within seconds; one still unclaimed after this long
# was lost (a broker restart, a worker killed before it started).
TASK_LOST_AFTER = datetime.timedelta(minutes=2)
BATCH = 500


def redemptions_waiting(*, now: datetime.datetime | None = None) -> list[int]:
    """Redemptions still waiting for their code that no run holds: never tried for a while,
    or claimed by a run that has gone (its lease is over)."""
    now = now or timezone.now()
    return list(
        Redemption.objects.filter(state=Redemption.State.WAITING)
        .filter(Q(code_tried_at__isnull=True, created_at__lt=now - TASK_LOST_AFTER) | Q(code_tried_at__lt=now - LEASE))
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )


def redemptions_expire(*, now: datetime.datetime | None = None) -> int:
    """Give back the points of codes whose last day ended more than ``GRACE`` ago unused."""
    now = now or timezone.now()
    due = list(
        Redemption.objects.filter(state=Redemption.State.SENT, ends_at__lt=now - GRACE)
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    reason = _("the code lapsed unused")
    return sum(points_return(redemption_id=pk, state=Redemption.State.EXPIRED, reason=reason) for pk in due)
