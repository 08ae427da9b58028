"""Random walks through the pipeline by random people: the rules hold whatever the order.

- an action succeeds exactly when the UI would show its button to that person;
- a refused action changes nothing;
- the event log alone replays to the request's current status, unit and version.
"""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from minqing.accounts.scope import scope_for
from minqing.tickets import actions, sweep
from minqing.tickets.lifecycle import TRANSITIONS, allowed_transitions, is_allowed_step
from minqing.tickets.models import Ticket

PEOPLE = ["wangge", "shequ", "shequ_b", "jiedao", "jiedao_b", "bumen", "zhujian", "wuye", "duban", "jumin"]
UNITS = ["瓜州路社区居委会", "西湖街道办事处", "区城市管理行政执法局", "区住建局", "东方物业"]


def run(name: str, ticket: Ticket, actor, unit) -> Ticket:
    later = timezone.localdate() + dt.timedelta(days=30)
    calls = {
        "accept": lambda: actions.ticket_accept(ticket=ticket, actor=actor),
        "merge": lambda: actions.ticket_merge(ticket=ticket, actor=actor,
                                              into_number=Ticket.objects.order_by("-id")[1:2].get().number
                                              if Ticket.objects.count() > 1 else ticket.number),
        "reject": lambda: actions.ticket_reject(ticket=ticket, actor=actor, reason="repeat", note="重复反映"),
        "resolve_on_spot": lambda: actions.ticket_resolve_on_spot(ticket=ticket, actor=actor, result="当场解决"),
        "dispatch": lambda: actions.ticket_dispatch(ticket=ticket, actor=actor, unit=unit),
        "redispatch": lambda: actions.ticket_redispatch(ticket=ticket, actor=actor, unit=unit),
        "sign": lambda: actions.ticket_sign(ticket=ticket, actor=actor),
        "return": lambda: actions.ticket_return(ticket=ticket, actor=actor, note="不属于本单位"),
        "escalate": lambda: actions.ticket_escalate(ticket=ticket, actor=actor, note="解决不了"),
        "suspend": lambda: actions.ticket_suspend(ticket=ticket, actor=actor, note="列入计划", until=later),
        "resume": lambda: actions.ticket_resume(ticket=ticket, actor=actor),
        "resolve": lambda: actions.ticket_resolve(ticket=ticket, actor=actor, result="已办结"),
        "close": lambda: actions.ticket_callback(ticket=ticket, actor=actor, contacted=True, solved=True,
                                                 satisfaction="satisfied"),
        "rework": lambda: actions.ticket_callback(ticket=ticket, actor=actor, contacted=True, solved=False,
                                                  satisfaction="dissatisfied", note="没修好"),
    }
    return calls[name]()


def snapshot(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return ticket.status, ticket.version, ticket.handling_unit_id, ticket.events.count()


class Pipeline(RuleBasedStateMachine):
    tickets = Bundle("tickets")

    def __init__(self) -> None:
        super().__init__()
        from minqing.conftest import build_cast

        self.cast = build_cast()
        self.ids: list[int] = []
        # Time only moves forward: every step happens a minute after the last, sweeps jump days.
        self.moment = timezone.now()

    def tick(self, minutes: float = 1) -> time_machine.travel:
        self.moment += dt.timedelta(minutes=minutes)
        return time_machine.travel(self.moment, tick=False)

    @rule(target=tickets, community=st.sampled_from(["a", "b"]))
    def create(self, community: str) -> Ticket:
        with self.tick():
            ticket = self.cast.new_ticket(community=community)
        self.ids.append(ticket.pk)
        return ticket

    @rule(ticket=tickets, name=st.sampled_from(sorted(TRANSITIONS)), who=st.sampled_from(PEOPLE),
          unit_name=st.sampled_from(UNITS))
    def act(self, ticket: Ticket, name: str, who: str, unit_name: str) -> None:
        ticket.refresh_from_db()
        actor, unit = getattr(self.cast, who), self.cast.unit(unit_name)
        shown = name in {t.name for t in allowed_transitions(scope_for(actor), ticket)}
        before = snapshot(ticket)
        try:
            with self.tick():
                after = run(name, ticket, actor, unit)
        except actions.ActionError as exc:
            assert snapshot(ticket) == before, f"refused {name} changed the request"
            # A shown button may still refuse bad arguments: a unit it cannot go to, no level above,
            # a merge target that is itself, closed or out of sight.
            assert not shown or exc.field in {"unit", "into_number"} or "最高一级" in exc.message or "本单位" in exc.message, (
                f"{who} saw {name} but was refused: {exc.message}"
            )
        else:
            assert shown, f"{who} could {name} without the button being shown"
            assert after.status == TRANSITIONS[name].target
            assert after.version == before[1] + 1

    @rule(days=st.integers(min_value=0, max_value=30))
    def sweep_some_days_later(self, days: int) -> None:
        # The sweep may run between any two actions; it never changes status, unit or version.
        before = {t.pk: (t.status, t.handling_unit_id, t.version) for t in Ticket.objects.filter(pk__in=self.ids)}
        with self.tick(days * 24 * 60):
            sweep.sweep_once()
        after = {t.pk: (t.status, t.handling_unit_id, t.version) for t in Ticket.objects.filter(pk__in=self.ids)}
        assert before == after

    @invariant()
    def the_log_replays_to_the_current_state(self) -> None:
        for ticket in Ticket.objects.filter(pk__in=self.ids):
            status, unit, transitions = None, None, 0
            for e in ticket.events.order_by("created_at", "id"):
                assert is_allowed_step(e.action, e.from_status or None, e.to_status), (e.action, e.from_status, e.to_status)
                assert (e.from_status or None) == status or e.action == "create"
                status = e.to_status
                if e.to_unit_id:
                    unit = e.to_unit_id
                transitions += e.action in TRANSITIONS
            assert status == ticket.status
            assert unit == ticket.handling_unit_id
            assert transitions == ticket.version


def test_random_walks_keep_the_rules(cast) -> None:
    run_state_machine_as_test(
        Pipeline,
        settings=settings(max_examples=25, stateful_step_count=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )
