"""What every action on a request shares: the check that a step may happen now, the guarded update
that makes it happen (exactly one of two concurrent writers wins), and the event row that records it.

The step's effects on the clocks come from lifecycle.STEPS; what follows a step (notices, SMS,
evaluation facts, webhooks, meeting links, triage) is done by the consumers (consumers.py) after it
has committed, from the event written here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from minqing.accounts.models import User
from minqing.accounts.scope import Scope
from minqing.lib import uploads
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.org.models import Unit, UnitKind

from .. import consumers, deadlines
from ..lifecycle import NEEDS_PLACE, OPEN_STATUSES, STEPS, Actor, Clock, actor_matches
from ..models import Ticket, TicketEvent
from .photos import photos_attach

RESIDENT_LABEL = "反映人本人"
SYSTEM = "系统巡检"
CLOCK_COLUMNS = ["response_warn_at", "response_due_at", "resolve_warn_at", "resolve_due_at", "callback_due_at",
                 "contact_warn_at", "contact_due_at", "dispatch_warn_at", "dispatch_due_at", "suspended_until",
                 "next_check_at"]


def now() -> dt.datetime:
    return timezone.now()


def actor_label(actor: User | None) -> str:
    if actor is None:
        return RESIDENT_LABEL
    return actor.full_name or actor.username


def acting_unit(scope: Scope, ticket: Ticket, rule: Actor) -> Unit | None:
    """The unit on whose behalf the person acts here, for the record."""
    if ticket.handling_unit_id in scope.unit_ids and rule not in (Actor.CALLBACK, Actor.NUDGE):
        return ticket.handling_unit
    units = [r.unit for r in scope.roles if r.unit is not None]
    if rule == Actor.CALLBACK:  # the callback team calls for its own unit
        agent = [r.unit for r in scope.roles if r.role == "callback_agent" and r.unit is not None]
        if agent:
            return agent[0]
    for unit in units:  # community staff of the request's community
        if unit.kind == UnitKind.COMMUNITY_OFFICE and unit.area_id == ticket.community_id:
            return unit
    for unit in units:  # oversight: the street office, then the district center
        if unit.kind == UnitKind.STREET_OFFICE and unit.area_id == ticket.street_id:
            return unit
    for unit in units:
        if unit.kind == UnitKind.DISTRICT_CENTER:
            return unit
    return ticket.handling_unit if ticket.handling_unit_id in scope.unit_ids else None


@contextlib.contextmanager
def atomic_with_files() -> Iterator[list[str]]:
    """A transaction whose stored files are removed again if it rolls back."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            yield stored
    except BaseException:
        uploads.discard(stored)
        raise


def record(
    *,
    ticket: Ticket,
    action: str,
    actor: User | None,
    actor_unit: Unit | None,
    at: dt.datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    from_unit: Unit | None = None,
    to_unit: Unit | None = None,
    note: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    photos: list[uploads.PreparedImage] | None = None,
    stored: list[str] | None = None,
    label: str | None = None,
) -> TicketEvent:
    """Write one event (a note unless from/to say otherwise) and queue it for the consumers."""
    event = TicketEvent.objects.create(
        ticket=ticket,
        action=action,
        from_status=ticket.status if from_status is None else from_status,
        to_status=ticket.status if to_status is None else to_status,
        actor=actor,
        actor_label=label or actor_label(actor),
        actor_unit=actor_unit,
        from_unit=from_unit if from_unit is not None else ticket.handling_unit,
        to_unit=to_unit,
        note=note,
        reason=reason,
        data=data or {},
        created_at=at,
    )
    if photos:
        photos_attach(ticket=ticket, event=event, photos=photos, at=at, stored=stored)
    consumers.enqueue([event])
    return event


def check(*, ticket: Ticket, name: str, scope: Scope | None, expected_version: int | None) -> tuple[Ticket, Unit | None]:
    """Re-read the request inside the transaction and check the step may happen now, by this person."""
    step = STEPS[name]
    current = Ticket.objects.select_related("handling_unit", "category").get(pk=ticket.pk)
    if scope is not None and not actor_matches(step.actor, scope, current):
        raise Forbidden(f"您无权对事项 {current.number} 执行“{step.label}”。")
    if current.status not in step.sources:
        raise Conflict(f"事项 {current.number} 当前状态为“{current.get_status_display()}”，不能{step.label}。请刷新页面。")
    if expected_version is not None and current.version != expected_version:
        raise Conflict(f"事项 {current.number} 刚被他人处理过，请刷新页面查看最新状态后再操作。")
    if name in NEEDS_PLACE and current.location_pending:
        raise ActionError(f"事项 {current.number} 位置待核实：请先“更正地点”，再{step.label}。", field="area")
    unit = acting_unit(scope, current, step.actor) if scope is not None else None
    return current, unit


