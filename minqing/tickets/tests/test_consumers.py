"""The consumers of the event log: after the step, once each, never in the step's way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from minqing.conftest import POSTGRES_ONLY, build_cast, settle
from minqing.evaluation import facts
from minqing.evaluation.models import Fact
from minqing.notifications.models import Notification
from minqing.tickets import actions, consumers
from minqing.tickets.models import PendingEvent, TicketEvent

ROOT = Path(__file__).resolve().parents[3]


def lifecycle(cast) -> None:
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("区住建局"))
    t = actions.ticket_sign(ticket=t, actor=cast.zhujian)
    actions.ticket_resolve(ticket=t, actor=cast.zhujian, result="已修好路灯。")


def test_what_follows_a_step_waits_for_the_consumers_and_happens_once(cast) -> None:
    lifecycle(cast)
    assert not Fact.objects.exists() and not Notification.objects.exists()  # nothing in the step's transaction
    assert PendingEvent.objects.filter(consumer="facts").count() == 5  # create, accept, dispatch, sign, resolve
    assert {x.consumer: x.pending for x in consumers.lag()}["facts"] == 5
    done = settle()
    assert done["facts"] == 5 and done["notices"] == 4  # create, accept (SMS), dispatch, resolve
    assert not PendingEvent.objects.exists() and all(x.pending == 0 for x in consumers.lag())
    n_facts, n_notices = Fact.objects.count(), Notification.objects.count()
    assert settle() == dict.fromkeys(consumers.REGISTRY, 0)  # nothing handled twice
    assert (Fact.objects.count(), Notification.objects.count()) == (n_facts, n_notices)
    assert facts.verify() == []


def test_a_failing_consumer_is_retried_and_never_holds_up_intake_or_the_others(cast, monkeypatch) -> None:
    calls: list[int] = []

    def broken(events: list[TicketEvent]) -> None:
        calls.extend(e.pk for e in events)
        raise RuntimeError("the consumer's own store is down")

    def accepts(event: TicketEvent) -> bool:
        return event.action == "accept"

    monkeypatch.setitem(consumers.REGISTRY, "broken", consumers.Consumer("broken", "坏掉的", broken, accepts))
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)  # intake and the step work
    done = settle()
    assert done["broken"] == 0 and done["facts"] == 2 and Fact.objects.filter(kind="accepted").exists()
    row = PendingEvent.objects.get(consumer="broken")
    assert row.attempts == 1 and "store is down" in row.last_error and row.next_try_at is not None
    [lag] = [x for x in consumers.lag() if x.consumer == "broken"]
    assert (lag.pending, lag.failing) == (1, 1)
    assert settle()["broken"] == 0 and PendingEvent.objects.get(consumer="broken").attempts == 1  # waits its back-off
    monkeypatch.setitem(consumers.REGISTRY, "broken", consumers.Consumer("broken", "修好了", lambda events: None, accepts))
    assert consumers.consume("broken", now=row.next_try_at) == 1  # retried when due, and then done
    assert not PendingEvent.objects.exists() and t.events.count() == 2 and set(calls) == {t.events.get(action="accept").pk}


def test_a_batch_that_dies_midway_is_done_again_once(cast, monkeypatch) -> None:
    for _ in range(3):
        cast.new_ticket()
    original = consumers.REGISTRY["facts"]
    seen: list[int] = []

    def dies_after_two(events: list[TicketEvent]) -> None:
        for e in events:
            if len(seen) == 2:
                raise KeyboardInterrupt("the loop's process is killed")  # not an error it handles: the process is gone
            original.handle([e])
            seen.append(e.pk)

    monkeypatch.setitem(consumers.REGISTRY, "facts", consumers.Consumer("facts", "考核事实", dies_after_two, original.wants))
    with pytest.raises(KeyboardInterrupt):
        consumers.consume("facts")
    assert not Fact.objects.exists() and PendingEvent.objects.filter(consumer="facts").count() == 3  # rolled back
    monkeypatch.setitem(consumers.REGISTRY, "facts", original)
    assert consumers.consume("facts") == 3
    assert Fact.objects.filter(kind="received").count() == 3 and facts.verify() == []


def _env() -> dict[str, str]:
    db = connection.settings_dict
    return {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
                                          f"{db['PORT'] or 5432}/{db['NAME']}", "DJANGO_SETTINGS_MODULE": "minqing.settings"}


def postgres_only(test):
    for mark in POSTGRES_ONLY:
        test = mark(test)
    return test


@postgres_only
def test_a_loop_process_killed_midway_loses_nothing_and_repeats_nothing() -> None:
    cast = build_cast()
    for _i in range(6):
        lifecycle(cast)
    pending = PendingEvent.objects.filter(consumer="facts").count()
    assert pending == 30
    # A real `manage.py loop` process that dies with SIGKILL inside its first batch of facts.
    dying = (
        "import os, signal, django; django.setup()\n"
        "from minqing.evaluation import facts\n"
        "original, calls = facts.record_event, [0]\n"
        "def record(event):\n"
        "    calls[0] += 1\n"
        "    if calls[0] == 7: os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return original(event)\n"
        "facts.record_event = record\n"
        "from django.core.management import call_command\n"
        "call_command('loop', '--once')\n"
    )
    killed = subprocess.run([sys.executable, "-c", dying], cwd=ROOT, env=_env(), capture_output=True,  # noqa: S603
                            timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert PendingEvent.objects.filter(consumer="facts").count() == pending  # its batch never committed
    assert not Fact.objects.exists()
    # Two loops restarted at once share the backlog (SKIP LOCKED): every event handled exactly once.
    procs = [subprocess.Popen([sys.executable, "manage.py", "loop", "--once"], cwd=ROOT, env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _i in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert not PendingEvent.objects.exists()
    assert facts.verify() == []
    assert Fact.objects.filter(kind="received").count() == 6 and Fact.objects.filter(kind="resolved").count() == 6
    # One notice per queue gained: 6 requests × (new at the office, dispatched to 住建局, resolved → office).
    assert Notification.objects.filter(kind="dispatch", recipient=cast.zhujian).count() == 6
