"""Reads of the Haravan pages (pages read, never write)."""

import base64
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac

from core.addresses import url_is_public
from haravan.models import HaravanConnection, SyncJob
from shops.models import Shop

RECENT_JOBS = 5


def connection_defaults(shop: Shop) -> dict[str, str]:
    """The webhook key and verify token of a shop's connection before it is saved: derived
    from the shop and the deployment's secret, so every read shows the same ones and the
    first save keeps them."""

    def derived(purpose: str, length: int) -> str:
        digest = salted_hmac(f"haravan.{purpose}", str(shop.pk), algorithm="sha256").digest()
        return base64.urlsafe_b64encode(digest).decode()[:length]

    return {"webhook_key": derived("webhook_key", 32), "webhook_verify_token": derived("webhook_verify_token", 22)}


def connection_with_token(*, shop_id: int) -> HaravanConnection | None:
    """The shop's connection when it has an access token (what codes are made with), or None."""
    return HaravanConnection.objects.filter(shop_id=shop_id).exclude(access_token="").first()


def connection_read(shop: Shop) -> HaravanConnection:
    """The saved connection, or the default (unsaved) for a shop that has none yet."""
    saved = HaravanConnection.objects.filter(shop=shop).first()
    return saved or HaravanConnection(shop=shop, **connection_defaults(shop))


def connection_page(shop: Shop, *, origin: str) -> dict[str, Any]:
    """The connection page's context beside its form. ``origin`` (scheme and host of the
    request) makes the webhook address when SITE_URL is not set."""
    connection = connection_read(shop)
    # The address Haravan is given is the deployment's public one (SITE_URL, which the emails'
    # links use too), not whatever host the owner happened to open this page through.
    webhook_url = (settings.SITE_URL or origin) + f"/webhooks/haravan/{connection.webhook_key}/"
    return {
        "connection": connection,
        "webhook_url": webhook_url,
        "webhook_url_public": url_is_public(webhook_url),
        "jobs": SyncJob.objects.for_shop(shop)[:RECENT_JOBS],
    }


def sync_page(shop: Shop, *, job_id: int) -> dict[str, Any] | None:
    """A sync's progress page; None when the shop has no such sync."""
    job = SyncJob.objects.for_shop(shop).filter(pk=job_id).first()
    return None if job is None else {"job": job}
