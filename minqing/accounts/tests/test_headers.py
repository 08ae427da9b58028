"""Secure headers on every page, and `manage.py check --deploy` clean with production settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.test import Client

ROOT = Path(__file__).resolve().parents[3]


def test_pages_carry_a_content_security_policy_and_safe_headers(cast) -> None:
    c = Client()
    c.force_login(cast.shequ)
    for url in ["/", "/r/", "/login/", "/meetings/"]:
        r = c.get(url)
        csp = r["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "unsafe-inline" not in csp
        assert r["X-Frame-Options"] == "DENY" and r["X-Content-Type-Options"] == "nosniff"
        assert r["Referrer-Policy"] == "same-origin"
        assert "<script>" not in r.content.decode() and "style=" not in r.content.decode()


def test_deploy_check_is_clean_with_production_settings(tmp_path) -> None:
    env = {**os.environ, "MINQING_HTTPS": "1", "MINQING_SECRET_KEY": "k" * 20 + "-production-secret-0123456789-abcdefghij",
           "MINQING_VAR_DIR": str(tmp_path), "MINQING_METRICS_TOKEN": "m" * 32, "DATABASE_URL": f"sqlite:///{tmp_path}/deploy.sqlite3"}
    env.pop("MINQING_DEBUG", None)
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
