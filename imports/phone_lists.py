"""A static group's phone list (Nhóm khách hàng › a static group › upload a list of phones):
one more kind of spreadsheet import, so that the file is read by a worker and never inside a
web request, with the same limits, preview, progress and report as every import.

A list needs no template: the phones are the column headed DienThoai (or another name for a
phone), else the first column, with or without a row of headers. A phone listed twice is
added once. Confirming adds the customers the phones match to the group; the preview and the
report list the phones that match nobody and the cells that are not phones.

A group with lists is deleted here (``group_delete_with_lists``): its lists are checked and
a waiting one cancelled before members' ``group_delete``, in the same transaction.
"""

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.text import fold
from imports.kinds import ERROR, ImportKind, Outcome, Row, RowError, register_import
from imports.models import ImportJob
from imports.services import imports_cancel
from members.models import Customer, CustomerGroup, CustomerGroupMember
from members.phones import InvalidPhone, normalize_phone
from members.services import PHONE_HEADERS, group_add_customers, group_delete
from shops.models import Shop, User

PHONE = "DienThoai"
MATCHED = "matched"
UNMATCHED = "unmatched"


def _unmatched() -> Outcome:
    return Outcome(UNMATCHED, _("No customer of the shop has this phone."))


class PhoneListImport(ImportKind):
    def columns(self, cells: list) -> tuple[dict[str, int], bool]:
        for index, cell in enumerate(cells):
            header = fold(str(cell or "")).replace("_", " ")
            if header in PHONE_HEADERS or header.replace(" ", "") in PHONE_HEADERS:
                return {PHONE: index}, True
        return {PHONE: 0}, False  # no headers: the first row is a phone already

    def read(self, shop: Shop, cells: dict[str, Any]) -> tuple[str, Any]:
        try:
            return normalize_phone(cells[PHONE] if cells[PHONE] != "" else None), None
        except InvalidPhone as error:
            raise RowError(str(error)) from error

    def _customers(self, shop: Shop, rows: list[Row]) -> dict[str, int]:
        phones = {row.key for row in rows}
        return dict(Customer.objects.for_shop(shop).filter(phone__any=phones).values_list("phone", "pk"))

    def preview(self, shop: Shop, rows: list[Row], *, brief: bool = False) -> list[Outcome]:
        known = self._customers(shop, rows)
        return [Outcome(MATCHED) if row.key in known else _unmatched() for row in rows]

    def apply(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        known = self._customers(shop, rows)
        group_add_customers(group=job.group, customer_ids=set(known.values()))
        return [Outcome(MATCHED) if row.key in known else _unmatched() for row in rows]

    def result(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        if job.group_id is None:  # the group was deleted since: who matched a customer, as applied
            known = self._customers(shop, rows)
            gone = _("The group has since been deleted.")
            return [Outcome(MATCHED, gone) if row.key in known else _unmatched() for row in rows]
        in_group = set(
            CustomerGroupMember.objects.filter(group_id=job.group_id, customer__phone__any={row.key for row in rows})
            .values_list("customer__phone", flat=True)
        )  # fmt: skip
        return [Outcome(MATCHED) if row.key in in_group else _unmatched() for row in rows]

    def start_path(self, job: ImportJob) -> str:
        # A list stays in the history when its group is deleted; it then leads to the groups.
        return reverse("members:group", args=[job.group_id]) if job.group_id else reverse("members:groups")

    def start_title(self, job: ImportJob) -> str:
        return job.group.name if job.group_id else _("Customer groups")


class GroupBusy(Exception):
    """A group is not deleted while a phone list is being read or added to it."""


def group_delete_with_lists(*, shop: Shop, actor: User | None, group: CustomerGroup, ip: str | None = None) -> int:
    """Delete a group (``members.services.group_delete``) unless a phone list is being read
    or added to it (GroupBusy); a list waiting for its confirmation is cancelled, since it
    would add to a group that is gone. Returns how many customers the group held."""
    with transaction.atomic():
        group = CustomerGroup.objects.select_for_update().get(pk=group.pk)
        # Locked, so that no list is confirmed between this check and the deletion.
        lists = ImportJob.objects.filter(group=group)
        statuses = set(lists.select_for_update().values_list("status", flat=True))
        busy = {ImportJob.Status.ANALYSING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING, ImportJob.Status.FAILED}
        if statuses & busy:
            raise GroupBusy(
                _(
                    "A phone list is being read or added to this group, or stopped before it was added (resume it "
                    "on its page): wait until it is done, then delete."
                )
            )
        # A list waiting for its confirmation would add to a group that is gone: cancelled.
        imports_cancel(jobs=lists.filter(status=ImportJob.Status.READY))
        return group_delete(shop=shop, actor=actor, group=group, ip=ip)


register_import(
    PhoneListImport(
        code=ImportJob.Kind.PHONE_LIST,
        title=gettext_lazy("Phone list for a group"),
        headers=(PHONE,),
        example=("0912345678",),
        unique_keys=False,  # a phone listed twice is added once
        problem_codes=(UNMATCHED, ERROR),
        outcome_labels={
            MATCHED: gettext_lazy("Matches a customer: added to the group"),
            UNMATCHED: gettext_lazy("Matches no customer"),
            ERROR: gettext_lazy("Not a phone number"),
        },
        staff_allowed=True,
    )
)