def apply(
    *,
    current: Ticket,
    name: str,
    actor: User | None,
    actor_unit: Unit | None,
    at: dt.datetime,
    minutes: dict[Clock, float] | None = None,
    changes: dict[str, Any] | None = None,
    note: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    photos: list[uploads.PreparedImage] | None = None,
    stored: list[str] | None = None,
    label: str | None = None,
    reopened: dict[str, dt.datetime | None] | None = None,
) -> Ticket:
    """Take a status-changing step: its clock columns (from the table), the caller's other changes, one
    guarded update, one event. `minutes` gives the limit of every clock the step starts; `reopened` names
    clocks that run again after a hold, with the time they were held (their points since then count)."""
    step = STEPS[name]
    assert step.target is not None, name
    if minutes is None:
        minutes = deadlines.limits(step, policy=deadlines.policy_of(current) if deadlines.needs_policy(step) else None,
                                   complexity=(changes or {}).get("complexity", current.complexity))
    clocks = deadlines.cap_resolve(deadlines.step_columns(step, now=at, minutes=minutes, natural=current.natural_time),
                                   current.external_due_at, current.natural_time)
    changes = {**clocks, **(changes or {})}
    if step.target not in OPEN_STATUSES:  # resolved or finished: called back the usual way, not at the deadline
        changes.setdefault("evaluation_due_at", None)
    before = {f: getattr(current, f) for f in CLOCK_COLUMNS}
    changes["next_check_at"] = deadlines.next_check(before=before, changes=changes, status=step.target, now=at,
                                                    reopened=reopened)
    # Guarded on version (other actions) and next_check_at (the sweep): exactly one writer wins.
    won = Ticket.objects.filter(
        pk=current.pk, version=current.version, status=current.status, next_check_at=current.next_check_at
    ).update(status=step.target, version=F("version") + 1, updated_at=at, **changes)
    if not won:
        raise Conflict(f"事项 {current.number} 刚被他人处理过，您的“{step.label}”未生效，请刷新页面。")
    new_unit = changes.get("handling_unit", current.handling_unit)
    record(
        ticket=current, action=name, from_status=current.status, to_status=step.target, actor=actor,
        actor_unit=actor_unit, at=at, from_unit=current.handling_unit,
        to_unit=new_unit if new_unit != current.handling_unit else None, note=note, reason=reason,
        data={**deadlines.due_data(clocks), **(data or {})}, photos=photos, stored=stored, label=label,
    )
    after = Ticket.objects.select_related("handling_unit", "category", "sender_unit", "street").get(pk=current.pk)
    if after.problem_at is None and name in PASSES | {"rework"}:
        _flag_problem(after, at)
    return after


PASSES = {"dispatch", "redispatch", "escalate"}  # the steps that send a request to a unit to handle


def _flag_problem(ticket: Ticket, at: dt.datetime) -> None:
    """问题工单: a request sent to too many units, or reworked too often, is flagged and goes up a level."""
    units = set(TicketEvent.objects.filter(ticket=ticket, action__in=PASSES).exclude(to_unit=None)
                .values_list("to_unit_id", flat=True))
    reasons = []
    if len(units) >= int(settings.MINQING["PROBLEM_UNITS"]):
        reasons.append(f"先后交给 {len(units)} 个单位办理")
    if ticket.rework_count >= int(settings.MINQING["PROBLEM_REWORKS"]):
        reasons.append(f"返工 {ticket.rework_count} 次")
    if not reasons:
        return
    supervisor = ticket.handling_unit.level_above(street=ticket.street) or ticket.handling_unit
    Ticket.objects.filter(pk=ticket.pk, problem_at=None).update(problem_at=at, supervised_by=supervisor)
    text = "，".join(reasons)
    record(ticket=ticket, action="problem", actor=None, actor_unit=None, at=at, label=SYSTEM,
           note=f"{text}，列为问题工单，由{supervisor.name}督办。",
           data={"reason_text": text, "units": len(units), "reworks": ticket.rework_count, "supervisor_id": supervisor.pk})
    ticket.problem_at = at
