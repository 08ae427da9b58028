"""The demo district: realistic, consistent with the state machine, the same for the same seed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command

from minqing.accounts.scope import scope_for
from minqing.tickets import demo
from minqing.tickets.lifecycle import STEPS, TRANSITIONS, Actor, Status, is_allowed_step
from minqing.tickets.models import Part, Ticket, TicketEvent

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def fingerprint() -> list[tuple]:
    return [
        (t.number, t.status, t.handling_unit_id, t.category_id, t.text,
         tuple(t.events.order_by("created_at", "id").values_list("action", "created_at")))
        for t in Ticket.objects.order_by("number")
    ]


def wipe() -> None:
    Part.objects.all().delete()
    TicketEvent.objects.all().delete()
    Ticket.objects.update(merged_into=None)
    Ticket.objects.all().delete()


def test_same_seed_same_district_and_every_state_present(cast) -> None:
    demo.generate_tickets(count=400, seed=11, now=NOW)
    first = fingerprint()
    statuses = Counter(t[1] for t in first)
    assert set(statuses) == set(Status.values), statuses
    wipe()
    demo.generate_tickets(count=400, seed=11, now=NOW)
    assert fingerprint() == first
    wipe()
    demo.generate_tickets(count=400, seed=12, now=NOW)
    assert fingerprint() != first


def test_demo_requests_replay_from_their_event_log(cast) -> None:
    demo.generate_tickets(count=300, seed=3, now=NOW)
    for t in Ticket.objects.prefetch_related("events"):
        events = sorted(t.events.all(), key=lambda e: (e.created_at, e.id))
        status, unit, handled = None, None, {events[0].actor_unit_id}
        assert events[0].action == "create" and events[0].created_at == t.created_at
        for e in events:
            assert is_allowed_step(e.action, e.from_status or None, e.to_status), (t.number, e.action)
            handled |= {e.to_unit_id} - {None}
            if STEPS[e.action].actor == Actor.CALLBACK and e.actor is not None:  # never a unit that handled it
                assert not scope_for(e.actor).unit_ids & handled, (t.number, e.action, e.actor_label)
            assert e.created_at <= NOW
            status = e.to_status
            unit = e.to_unit_id or unit
        assert status == t.status and unit == t.handling_unit_id, t.number
        assert t.version == sum(e.action in TRANSITIONS for e in events)
        if t.status == Status.MERGED:
            assert t.merged_into is not None and t.merged_into.events.filter(action="merged_in").exists()


def test_the_command_loads_once_and_prints_the_accounts(db, capsys) -> None:
    with time_machine.travel(NOW, tick=False):
        call_command("demo", "--requests", "50", "--seed", "5")
        out = capsys.readouterr().out
        assert "演示区已载入：50 条事项" in out and "shequ" in out and "Minqing@2026" in out
        call_command("demo", "--if-empty")
        assert "跳过" in capsys.readouterr().out
    # 50 requests, plus those the grid workers' demo patrols raised (minqing/grid/demo.py, channel 网格员入户)
    assert Ticket.objects.filter(grid_visit__isnull=True).count() == 50
    # Intake after the demo continues the day's numbering.
    from minqing.conftest import build_cast

    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        t = build_cast().new_ticket()
    assert t.number not in set(Ticket.objects.exclude(pk=t.pk).values_list("number", flat=True))
