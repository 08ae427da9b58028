"""PostgreSQL refuses connections for a while in the middle of intake: the server answers 503 with
Retry-After, clients retry with their Idempotency-Key, and afterwards every request exists exactly once
with exactly one `create` event."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid

import requests
from django.core.management import call_command
from django.db import connection, connections

from minqing.conftest import POSTGRES_ONLY, build_cast
from minqing.ops.tests.servers import ROOT, free_port, wait_ready
from minqing.tickets.models import Ticket, TicketEvent

pytestmark = POSTGRES_ONLY


class Proxy:
    """A TCP relay to PostgreSQL that can be made to refuse connections (and drop open ones)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.up = target, threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        self.up.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()  # refused
                continue
            server = socket.create_connection(self.target)
            self.open += [client, server]
            for a, b in [(client, server), (server, client)]:
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.close()

    def down(self) -> None:
        self.up.clear()
        for s in self.open:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self.open.clear()

    def restore(self) -> None:
        self.up.set()


def test_intake_through_a_database_outage_loses_nothing_and_duplicates_nothing(capsys) -> None:
    cast = build_cast()
    call_command("apikey", "create", "outage", "--permissions", "intake")
    token = capsys.readouterr().out.strip()
    db = connection.settings_dict
    proxy = Proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
           "MINQING_ALLOWED_HOSTS": "127.0.0.1", "MINQING_API_AUTH_RATE": "100000/m", "MINQING_DB_CONN_MAX_AGE": "0"}
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "minqing.wsgi", "--bind", f"127.0.0.1:{port}",  # noqa: S603
                               "--workers", "2", "--log-level", "warning"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        keys = [uuid.uuid4().hex for _ in range(40)]
        statuses: dict[str, list[int]] = {k: [] for k in keys}
        body = {"category_id": cast.category().pk, "area_id": cast.compound_a.pk, "anonymous": True}

        def send(key: str) -> None:
            for _ in range(60):  # retry while the server says 503 (or is slow to answer), as a real client would
                try:
                    r = requests.post(f"{base}/api/v1/requests", json={**body, "text": f"路灯坏了（{key}）"},
                                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key}, timeout=30)
                except requests.RequestException:
                    statuses[key].append(0)
                    time.sleep(0.2)
                    continue
                statuses[key].append(r.status_code)
                if r.status_code in (200, 201):
                    return
                assert r.status_code == 503 and r.headers.get("Retry-After") == "5", (r.status_code, r.text[:300])
                time.sleep(0.2)

        threads = []
        for i, key in enumerate(keys):
            if i == 10:
                proxy.down()  # PostgreSQL "refuses connections" for 3 seconds
                threading.Timer(3.0, proxy.restore).start()
            t = threading.Thread(target=send, args=(key,))
            t.start()
            threads.append(t)
            time.sleep(0.1)
        for t in threads:
            t.join(90)
        assert requests.get(f"{base}/readyz", timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(10)
        proxy.down()  # close both ends of every relayed connection
        proxy.listener.close()
        # A backend whose client was cut mid-transaction can sit "idle in transaction" until TCP notices,
        # holding locks the test's teardown (TRUNCATE) would wait on for ever: end such sessions.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                           " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'")
    refused = sum(s.count(503) for s in statuses.values())
    assert refused > 0, "the outage did not happen during the run"
    assert all(s[-1] in (200, 201) for s in statuses.values()), statuses
    tickets = Ticket.objects.filter(text__contains="路灯坏了（")
    assert tickets.count() == len(keys)
    assert TicketEvent.objects.filter(ticket__in=tickets, action="create").count() == len(keys)
    connections.close_all()
