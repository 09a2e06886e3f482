"""Customer groups: static lists and groups by conditions, the audiences of campaigns."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import ngettext

from core.formatting import format_int
from members.models import CustomerGroup, CustomerGroupMember
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


def group_delete(*, shop: Shop, actor: User | None, group: CustomerGroup, ip: str | None = None) -> int:
    """Delete a group (its membership rows, not its customers), logged with what it was.
    Returns how many customers it held. A group's phone lists (imports) are checked first
    by ``imports.phone_lists.group_delete_with_lists``, which calls this."""
    with transaction.atomic():
        group = CustomerGroup.objects.select_for_update().get(pk=group.pk)
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
