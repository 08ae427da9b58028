"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from django.test import Client

from minqing.tickets.models import Ticket


def test_metrics_count_the_pipeline_and_are_not_public(cast, settings) -> None:
    cast.new_ticket()
    cast.new_ticket()
    body = Client().get("/metrics").content.decode()
    assert 'minqing_requests{status="received"} 2.0' in body
    assert "minqing_requests_overdue 0.0" in body and "minqing_outbox_messages" in body
    assert 'minqing_tasks{state="ready"}' in body and "python_info" in body
    assert 'minqing_consumer_pending{consumer="facts"} 2.0' in body  # the two registrations, not yet consumed
    assert 'minqing_consumer_lag_seconds{consumer="notices"}' in body
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 403
    settings.METRICS_TOKEN = "s3cret-token"
    assert Client().get("/metrics").status_code == 403  # with a token set, loopback alone is not enough
    ok = Client(REMOTE_ADDR="10.1.2.3").get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200 and Ticket.objects.count() == 2


def test_behind_a_local_proxy_loopback_is_not_enough(cast, settings) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    # a visitor from outside arrives through the proxy on this machine: it is not this machine
    r = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5").get("/metrics")
    assert r.status_code == 403


def test_a_deployment_without_a_metrics_token_refuses_to_start(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]

    env = {**os.environ, "MINQING_SECRET_KEY": "k" * 50, "MINQING_VAR_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    env.pop("MINQING_DEBUG", None)
    env.pop("MINQING_METRICS_TOKEN", None)
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "MINQING_METRICS_TOKEN" in done.stderr
    env["MINQING_METRICS_TOKEN"] = "t" * 24
    assert subprocess.run([sys.executable, "manage.py", "check"], cwd=root, env=env, capture_output=True, timeout=120).returncode == 0


def test_readiness_reports_a_database_that_does_not_answer(db, monkeypatch) -> None:
    assert Client().get("/readyz").status_code == 200

    def broken(*args, **kwargs):
        raise OSError("connection refused")

    from django.db import connection

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", broken)
        r = Client().get("/readyz")
    assert r.status_code == 503 and b"database unavailable" in r.content


def test_a_nul_character_in_the_address_is_refused_before_any_view(cast) -> None:
    r = Client().get("/open311/v2/requests.json", {"service_request_id": "MQ\x00"})
    assert r.status_code == 400 and "空字符" in r.json()[0]["description"] and r.json()[0]["code"] == 400
    xml = Client().get("/open311/v2/requests.xml", {"service_request_id": "MQ\x00"})
    assert xml.status_code == 400 and "空字符" in ET.fromstring(xml.content).findtext("error/description")
    api = Client().get("/api/v1/areas", {"kind": "g\x00"})
    assert api.status_code == 400 and "空字符" in api.json()["message"]
    assert Client().get("/r/track/", {"n": "a\x00b"}).status_code == 400
    assert Client().get("/open311/v2/requests.json", {"service_request_id": "MQ"}).status_code == 200
