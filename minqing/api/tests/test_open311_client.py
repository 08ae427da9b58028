"""A third-party Open311 client (georeport, from PyPI) reads our endpoint, in its own virtualenv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from minqing.api.models import ApiToken
from minqing.conftest import build_cast

ROOT = Path(__file__).resolve().parents[3]
VENV = ROOT / ".venv-open311"

pytestmark = pytest.mark.django_db(transaction=True)


def client_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)  # noqa: S603
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",  # noqa: S603
                        "--require-hashes", "-r", str(ROOT / "tools" / "open311-client.lock")], check=True)
    return python


def test_georeport_client_lists_reads_and_finds_a_new_request(live_server) -> None:
    cast = build_cast()
    _, key = ApiToken.issue(name="georeport", user=cast.duban, permissions=["intake"])
    result = subprocess.run(  # noqa: S603
        [str(client_python()), str(ROOT / "tools" / "open311_client_check.py"), f"{live_server.url}/open311/v2",
         key, str(cast.compound_a.pk)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "json: 31 services" in result.stdout and "xml: 31 services" in result.stdout
