"""Personal data at rest: reporters' phone numbers are stored encrypted (Fernet: AES-128-CBC with an
HMAC), and found by exact number through a keyed hash, never by decrypting the table.

Keys come from the environment:
- MINQING_FIELD_KEYS: one or more Fernet keys, comma-separated, newest first. The first encrypts;
  all of them decrypt. To rotate: put a new key in front, restart, run `manage.py rotate_keys`, then
  drop the old key. Without it, a key is derived from SECRET_KEY (fine for development only).
- MINQING_LOOKUP_KEY: the key of the searchable hash. It does not rotate with the others (changing it
  means re-hashing every row: `manage.py rotate_keys --rehash`). Derived from SECRET_KEY by default.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

TOKEN_PREFIX = "gAAAAA"  # noqa: S105 - not a secret: every Fernet token starts so (version byte and timestamp)


def _derived(purpose: str) -> bytes:
    return hashlib.sha256(f"minqing:{purpose}:{settings.SECRET_KEY}".encode()).digest()


@functools.cache
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in os.environ.get("MINQING_FIELD_KEYS", "").split(",") if k.strip()]
    if not keys:
        keys = [base64.urlsafe_b64encode(_derived("field-key")).decode()]
    return MultiFernet([Fernet(k) for k in keys])


@functools.cache
def _lookup_key() -> bytes:
    key = os.environ.get("MINQING_LOOKUP_KEY", "")
    return key.encode() if key else _derived("lookup-key")


def reset_keys() -> None:
    """Forget cached keys (after the environment changed: tests, key rotation)."""
    _fernet.cache_clear()
    _lookup_key.cache_clear()


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(value: str) -> str:
    if not value or not value.startswith(TOKEN_PREFIX):
        return value  # empty, or written before encryption was turned on
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("无法解密：加密密钥（MINQING_FIELD_KEYS）与写入时不一致。") from exc


def rotate(value: str) -> str:
    return _fernet().rotate(value.encode()).decode() if value and value.startswith(TOKEN_PREFIX) else encrypt(value)


def lookup_hash(value: str) -> str:
    """The keyed hash an exact search compares with; empty for an empty value."""
    return hmac.new(_lookup_key(), value.encode(), hashlib.sha256).hexdigest() if value else ""


class EncryptedTextField(models.TextField):
    """Text stored encrypted; Python code always sees the plain value."""

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str | None:
        return decrypt(value) if value else value

    def get_prep_value(self, value: object) -> object:
        value = super().get_prep_value(value)
        return encrypt(str(value)) if value else value


def tracking_hash(number: str, code: str) -> str:
    """What an anonymous reporter's tracking code is stored as: a keyed hash bound to the request number."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{number}:{code}".encode(), hashlib.sha256).hexdigest()
