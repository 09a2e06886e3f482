"""Everything that changes shops and staff accounts (the activity log is ``shops.activity``)."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.http import client_ip
from core.text import fold
from shops.activity import activity_record, audited_update
from shops.login_limits import login_refusal
from shops.models import ActivityKind, Heartbeat, Shop, User

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


def shop_slug_free(name: str) -> str:
    """A short address for the shop's member page from its name ("Hoa Mai" -> "hoa-mai"),
    with a number after it when another shop has it."""
    base = slugify(fold(name))[:30].strip("-") or "shop"
    slug, number = base, 1
    while Shop.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def shop_create(*, name: str, owner_username: str, owner_password: str, time_zone: str = "") -> Shop:
    """A new shop and its first owner; used by the set-up commands."""
    with transaction.atomic():
        shop = Shop.objects.create(
            name=name, slug=shop_slug_free(name), **({"time_zone": time_zone} if time_zone else {})
        )
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
    *,
    shop: Shop,
    actor: User,
    ip: str | None,
    name: str,
    time_zone: str,
    auto_activate_members: bool,
    slug: str | None = None,
) -> bool:
    """Save the shop's settings; log before and after. Returns whether anything changed."""
    values: dict[str, Any] = {"name": name, "time_zone": time_zone, "auto_activate_members": auto_activate_members}
    if slug:
        values["slug"] = slug
    changed = audited_update(
        instance=shop,
        values=values,
        shop=shop,
        actor=actor,
        kind=ActivityKind.SHOP_SETTINGS_CHANGED,
        target_label=lambda saved: saved.name,
        summary=_("Shop settings changed: %(fields)s."),
        ip=ip,
    )
    return bool(changed)


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
        # In the log's order (``_staff_values``): the summary names the changed fields so.
        values = {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "role": role,
            "is_active": is_active,
        }
        changed = audited_update(
            instance=user,
            values=values,
            shop=shop,
            actor=actor,
            kind=ActivityKind.STAFF_CHANGED,
            target_label=user.username,
            summary=lambda saved, fields: (
                _("Staff account %(username)s changed: %(fields)s.")
                % {"username": saved.username, "fields": ", ".join(fields)}
            ),
            ip=ip,
        )
    return bool(changed)


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
