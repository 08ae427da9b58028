"""Beyond one machine, on loopback: two app servers, two task workers and two sweeps against one
PostgreSQL. Intake and accepts go through both servers, one task worker is killed (SIGKILL) while it
sends, overdue requests wait for the sweeps. Afterwards: every request once, every event once, every
overdue request escalated once, every SMS recorded as sent exactly once."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from minqing.conftest import POSTGRES_ONLY, build_cast
from minqing.evaluation import facts
from minqing.notifications.models import DeliveryAttempt, MessageStatus, OutboundMessage
from minqing.ops.tests.servers import ROOT, free_port, wait_ready
from minqing.tickets.models import Ticket, TicketEvent

pytestmark = POSTGRES_ONLY
received: Counter = Counter()


class SlowGateway(BaseHTTPRequestHandler):
    """An SMS gateway that takes 0.3 s per message and counts what it got, by the sender's message id."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(0.3)
        received[body["client_msg_id"]] += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


def test_two_servers_two_workers_two_sweeps_do_no_double_work(capsys) -> None:
    cast = build_cast()
    call_command("apikey", "create", "many", "--permissions", "intake,read,act")
    token = capsys.readouterr().out.strip()
    overdue = [cast.new_ticket() for _ in range(20)]
    past = timezone.now() - dt.timedelta(days=10)
    Ticket.objects.filter(pk__in=[t.pk for t in overdue]).update(
        response_warn_at=past - dt.timedelta(hours=1), response_due_at=past, next_check_at=past - dt.timedelta(hours=1))
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), SlowGateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
           "MINQING_ALLOWED_HOSTS": "127.0.0.1", "MINQING_API_AUTH_RATE": "100000/m",
           "MINQING_SMS_BACKEND": "minqing.notifications.backends.HttpSMSBackend",
           "MINQING_SMS_URL": f"http://127.0.0.1:{gateway.server_port}/", "MINQING_OUTBOX_LEASE_SECONDS": "3"}
    ports = [free_port(), free_port()]
    python = [sys.executable, "manage.py"]

    def start(args: list[str]) -> subprocess.Popen:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603

    servers = [start([sys.executable, "-m", "gunicorn", "minqing.wsgi", "--bind", f"127.0.0.1:{p}", "--workers", "1",
                      "--log-level", "warning"]) for p in ports]
    workers = [start([*python, "db_worker", "--no-reload", "--interval", "0.5"]) for _ in range(2)]
    sweeps = [start([*python, "loop", "--interval", "1"]) for _ in range(2)]
    everyone = servers + workers + sweeps
    try:
        for p in ports:
            wait_ready(f"http://127.0.0.1:{p}")
        auth = {"Authorization": f"Bearer {token}"}
        numbers = []
        for i in range(30):
            base = f"http://127.0.0.1:{ports[i % 2]}"
            r = requests.post(f"{base}/api/v1/requests", headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                              json={"category_id": cast.category().pk, "area_id": cast.compound_a.pk,
                                    "text": f"楼道灯坏了（多进程 {i}）", "reporter_name": "王大爷",
                                    "reporter_phone": f"139{i:08d}"}, timeout=20)
            assert r.status_code == 201, r.text
            numbers.append(r.json()["request"]["number"])
        for i, number in enumerate(numbers):  # each accept sends the reporter an SMS
            r = requests.post(f"http://127.0.0.1:{ports[(i + 1) % 2]}/api/v1/requests/{number}/actions/accept",
                              headers=auth, json={}, timeout=20)
            assert r.status_code == 200, r.text
            if i == 10:
                workers[0].send_signal(signal.SIGKILL)  # one task worker dies while sending
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if not OutboundMessage.objects.filter(status=MessageStatus.QUEUED).exists() and \
                    TicketEvent.objects.filter(ticket__in=overdue, action="overdue").count() == len(overdue):
                break
            time.sleep(0.5)
    finally:
        for p in everyone:
            if p.poll() is None:
                p.terminate()
        for p in everyone:
            p.wait(20)
        gateway.shutdown()
    assert Ticket.objects.filter(text__contains="多进程").count() == 30
    assert TicketEvent.objects.filter(ticket__number__in=numbers, action="create").count() == 30
    assert TicketEvent.objects.filter(ticket__number__in=numbers, action="accept").count() == 30
    for t in overdue:
        assert TicketEvent.objects.filter(ticket=t, action="overdue").count() == 1
    sms = OutboundMessage.objects.filter(channel="sms")
    assert sms.count() >= 30 and not sms.exclude(status=MessageStatus.SENT).exists()
    # Two sweeps folded the facts of all this into the rollups at once: the figures still add up.
    facts.fold()
    assert facts.verify() == []
    for m in sms:
        assert DeliveryAttempt.objects.filter(message=m, ok=True).count() == 1
        assert received[str(m.pk)] >= 1  # the gateway got every one (a killed sender may repeat one, same id)
    assert sum(received.values()) - len(received) <= 1
    connections.close_all()
