"""The activity log: the one way to write it, and ``audited_update`` for "change, diff, log".

Every line names who acted (``actor=None``: the system) and what changed, before and after.
Values whose key names a secret are masked however deep they sit, so a password, token or
key never reaches the log, whichever path wrote the line.
"""

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model

from shops.models import ActivityEntry, ActivityKind, Shop, User

SECRET_MASK = "••••••"
_SECRET_KEY_PATTERN = re.compile(r"pass|secret|token|api_?key|credential|pwd", re.IGNORECASE)

M = TypeVar("M", bound=Model)


def mask_secrets(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Replace every value whose key names a secret with a mask, however deep."""
    if values is None:
        return None
    masked: dict[str, Any] = {}
    for key, value in values.items():
        if _SECRET_KEY_PATTERN.search(str(key)):
            masked[key] = SECRET_MASK if value not in (None, "") else ""
        elif isinstance(value, dict):
            masked[key] = mask_secrets(value)
        else:
            masked[key] = value
    return masked


def activity_entry(
    *,
    shop: Shop | None,
    actor: User | None,
    kind: ActivityKind,
    summary: str,
    target: Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
    created_at: datetime.datetime | None = None,
) -> ActivityEntry:
    """An unsaved line, masked, for ``activity_record`` or for writing many at once."""
    entry = ActivityEntry(
        shop=shop,
        actor=actor,
        actor_name=actor.display_name if actor else "",
        kind=kind,
        target_type=(target._meta.model_name or "") if target is not None else target_type,
        target_id=str(target.pk) if target is not None else target_id,
        target_label=target_label or (str(target) if target is not None else ""),
        summary=summary,
        before=mask_secrets(before),
        after=mask_secrets(after),
        ip=ip,
    )
    if created_at is not None:
        entry.created_at = created_at
    return entry


def activity_record(
    *,
    shop: Shop | None,
    actor: User | None,
    kind: ActivityKind,
    summary: str,
    target: Model | None = None,
    target_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
) -> ActivityEntry:
    """The one way to write a line of the activity log. ``actor=None`` means the system acted."""
    entry = activity_entry(
        shop=shop,
        actor=actor,
        kind=kind,
        summary=summary,
        target=target,
        target_label=target_label,
        before=before,
        after=after,
        ip=ip,
    )
    entry.save()
    return entry


def activity_record_many(entries: Iterable[ActivityEntry]) -> None:
    """Write lines made by ``activity_entry`` in one statement (a bulk action's lines)."""
    ActivityEntry.objects.bulk_create(entries)


def changed_values(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose value changed, as (before, after)."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value


def audited_update(
    *,
    instance: M,
    values: Mapping[str, Any],
    shop: Shop | None,
    actor: User | None,
    kind: ActivityKind,
    summary: str | Callable[[M, list[str]], str],
    ip: str | None = None,
    target_label: str | Callable[[M], str] = "",
    logged: Callable[[M], Mapping[str, Any]] | None = None,
    also: Callable[[M, list[str]], Iterable[str]] | None = None,
) -> list[str]:
    """Lock ``instance``'s row, set ``values`` on it, save only the fields that changed, and
    log them before and after in the same transaction. Returns the changed field names (an
    empty list when nothing changed: nothing is saved and nothing logged).

    ``summary`` is a text with ``%(fields)s`` for the changed names, or a function of the
    row and those names. ``logged`` says what the log compares and shows where that is not
    the fields themselves (a fingerprint of a secret); ``also`` sets fields that follow from
    the change (a folded name kept for search) and returns their names, saved but not logged.
    """
    with transaction.atomic():
        row = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
        shown = logged or (lambda obj: {name: getattr(obj, name) for name in values})
        before_all = dict(shown(row))
        stored = {name: getattr(row, name) for name in values}
        for name, value in values.items():
            setattr(row, name, value)
        fields = [name for name in values if stored[name] != getattr(row, name)]
        if not fields:
            return []
        before, after = changed_values(before_all, dict(shown(row)))
        extra = list(also(row, fields)) if also else []
        row.save(update_fields=[*fields, *extra])
        label = target_label(row) if callable(target_label) else target_label
        text = summary(row, fields) if callable(summary) else summary % {"fields": ", ".join(after or fields)}
        activity_record(
            shop=shop,
            actor=actor,
            kind=kind,
            target=row,
            target_label=label,
            summary=text,
            before={key: _jsonable(value) for key, value in before.items()},
            after={key: _jsonable(value) for key, value in after.items()},
            ip=ip,
        )
    # The caller's object follows what was saved.
    for name in [*values, *extra]:
        setattr(instance, name, getattr(row, name))
    return fields
