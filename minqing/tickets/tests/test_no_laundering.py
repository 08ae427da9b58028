"""No clock laundering, as a property: over random sequences of steps and random waits, handing a request
on (an approved return, a redispatch, an escalation) never turns a resolution clock that would be late into
"uncounted" — unless the hand-over was approved in time.

The expected facts come from a model of clock segments written here from the rule itself, not from the
replay in evaluation/facts.py: each unit's resolution clock is a segment from the step that started it to the
step that ended it, with its due time. A segment ends late if it ended after its due time, where an
escalated one ends when the level above signs for it; it ends on time only by a resolution in time; any other
hand-over in time leaves it uncounted. The sweep may mark a running segment late first; it is counted once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minqing.conftest import settle
from minqing.evaluation.models import Fact
from minqing.tickets import actions, sweep
from minqing.tickets.models import Ticket

TZ = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
STEPS = ["resolve", "escalate", "redispatch", "return", "sign", "sweep"]


def expected_late_and_ok(ticket: Ticket) -> tuple[Counter, Counter]:
    """(late, on time) resolution facts per unit, from the request's events by the segment model."""
    late: Counter = Counter()
    ok: Counter = Counter()
    running: tuple[int, dt.datetime, bool] | None = None  # (unit, due, already counted late)
    carried: tuple[int, dt.datetime, bool] | None = None  # handed up, judged when the level above signs
    holder = None  # an event names the new unit only when it changes
    for e in ticket.events.order_by("created_at", "id"):
        t, data = e.created_at, e.data or {}
        holder = e.to_unit_id or holder
        if e.action in ("dispatch", "redispatch", "escalate"):
            if running is not None and e.action == "redispatch" and not running[2] and t > running[1]:
                late[running[0]] += 1
            if running is not None and e.action == "escalate":
                carried = running
            running = (holder, dt.datetime.fromisoformat(data["resolve_due_at"]), False)
        elif e.action == "sign" and carried is not None:
            if not carried[2] and t > carried[1]:
                late[carried[0]] += 1
            carried = None
        elif e.action == "return" and running is not None:
            for seg in (running, carried):
                if seg is not None and not seg[2] and t > seg[1]:
                    late[seg[0]] += 1
            running = carried = None
        elif e.action == "resolve" and running is not None:
            if not running[2]:
                (ok if t <= running[1] else late)[running[0]] += 1
            running = None
        elif e.action == "overdue" and "resolve" in data.get("clocks", []) and running is not None and not running[2]:
            late[running[0]] += 1
            running = (running[0], running[1], True)
    return late, ok


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(plan=st.lists(st.tuples(st.sampled_from(STEPS), st.integers(min_value=5, max_value=4 * 24 * 60)),
                     min_size=1, max_size=9))
def test_a_late_clock_is_never_let_off_by_handing_the_request_on(cast, plan: list[tuple[str, int]]) -> None:
    people = {"瓜州路社区居委会": cast.shequ, "西湖街道办事处": cast.jiedao, "七里河区民情服务中心": cast.duban,
              "区住建局": cast.zhujian, "区城市管理行政执法局": cast.bumen}
    moment = START
    with time_machine.travel(moment, tick=False):
        t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
        t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("瓜州路社区居委会"))
    for step, wait in plan:
        moment += dt.timedelta(minutes=wait)
        t.refresh_from_db()
        holder = people.get(t.handling_unit.name)
        with time_machine.travel(moment, tick=False):
            try:
                if step == "sweep":
                    sweep.sweep_once()
                elif step == "sign" and t.status == "assigned":
                    actions.ticket_sign(ticket=t, actor=holder)
                elif step == "resolve" and t.status == "in_progress":
                    actions.ticket_resolve(ticket=t, actor=holder, result="已办结。")
                elif step == "escalate" and t.status == "in_progress":
                    actions.ticket_escalate(ticket=t, actor=holder, note="本级解决不了。")
                elif step == "redispatch" and t.status == "in_progress":
                    target = "区住建局" if t.handling_unit.name != "区住建局" else "区城市管理行政执法局"
                    actions.ticket_redispatch(ticket=t, actor=holder, unit=cast.unit(target))
                elif step == "return" and t.status in ("assigned", "in_progress"):
                    app = actions.return_apply(ticket=t, actor=holder, reason_code="remit", reason="不属于本单位。")
                    moment += dt.timedelta(minutes=wait)  # the review takes as long again: the clock runs
                    with time_machine.travel(moment, tick=False):
                        actions.application_decide(application=app, actor=cast.duban, approve=True,
                                                   unit=cast.unit("瓜州路社区居委会"))
            except actions.ActionError:
                pass  # a step this holder may not take here (no level above, the cap on returns): nothing changed
    settle()
    late, ok = expected_late_and_ok(t)
    facts = Fact.objects.filter(ticket=t, kind="deadline")
    assert Counter(facts.filter(ok=False).values_list("unit_id", flat=True)) == late
    assert Counter(facts.filter(ok=True).values_list("unit_id", flat=True)) == ok


def test_the_model_catches_a_laundered_clock(cast) -> None:
    """The property can fail: a request escalated minutes before its deadline and signed for after it is late
    in the model; if the replay let it off, the comparison above would say so."""
    with time_machine.travel(START, tick=False):
        t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
        t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("瓜州路社区居委会"))
        t = actions.ticket_sign(ticket=t, actor=cast.shequ)
    due = t.resolve_due_at
    with time_machine.travel(due - dt.timedelta(minutes=5), tick=False):
        actions.ticket_escalate(ticket=t, actor=cast.shequ, note="协调不了。")
    with time_machine.travel(due + dt.timedelta(minutes=30), tick=False):
        actions.ticket_sign(ticket=t, actor=cast.jiedao)
    settle()
    late, _ = expected_late_and_ok(t)
    assert late == Counter({cast.unit("瓜州路社区居委会").pk: 1})
    assert Fact.objects.filter(ticket=t, kind="deadline", ok=False, unit=cast.unit("瓜州路社区居委会")).count() == 1

