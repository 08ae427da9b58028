"""How the loop commands (loop, pull12345, fake12345) end: SIGTERM (systemd) or SIGINT (Ctrl-C) asks them to
stop after the pass under way, never in the middle of one."""

from __future__ import annotations

import signal
from collections.abc import Callable


def on_signal() -> Callable[[], bool]:
    """Install the handlers; returns "has a stop been asked for?"."""
    asked = False

    def stop(signum: int, frame: object) -> None:
        nonlocal asked
        asked = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return lambda: asked
