"""Helpers for tests that run the site in real processes."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[3]  # the project, where manage.py is


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, *, seconds: float = 120) -> None:
    """Wait until the server at `base` answers /readyz (it may be slow to start on a busy machine)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # still starting
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base} did not become ready in {seconds:.0f} s")
