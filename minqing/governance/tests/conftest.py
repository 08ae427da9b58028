from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def at(m: int, d: int, hh: int = 10) -> dt.datetime:
    return dt.datetime(2026, m, d, hh, tzinfo=TZ)
