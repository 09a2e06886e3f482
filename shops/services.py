"""Everything that changes shops, staff accounts and the activity log."""

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from shops.login_limits import login_refusal
from shops.models import ActivityEntry, ActivityKind, Heartbeat, Shop, User

SECRET_MASK = "••••••"
_SECRET_KEY_PATTERN = re.compile(r"pass|secret|token|api_?key|credential|pwd", re.IGNORECASE)


# Activity log --------------------------------------------------------------------------------


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


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For's entry as seen by the
    outermost trusted proxy when TRUSTED_PROXY_COUNT says proxies stand in front."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


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
    """The one way to write the activity log. ``actor=None`` means the system acted."""
    return ActivityEntry.objects.create(
        shop=shop,
        actor=actor,
        actor_name=actor.display_name if actor else "",
        kind=kind,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label or (str(target) if target is not None else ""),
        summary=summary,
        before=mask_secrets(before),
        after=mask_secrets(after),
        ip=ip,
    )


def changed_values(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose value changed, as (before, after)."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


# Logging in and out --------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str = ""


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def login_attempt(*, request: HttpRequest, username: str, password: str) -> LoginResult:
    """Check the lock, authenticate, and log the outcome either way."""
    username = normalize_username(username)
    ip = client_ip(request)
    known = User.objects.filter(username=username).select_related("shop").first()
    shop = known.shop if known else None

    refusal = login_refusal(username=username, ip=ip)
    if refusal is not None:
        activity_record(
            shop=shop, actor=None, kind=ActivityKind.LOGIN_LOCKED, target_label=username, summary=refusal.summary, ip=ip
        )
        return LoginResult(user=None, error=refusal.message)

    user = authenticate(request, username=username, password=password)
    if user is None or (user.shop_id is None and not user.is_superuser):
        activity_record(
            shop=shop,
            actor=None,
            kind=ActivityKind.LOGIN_FAILED,
            target_label=username,
            summary=_("Failed login as %(username)s.") % {"username": username},
            ip=ip,
        )
        return LoginResult(
            user=None,
            error=_("Wrong username or password. Check both (passwords are case-sensitive) and try again."),
        )

    login(request, user)
    activity_record(
        shop=user.shop,
        actor=user,
        kind=ActivityKind.LOGIN,
        target=user,
        target_label=user.username,
        summary=_("%(name)s logged in.") % {"name": user.display_name},
        ip=ip,
    )
    return LoginResult(user=user)


def logout_perform(*, request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated:
        activity_record(
            shop=user.shop,
            actor=user,
            kind=ActivityKind.LOGOUT,
            target=user,
            target_label=user.username,
            summary=_("%(name)s logged out.") % {"name": user.display_name},
            ip=client_ip(request),
        )
    logout(request)


def password_change(*, request: HttpRequest, user: User, new_password: str) -> None:
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        activity_record(
            shop=user.shop,
            actor=user,
            kind=ActivityKind.PASSWORD_CHANGED,
            target=user,
            target_label=user.username,
            summary=_("%(name)s changed their password.") % {"name": user.display_name},
            before={"password": "old"},
            after={"password": "new"},
            ip=client_ip(request),
        )
    update_session_auth_hash(request, user)


def language_set(*, user: User, language: str, ip: str | None) -> None:
    if language == user.language:
        return
    before = {"language": user.language}
    user.language = language
    user.save(update_fields=["language"])
    activity_record(
        shop=user.shop,
        actor=user,
        kind=ActivityKind.LANGUAGE_CHANGED,
        target=user,
        target_label=user.username,
        summary=_("%(name)s switched the language to %(language)s.")
        % {"name": user.display_name, "language": user.get_language_display()},
        before=before,
        after={"language": language},
        ip=ip,
    )


# Shops and staff -----------------------------------------------------------------------------


def shop_create(*, name: str, owner_username: str, owner_password: str, time_zone: str = "") -> Shop:
    """A new shop and its first owner; used by the set-up commands."""
    with transaction.atomic():
        shop = Shop.objects.create(name=name, **({"time_zone": time_zone} if time_zone else {}))
        owner = User.objects.create_user(
            username=normalize_username(owner_username),
            password=owner_password,
            shop=shop,
            role=User.Role.OWNER,
        )
        activity_record(
            shop=shop,
            actor=None,
            kind=ActivityKind.SHOP_CREATED,
            target=shop,
            summary=_("Shop %(shop)s created with owner %(owner)s.") % {"shop": name, "owner": owner.username},
            after={"name": name, "time_zone": shop.time_zone, "owner": owner.username},
        )
    return shop


def shop_update_settings(
    *, shop: Shop, actor: User, ip: str | None, name: str, time_zone: str, auto_activate_members: bool
) -> bool:
    """Save the shop's settings; log before and after. Returns whether anything changed."""
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(pk=shop.pk)
        before, after = changed_values(
            {"name": shop.name, "time_zone": shop.time_zone, "auto_activate_members": shop.auto_activate_members},
            {"name": name, "time_zone": time_zone, "auto_activate_members": auto_activate_members},
        )
        if not after:
            return False
        Shop.objects.filter(pk=shop.pk).update(**after)
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.SHOP_SETTINGS_CHANGED,
            target=shop,
            target_label=name,
            summary=_("Shop settings changed: %(fields)s.") % {"fields": ", ".join(after)},
            before=before,
            after=after,
            ip=ip,
        )
    return True


def _staff_values(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "is_active": user.is_active,
    }


class StaffError(ValueError):
    pass


def staff_create(
    *,
    shop: Shop,
    actor: User,
    ip: str | None,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    with transaction.atomic():
        user = User.objects.create_user(
            username=normalize_username(username),
            password=password,
            shop=shop,
            role=role,
            first_name=first_name,
            last_name=last_name,
            email=email,
        )
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.STAFF_CREATED,
            target=user,
            target_label=user.username,
            summary=_("Staff account %(username)s created.") % {"username": user.username},
            after={**_staff_values(user), "password": password},
            ip=ip,
        )
    return user


def staff_update(
    *,
    shop: Shop,
    actor: User,
    ip: str | None,
    user: User,
    role: str,
    is_active: bool,
    first_name: str,
    last_name: str,
    email: str,
) -> bool:
    """Change a staff account. A shop always keeps at least one active owner."""
    with transaction.atomic():
        # Lock the shop's owners in id order so two owners demoting each other at once
        # cannot both succeed.
        owners = list(
            User.objects.select_for_update()
            .filter(shop=shop, role=User.Role.OWNER, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        user = User.objects.get(pk=user.pk, shop=shop)
        loses_owner = user.pk in owners and (role != User.Role.OWNER or not is_active)
        if loses_owner and len(owners) == 1:
            raise StaffError(_("A shop needs at least one active owner: make another owner first."))
        before_all = _staff_values(user)
        user.role, user.is_active = role, is_active
        user.first_name, user.last_name, user.email = first_name, last_name, email
        before, after = changed_values(before_all, _staff_values(user))
        if not after:
            return False
        user.save(update_fields=list(after))
        activity_record(
            shop=shop,
            actor=actor,
            kind=ActivityKind.STAFF_CHANGED,
            target=user,
            target_label=user.username,
            summary=_("Staff account %(username)s changed: %(fields)s.")
            % {"username": user.username, "fields": ", ".join(after)},
            before=before,
            after=after,
            ip=ip,
        )
    return True


# Background health ---------------------------------------------------------------------------

HEARTBEAT_NAME = "worker"
HEARTBEAT_STALE_AFTER = datetime.timedelta(minutes=5)
WORKER_BOOT_NAME = "worker-boot"
# Beat sends its first heartbeat a minute (its schedule) after it starts, and a worker on a
# loaded machine may take as long again to run it: until then a booted worker is "starting".
HEARTBEAT_STARTING_GRACE = datetime.timedelta(minutes=3)


def heartbeat_touch(*, hostname: str) -> None:
    Heartbeat.objects.update_or_create(
        name=HEARTBEAT_NAME, defaults={"last_seen": timezone.now(), "hostname": hostname}
    )


def worker_boot_record(*, hostname: str) -> None:
    """A worker says it has started (Celery's worker_ready), so that the settings page can
    say background work is starting during the minute before beat's first heartbeat."""
    Heartbeat.objects.update_or_create(
        name=WORKER_BOOT_NAME, defaults={"last_seen": timezone.now(), "hostname": hostname}
    )
