"""Random walks through the pipeline by random people: the rules hold whatever the order.

- an action succeeds exactly when the UI would show its button to that person;
- a refused action changes nothing;
- an application (退单, 缓办) changes nothing until the level above approves it;
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
from minqing.tickets.lifecycle import TRANSITIONS, Actor, allowed_transitions, is_allowed_step, may
from minqing.tickets.models import ReviewRule, Ticket

# Steps the person takes directly; the NAMED ones (an approved return or suspension) come from a decision.
# (submit is what resolve becomes where a review rule applies.)
# (callback_invalid follows the last failed callback attempt.)
DIRECT = {name for name, t in TRANSITIONS.items() if t.actor != Actor.NAMED and name not in ("submit", "callback_invalid")}
PEOPLE = ["wangge", "shequ", "shequ_b", "jiedao", "jiedao_b", "bumen", "zhujian", "wuye", "duban", "jumin", "huifang"]
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
        "escalate": lambda: actions.ticket_escalate(ticket=ticket, actor=actor, note="解决不了"),
        "return_apply": lambda: actions.return_apply(ticket=ticket, actor=actor, reason_code="remit", reason="不属于本单位"),
        "suspend_apply": lambda: actions.suspend_apply(ticket=ticket, actor=actor, until=later, reason="列入计划"),
        "resume": lambda: actions.ticket_resume(ticket=ticket, actor=actor),
        "resolve": lambda: actions.ticket_resolve(ticket=ticket, actor=actor, result="已办结"),
        "review_pass": lambda: actions.ticket_review(ticket=ticket, actor=actor, passed=True, note="属实"),
        "review_reject": lambda: actions.ticket_review(ticket=ticket, actor=actor, passed=False, note="没办好"),
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
        # Departments' resolutions are reviewed by whoever dispatched them, so the walks pass through 待审核.
        ReviewRule.objects.get_or_create(category=None, level="district", defaults={"review": "dispatcher"})
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

    @rule(ticket=tickets, name=st.sampled_from(sorted(DIRECT)), who=st.sampled_from(PEOPLE),
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
            expected = {TRANSITIONS[name].target} | ({TRANSITIONS["submit"].target} if name == "resolve" else set())
            assert after.status in expected
            assert after.version == before[1] + 1

    @rule(ticket=tickets, kind=st.sampled_from(["return_apply", "suspend_apply"]), who=st.sampled_from(PEOPLE),
          decider=st.sampled_from(PEOPLE), approve=st.booleans())
    def apply_and_decide(self, ticket: Ticket, kind: str, who: str, decider: str, approve: bool) -> None:
        ticket.refresh_from_db()
        actor = getattr(self.cast, who)
        shown = may(scope_for(actor), ticket, kind)
        before = snapshot(ticket)
        try:
            with self.tick():
                app = run(kind, ticket, actor, None)
        except actions.ActionError as exc:
            assert snapshot(ticket) == before, f"refused {kind} changed the request"
            assert not shown or "上限" in exc.message or "待审批" in exc.message, f"{who} saw {kind}: {exc.message}"
            return
        assert shown, f"{who} could {kind} without the button being shown"
        status, version, unit, _ = snapshot(ticket)
        assert (status, version, unit) == before[:3], "an application changed the request before any decision"
        person = getattr(self.cast, decider)
        allowed = actions.may_decide(scope_for(person), app)
        try:
            with self.tick():
                actions.application_decide(application=app, actor=person, approve=approve, note="审核意见")
        except actions.ActionError as exc:
            assert not allowed, f"{decider} may decide but was refused: {exc.message}"
            assert snapshot(ticket)[:3] == before[:3], "a refused decision changed the request"
            actions.application_decide(application=app, actor=self.cast.duban, approve=False, note="撤回")  # next walk
            return
        assert allowed, f"{decider} decided an application not addressed to them"
        status, version, unit, _ = snapshot(ticket)
        if not approve:
            assert (status, version, unit) == before[:3], "a refused application changed the request"
        else:
            assert status == ("registered" if kind == "return_apply" else "suspended") and version == before[1] + 1

    @rule(days=st.integers(min_value=0, max_value=30))
    def sweep_some_days_later(self, days: int) -> None:
        # The sweep may run between any two actions; it changes no status, unit or version — except that
        # an approved suspension resumes on its planned date (its own event, by 系统巡检).
        before = {t.pk: (t.status, t.handling_unit_id, t.version) for t in Ticket.objects.filter(pk__in=self.ids)}
        with self.tick(days * 24 * 60):
            sweep.sweep_once()
        for t in Ticket.objects.filter(pk__in=self.ids):
            if before[t.pk] != (t.status, t.handling_unit_id, t.version):
                assert before[t.pk][0] == "suspended" and t.status == "in_progress"
                assert t.events.order_by("-id").first().action == "resume"

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
