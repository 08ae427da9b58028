"""Small per-process caches of reference data that every intake reads and admins rarely change: the
area tree, the catalogue, deadline policies, safety words, the community offices.

Each entry lives for MINQING["MEMO_SECONDS"] (60 s by default) and is forgotten at once in the process
that saves or deletes a row it depends on (signals, wired by the apps that own the models). Another
worker process sees an admin's change within that time: a category switched off may still be accepted
for up to a minute by the other workers, which is the price of not reading the whole catalogue on every
request. Bulk `QuerySet.update()` sends no signals; code that changes reference data that way calls
`forget()` itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

T = TypeVar("T")

_lock = threading.Lock()
_store: dict[str, tuple[float, object]] = {}


def _ttl() -> float:
    return float(settings.MINQING.get("MEMO_SECONDS", 60))


def memo(key: str, build: Callable[[], T]) -> T:
    """The cached value of `key`, built (outside the lock: two threads may both build it) when absent or old."""
    now = time.monotonic()
    found = _store.get(key)
    if found is not None and now - found[0] < _ttl():
        return found[1]  # type: ignore[return-value]
    value = build()
    with _lock:
        _store[key] = (now, value)
    return value


def forget(*keys: str, **_: object) -> None:
    """Drop the named entries (all of them when none is named). Usable directly as a signal receiver."""
    with _lock:
        if not keys:
            _store.clear()
        for key in keys:
            _store.pop(key, None)


def forgetter(*keys: str) -> Callable[..., None]:
    """A signal receiver that drops these entries."""
    def receiver(**_: object) -> None:
        forget(*keys) if keys else forget()
    return receiver
