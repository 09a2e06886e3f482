"""The Haravan connection: its settings (saved with the activity log) and the check that
asks Haravan whether the token works.

Pages read the connection with ``haravan.selectors.connection_read``, which writes nothing:
a shop that has none yet gets an unsaved default whose webhook address and verify token are
the ones its first save keeps (``connection_defaults``).
"""

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haravan.client import HaravanClient, HaravanError
from haravan.models import HaravanConnection
from haravan.selectors import connection_defaults
from shops.activity import audited_update
from shops.models import ActivityKind, Shop, User


def connection_for(shop: Shop) -> HaravanConnection:
    """The shop's saved connection, made if it has none: for writes only (a page reads
    ``connection_read``)."""
    connection, _created = HaravanConnection.objects.get_or_create(shop=shop, defaults=connection_defaults(shop))
    return connection


def client_for(connection: HaravanConnection) -> HaravanClient:
    return HaravanClient(token=connection.access_token)


def connection_update(
    *,
    shop: Shop,
    actor: User,
    ip: str | None,
    store_name: str,
    client_id: str,
    access_token: str = "",
    client_secret: str = "",
) -> bool:
    """Save the connection. An empty token or secret keeps the saved one: they are never
    shown back, so the form cannot send them again. A new token has not been checked yet."""
    values = {"store_name": store_name, "client_id": client_id}
    if access_token:
        values["access_token"] = access_token
    if client_secret:
        values["client_secret"] = client_secret

    def unchecked(connection: HaravanConnection, fields: list[str]) -> list[str]:
        if "access_token" not in fields:
            return []
        connection.check_status, connection.check_message = HaravanConnection.Check.NEVER, ""
        return ["check_status", "check_message"]

    with transaction.atomic():
        changed = audited_update(
            instance=connection_for(shop),
            values=values,
            shop=shop,
            actor=actor,
            kind=ActivityKind.HARAVAN_SETTINGS_CHANGED,
            target_label="Haravan",
            summary=_("Haravan connection changed: %(fields)s."),
            ip=ip,
            logged=_values,
            also=unchecked,
        )
    return bool(changed)


def _values(connection: HaravanConnection) -> dict[str, Any]:
    # Secrets enter the log only as "changed"; the log masks them by name.
    return {
        "store_name": connection.store_name,
        "client_id": connection.client_id,
        "access_token": _fingerprint(connection.access_token),
        "client_secret": _fingerprint(connection.client_secret),
    }


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest() if secret else ""


def connection_check_request(*, shop: Shop) -> None:
    from haravan.tasks import check_connection

    connection = connection_for(shop)
    HaravanConnection.objects.filter(pk=connection.pk).update(check_status=HaravanConnection.Check.PENDING)
    transaction.on_commit(lambda: check_connection.delay(connection.pk))


def connection_check(*, connection_id: int) -> None:
    """Ask Haravan for the store behind the token and record the plain answer."""
    connection = HaravanConnection.objects.get(pk=connection_id)
    try:
        client = client_for(connection)
        try:
            store = client.shop()
        finally:
            client.close()
    except HaravanError as error:
        status, message = HaravanConnection.Check.FAILED, error.message
        org_id = connection.org_id
    else:
        status = HaravanConnection.Check.OK
        name = store.get("name") or store.get("domain") or ""
        message = _("Connected to the Haravan store %(name)s.") % {"name": name}
        org_id = str(store.get("id") or connection.org_id)
    HaravanConnection.objects.filter(pk=connection_id).update(
        check_status=status, check_message=message, checked_at=timezone.now(), org_id=org_id
    )
