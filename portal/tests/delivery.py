"""Tests see a sign-in code's message at once: the worker's delivery runs in the request
(``sign_in_code_dispatch`` otherwise hands it to a worker after the commit)."""

from core.crypto import decrypt
from portal import services

REAL_DISPATCH = services.sign_in_code_dispatch


def deliver_at_once(monkeypatch) -> None:
    monkeypatch.setattr(
        services,
        "sign_in_code_dispatch",
        lambda *, row_id, sealed: services.sign_in_code_deliver(row_id=row_id, code=decrypt(sealed)),
    )
