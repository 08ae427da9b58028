"""A gunicorn worker killed (SIGKILL) in the middle of registering a request, on PostgreSQL: the
half-done transaction disappears (no request, no event, no number used up), the master starts a new
worker, and the client's retry with the same Idempotency-Key registers the request exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psycopg
import pytest
import requests
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from minqing.conftest import POSTGRES_ONLY, build_cast
from minqing.evaluation import facts
from minqing.ops.tests.servers import ROOT, free_port, wait_ready
from minqing.tickets.models import Ticket, TicketEvent

pytestmark = POSTGRES_ONLY


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def test_a_worker_killed_mid_request_leaves_nothing_half_written(capsys) -> None:
    cast = build_cast()
    call_command("apikey", "create", "kill", "--permissions", "intake,read")
    token = capsys.readouterr().out.strip()
    db = connection.settings_dict
    dsn = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": dsn.replace("postgresql://", "postgres://"),
           "MINQING_ALLOWED_HOSTS": "127.0.0.1", "MINQING_API_AUTH_RATE": "100000/m"}
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "minqing.wsgi", "--bind", f"127.0.0.1:{port}",  # noqa: S603
                               "--workers", "1", "--timeout", "120", "--log-level", "warning"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    body = {"category_id": cast.category().pk, "area_id": cast.compound_a.pk, "text": "楼道灯坏了（进程被杀）",
            "reporter_name": "王大爷", "reporter_phone": "13900001111"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "kill-test-1"}
    outcome: dict[str, object] = {}
    blocker = None
    try:
        wait_ready(base)
        # A first registration warms the worker up (lazy imports, the triage index) before the race.
        warm = requests.post(f"{base}/api/v1/requests", json={**body, "text": "楼道灯坏了（预热）"},
                             headers={"Authorization": headers["Authorization"]}, timeout=120)
        assert warm.status_code == 201, warm.text
        expected = f"MQ-{timezone.localdate():%Y%m%d}-{int(warm.json()['request']['number'][-5:]) + 1:05d}"
        blocker = psycopg.connect(dsn)
        # Hold the event table: the request will have taken its number and written the request row,
        # then wait here to write its first event.
        blocker.execute(f"LOCK TABLE {TicketEvent._meta.db_table} IN SHARE MODE")

        def first_try() -> None:
            try:
                outcome["status"] = requests.post(f"{base}/api/v1/requests", json=body, headers=headers,
                                                  timeout=60).status_code
            except requests.RequestException as exc:
                outcome["error"] = exc

        client = threading.Thread(target=first_try)
        client.start()
        deadline = time.monotonic() + 60
        watcher = psycopg.connect(dsn, autocommit=True)  # pg_stat_activity is frozen inside a transaction
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
                [f'INSERT INTO "{TicketEvent._meta.db_table}"%']).fetchone()[0]
            if waiting:
                break
            time.sleep(0.1)
        else:
            client.join(5)
            seen = watcher.execute("SELECT state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity"
                                   " WHERE datname = current_database()").fetchall()
            pytest.fail(f"the request never reached the event insert: {outcome} {seen}")
        watcher.close()
        (worker,) = children(server.pid)
        os.kill(worker, signal.SIGKILL)
        client.join(30)
        assert "error" in outcome, outcome  # the client saw the connection drop, not an answer
        blocker.rollback()
        blocker.close()
        # The master replaces the worker; the client retries with the same key.
        wait_ready(base)
        assert children(server.pid) != [worker]
        retry = requests.post(f"{base}/api/v1/requests", json=body, headers=headers, timeout=60)
        assert retry.status_code == 201, retry.text
        again = requests.post(f"{base}/api/v1/requests", json=body, headers=headers, timeout=60)
        assert again.status_code == 200 and again.json()["request"]["number"] == retry.json()["request"]["number"]
    finally:
        if blocker is not None and not blocker.closed:
            blocker.rollback()
            blocker.close()
        server.terminate()
        server.wait(20)
    made = Ticket.objects.filter(text="楼道灯坏了（进程被杀）")
    assert made.count() == 1
    assert made.get().number == expected  # the killed transaction's number was rolled back, not skipped
    assert TicketEvent.objects.filter(ticket__in=made).count() == 1
    assert facts.verify() == []
