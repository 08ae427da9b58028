"""Two people acting on one request at the same moment, over two real PostgreSQL connections.

SQLite serialises writers (BEGIN IMMEDIATE), so these races can only be staged on PostgreSQL;
.ci/run runs the suite there too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection, connections

from minqing.conftest import POSTGRES_ONLY, build_cast, settle
from minqing.tickets import actions
from minqing.tickets.models import Ticket, TicketCounter, TicketEvent

pytestmark = POSTGRES_ONLY


def race(*calls: Callable[[], object], after_read: bool = True, monkeypatch=None) -> list[object]:
    """Run the calls in parallel threads, each on its own connection; return results or exceptions.

    With after_read, every thread has read the request before any of them writes, so the guard on
    the update, not luck, decides who wins.
    """
    barrier = threading.Barrier(len(calls), timeout=20)
    if after_read and monkeypatch is not None:
        from minqing.tickets.actions import callback, core, handling, routing

        def check_then_wait(**kwargs):
            result = core.check(**kwargs)
            barrier.wait()
            return result

        for module in (routing, handling, callback):
            monkeypatch.setattr(module, "check", check_then_wait)
    results: list[object] = [None] * len(calls)

    def worker(i: int, call: Callable[[], object]) -> None:
        try:
            if not after_read:
                barrier.wait()
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_units_signing_at_once_only_one_wins(monkeypatch) -> None:
    cast = build_cast()
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("瓜州路社区居委会"))
    results = race(
        lambda: actions.ticket_sign(ticket=t, actor=cast.shequ),
        lambda: actions.ticket_sign(ticket=t, actor=cast.shuji),
        monkeypatch=monkeypatch,
    )
    wins = [r for r in results if isinstance(r, Ticket)]
    losses = [r for r in results if isinstance(r, actions.Conflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert "刚被他人处理过" in losses[0].message
    assert TicketEvent.objects.filter(ticket=t, action="sign").count() == 1


def test_accept_and_reject_at_once_leave_one_consistent_outcome(monkeypatch) -> None:
    cast = build_cast()
    t = cast.new_ticket()
    results = race(
        lambda: actions.ticket_accept(ticket=t, actor=cast.shequ),
        lambda: actions.ticket_reject(ticket=t, actor=cast.jiedao, reason="repeat", note="重复"),
        monkeypatch=monkeypatch,
    )
    assert sum(isinstance(r, Ticket) for r in results) == 1, results
    t.refresh_from_db()
    last = t.events.order_by("-id").first()
    assert last.to_status == t.status and t.version == 1
    assert t.events.exclude(action="create").count() == 1


def test_concurrent_intake_never_repeats_a_number() -> None:
    cast = build_cast()
    per_thread = 15

    def intake() -> list[str]:
        return [cast.new_ticket().number for _ in range(per_thread)]

    results = race(intake, intake, intake, after_read=False)
    numbers = [n for r in results for n in r]  # type: ignore[union-attr]
    assert len(numbers) == 3 * per_thread == len(set(numbers)), results
    assert Ticket.objects.count() == 3 * per_thread
    assert sum(TicketCounter.objects.values_list("last", flat=True)) == 3 * per_thread


def test_two_sweep_processes_escalate_each_overdue_request_exactly_once() -> None:
    import datetime as dt
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.utils import timezone

    from minqing.notifications.models import Notification

    cast = build_cast()
    tickets = [cast.new_ticket() for _ in range(80)]
    past = timezone.now() - dt.timedelta(days=10)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        response_warn_at=past - dt.timedelta(hours=1), response_due_at=past, next_check_at=past - dt.timedelta(hours=1)
    )
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url}
    root = Path(__file__).resolve().parents[3]
    procs = [subprocess.Popen([sys.executable, "manage.py", "sweep", "--batch", "3"], cwd=root, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    settle()  # the notices follow the escalations
    assert TicketEvent.objects.filter(action="overdue").count() == 80
    for t in tickets:
        assert TicketEvent.objects.filter(ticket=t, action="overdue").count() == 1
    # Each escalation told the community office once and the street office once, not twice.
    assert Notification.objects.filter(kind="overdue_supervise").count() == 80 * 1  # 西湖街道: one officer


def test_a_sweep_process_killed_midway_loses_nothing_and_repeats_nothing() -> None:
    import datetime as dt
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.utils import timezone

    cast = build_cast()
    tickets = [cast.new_ticket() for _ in range(6)]
    past = timezone.now() - dt.timedelta(days=10)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        response_warn_at=past - dt.timedelta(hours=1), response_due_at=past, next_check_at=past - dt.timedelta(hours=1)
    )
    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
                                         f"{db['PORT'] or 5432}/{db['NAME']}", "DJANGO_SETTINGS_MODULE": "minqing.settings"}
    root = Path(__file__).resolve().parents[3]
    # A real process that dies with SIGKILL in the middle of its first batch, after escalating two.
    dying = (
        "import os, signal, django; django.setup()\n"
        "from minqing.tickets import sweep\n"
        "original, calls = sweep._escalate, [0]\n"
        "def escalate(*a, **k):\n"
        "    calls[0] += 1\n"
        "    if calls[0] == 3: os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return original(*a, **k)\n"
        "sweep._escalate = escalate\n"
        "sweep.sweep_once()\n"
    )
    killed = subprocess.run([sys.executable, "-c", dying], cwd=root, env=env, capture_output=True,  # noqa: S603
                            timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert TicketEvent.objects.filter(action="overdue").count() == 0
    restarted = subprocess.run([sys.executable, "manage.py", "sweep"], cwd=root, env=env,
                               capture_output=True, text=True, timeout=120)
    assert restarted.returncode == 0, restarted.stderr
    assert "超期上报 6" in restarted.stdout
    for t in tickets:
        assert TicketEvent.objects.filter(ticket=t, action="overdue").count() == 1
