"""Rate limits shared by every process and server: counters in the database (accounts.Throttle).

`hit` counts one event and says whether it was within the limit; `exceeded` only looks. A window is
fixed: it starts at the first hit and lasts `window` seconds. Keys name what is counted and for whom,
e.g. "submit:ip:1.2.3.4" or "track-fail:no:QLH-2026-000123"."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from .models import Throttle


def _current(key: str, window: int, now: dt.datetime) -> None:
    """Make sure a counter for the current window exists (an expired one starts over)."""
    Throttle.objects.filter(key=key, window_start__lte=now - dt.timedelta(seconds=window)).update(
        window_start=now, hits=0)
    Throttle.objects.get_or_create(key=key, defaults={"window_start": now, "hits": 0})  # safe if another process races


def hit(key: str, *, limit: int, window: int) -> bool:
    """Count one event; False (and not counted) when `limit` events were already counted in the window."""
    now = timezone.now()
    _current(key, window, now)
    return Throttle.objects.filter(key=key, hits__lt=limit).update(hits=F("hits") + 1) == 1


def exceeded(key: str, *, limit: int, window: int) -> bool:
    since = timezone.now() - dt.timedelta(seconds=window)
    return Throttle.objects.filter(key=key, window_start__gt=since, hits__gte=limit).exists()


def clear(prefix: str = "") -> int:
    """Forget counters (a staff unlock, or tests); returns how many."""
    return Throttle.objects.filter(key__startswith=prefix).delete()[0]
