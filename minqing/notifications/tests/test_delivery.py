"""SMS and e-mail go through the outbox and a real worker; a failing gateway never loses a change."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from minqing.conftest import settle
from minqing.notifications.actions import notify
from minqing.notifications.models import MessageStatus, Notification, OutboundMessage, Preference
from minqing.notifications.tasks import message_deliver
from minqing.tickets import actions
from minqing.tickets.lifecycle import Status


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


# The worker closes its database connection between tasks, as a separate process should; tests
# that run it need committed data (transaction=True) so the next query opens a fresh connection.
worker_test = pytest.mark.django_db(transaction=True)


class Gateway(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.received.append({"auth": self.headers["Authorization"], **json.loads(body)})
        self.send_response(Gateway.status)
        self.end_headers()
        self.wfile.write(b'{"code": 0}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway():
    Gateway.received = []
    Gateway.status = 200
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@worker_test
def test_the_worker_sends_the_residents_sms_through_the_console_backend(cast) -> None:
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    assert not OutboundMessage.objects.exists()  # the step commits first; the notices consumer queues the SMS
    settle()
    message = OutboundMessage.objects.get(template="accepted")
    assert message.status == MessageStatus.QUEUED  # nothing is sent inside the request
    run_worker()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.tries.get().ok
    assert t.number in message.body


@worker_test
def test_the_http_gateway_gets_number_template_and_key(cast, gateway, settings) -> None:
    settings.MINQING_SMS = {"BACKEND": "minqing.notifications.backends.HttpSMSBackend",
                            "URL": f"http://127.0.0.1:{gateway.server_port}/send", "KEY": "k-123",
                            "TEMPLATE_IDS": {"accepted": "SMS_0001"}}
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    settle()
    run_worker()
    [sent] = Gateway.received
    assert sent["to"] == "13812345678" and sent["template_id"] == "SMS_0001" and sent["auth"] == "Bearer k-123"
    assert sent["params"] == {"number": t.number}
    assert OutboundMessage.objects.get(template="accepted").status == MessageStatus.SENT


def test_a_failing_gateway_is_retried_and_never_blocks_the_change(cast, gateway, settings) -> None:
    settings.MINQING_SMS = {"BACKEND": "minqing.notifications.backends.HttpSMSBackend",
                            "URL": f"http://127.0.0.1:{gateway.server_port}/send", "KEY": "k"}
    Gateway.status = 503
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    assert t.status == Status.REGISTERED  # the change stands whatever the gateway does
    settle()
    message = OutboundMessage.objects.get(template="accepted")
    assert message_deliver(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.attempts == 1 and "503" in message.last_error
    assert not message.tries.get().ok
    Gateway.status = 200
    assert message_deliver(message_id=message.pk) == "sent"
    assert message_deliver(message_id=message.pk) == "skipped"  # a duplicate task sends nothing twice
    assert [a.ok for a in message.tries.order_by("id")] == [False, True]
    assert len(Gateway.received) == 2


def test_after_five_failures_a_message_is_marked_failed(cast, settings) -> None:
    settings.MINQING_SMS = {"BACKEND": "minqing.notifications.backends.HttpSMSBackend",
                            "URL": "http://127.0.0.1:9/unreachable", "KEY": "k", "TIMEOUT": 1}
    actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    settle()
    message = OutboundMessage.objects.get(template="accepted")
    results = [message_deliver(message_id=message.pk) for _ in range(5)]
    assert results == ["retry"] * 4 + ["failed"]
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.tries.count() == 5


@worker_test
def test_staff_get_sms_or_email_only_by_preference(cast) -> None:
    cast.bumen.email = "liu@example.org"
    cast.bumen.save()
    Preference.objects.create(user=cast.bumen, sms=False, email=True)
    Preference.objects.create(user=cast.zhujian, sms=True, email=False)
    notify(recipients=[cast.bumen, cast.zhujian], kind="test", title="新的待签收事项")
    assert Notification.objects.filter(kind="test").count() == 2
    channels = set(OutboundMessage.objects.filter(template="staff_notice").values_list("channel", "to"))
    assert channels == {("email", "liu@example.org"), ("sms", cast.zhujian.phone)}
    run_worker()
    assert len(mail.outbox) == 1 and "新的待签收事项" in mail.outbox[0].body


def test_inbox_shows_unread_count_and_marks_read(cast) -> None:
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区城市管理行政执法局"))
    settle()
    c = Client()
    c.force_login(cast.bumen)
    page = c.get("/").content.decode()
    assert 'id="unread-count">1<' in page
    note = Notification.objects.get(recipient=cast.bumen)
    response = c.post(reverse("notification_open", args=[note.pk]))
    assert response["Location"] == reverse("ticket_detail", args=[t.number])
    assert 'id="unread-count"' not in c.get("/").content.decode()
    other = Client()
    other.force_login(cast.zhujian)
    assert other.post(reverse("notification_open", args=[note.pk])).status_code == 404


def test_a_message_whose_worker_died_mid_send_is_queued_again_by_the_sweep(cast, settings) -> None:
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from minqing.notifications import actions as outbox
    from minqing.notifications import tasks
    from minqing.notifications.models import OutboundMessage
    from minqing.tickets.sweep import sweep_once

    m = outbox.message_queue(channel="sms", to="13912345678", template="t", params={}, body="您反映的问题已受理")

    class Dies:
        def send(self, **kwargs: Any) -> str:
            raise KeyboardInterrupt("worker killed")  # not an error the delivery handles: the process is gone

    original = tasks.sms_backend
    tasks.sms_backend = lambda: Dies()
    try:
        with pytest.raises(KeyboardInterrupt):
            tasks.message_deliver(message_id=m.pk)
    finally:
        tasks.sms_backend = original
    m.refresh_from_db()
    assert (m.status, m.attempts) == ("queued", 1) and m.next_try_at > timezone.now()  # held by the dead worker
    assert sweep_once().requeued == 0  # not yet: the lease has not run out
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=25)):
        assert sweep_once().requeued == 1
        assert sweep_once().requeued == 0  # queued once, not on every pass
        assert tasks.message_deliver(message_id=m.pk) == "sent"
    m.refresh_from_db()
    assert m.status == "sent" and m.next_try_at is None and OutboundMessage.objects.count() == 1
