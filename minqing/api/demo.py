"""The demo's 12345 exchange: the platform's standard import mapping (a migration writes it too; `demo --reset`
flushes the database, so the demo writes it again)."""

from __future__ import annotations

import datetime as dt

from .models import DEFAULT_COLUMNS, ImportMapping


def build(*, now: dt.datetime, seed: int) -> int:
    _, made = ImportMapping.objects.get_or_create(name="12345 标准格式", defaults={"columns": DEFAULT_COLUMNS})
    return int(made)
