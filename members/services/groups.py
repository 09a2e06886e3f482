"""Customer groups: static lists and groups by conditions, the audiences of campaigns."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.formatting import format_int
from members.models import CustomerGroup, CustomerGroupMember, ImportJob
from members.selectors import group_members
from shops.activity import activity_record
from shops.models import ActivityKind, Shop, User

PHONE_HEADERS = {"dienthoai", "sodienthoai", "phone", "sđt", "sdt", "so dien thoai", "dien thoai", "mobile"}


def group_create(*, shop: Shop, name: str, kind: str, rules: dict | None = None) -> CustomerGroup:
    return CustomerGroup.objects.create(shop=shop, name=name.strip(), kind=kind, rules=rules or {})


def group_update(*, group: CustomerGroup, name: str, rules: dict | None = None) -> None:
    group.name = name.strip()
    if group.kind == CustomerGroup.Kind.RULES and rules is not None:
        group.rules = rules
    group.save(update_fields=["name", "rules", "updated_at"])


class GroupBusy(Exception):
    """A group is not deleted while a phone list is being read or added to it."""


def group_delete(*, shop: Shop, actor: User | None, group: CustomerGroup, ip: str | None = None) -> int:
    """Delete a group (its membership rows, not its customers), logged with what it was.
    Returns how many customers it held."""
    with transaction.atomic():
        from members.imports import imports_cancel

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
        size = group_members(group=group).count()
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.GROUP_DELETED,
            target=group,
            target_label=group.name,
            summary=ngettext(
                "Group %(group)s deleted; it held %(count)s customer.",
                "Group %(group)s deleted; it held %(count)s customers.",
                size,
            )
            % {"group": group.name, "count": format_int(size)},
            before={"name": group.name, "kind": group.kind, "rules": group.rules, "customers": size},
            ip=ip,
        )
        group.delete()
    return size


def group_add_customers(*, group: CustomerGroup, customer_ids: Iterable[int]) -> int:
    """Add customers to a static group; those already in it stay once (a unique constraint).
    Returns how many were new."""
    before = CustomerGroupMember.objects.filter(group=group).count()
    batch: list[CustomerGroupMember] = []
    for customer_id in customer_ids:
        batch.append(CustomerGroupMember(group=group, customer_id=customer_id))
        if len(batch) == 5_000:
            CustomerGroupMember.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    CustomerGroupMember.objects.bulk_create(batch, ignore_conflicts=True)
    return CustomerGroupMember.objects.filter(group=group).count() - before


def group_remove_customer(*, group: CustomerGroup, customer_id: int) -> None:
    CustomerGroupMember.objects.filter(group=group, customer_id=customer_id).delete()
