"""The demo's figures: facts and rollups computed from the events the demo generator wrote in bulk."""

from __future__ import annotations

import datetime as dt

from .facts import rebuild


def build(*, now: dt.datetime, seed: int) -> int:
    facts, _rows = rebuild()
    return facts
