"""The Haravan connection: settings, connection check, syncs and webhooks.

- ``connection``: the connection's settings (a pure read for pages, a saved row for
  writes) and the check that asks Haravan whether the token works;
- ``sync``: the first sync and the incremental ones, page by page with saved cursors;
- ``webhooks``: verified, stored once, applied by a worker in set-based batches.
"""

from haravan.selectors import connection_read
from haravan.services.connection import (
    client_for,
    connection_check,
    connection_check_request,
    connection_for,
    connection_update,
)
from haravan.services.sync import SyncError, incremental_sync_all, sync_resume, sync_run, sync_start
from haravan.services.webhooks import (
    WEBHOOK_BATCH,
    OrdersRecorded,
    WebhookOutcome,
    webhook_fail,
    webhook_process,
    webhook_receive,
    webhook_signature_valid,
    webhook_sweep,
)

__all__ = [
    "WEBHOOK_BATCH",
    "OrdersRecorded",
    "SyncError",
    "WebhookOutcome",
    "client_for",
    "connection_check",
    "connection_check_request",
    "connection_for",
    "connection_read",
    "connection_update",
    "incremental_sync_all",
    "sync_resume",
    "sync_run",
    "sync_start",
    "webhook_fail",
    "webhook_process",
    "webhook_receive",
    "webhook_signature_valid",
    "webhook_sweep",
]
