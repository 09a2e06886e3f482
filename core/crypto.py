"""Secrets at rest (tokens, passwords): Fernet, with key rotation.

``ENCRYPTION_KEYS`` holds one or more Fernet keys, comma-separated, newest first: new values
are encrypted with the first, and every listed key still decrypts. Without it (development
only; production refuses to start) a key is derived from SECRET_KEY.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.ENCRYPTION_KEYS)
    if not keys:
        derived = hashlib.sha256(b"loyalty-secrets-at-rest:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("A stored secret cannot be decrypted: is ENCRYPTION_KEYS missing a key?") from error


class EncryptedTextField(models.TextField):
    """Stores ``encrypt(value)``; Python code only ever sees the plain value. An empty value
    is stored empty, so "not set" stays visible without decrypting."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)
