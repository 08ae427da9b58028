"""Parts of a request besides the lead's (主办): co-handlers (协办) named at dispatch, each with its own task and
deadline, and departments a street summons (吹哨报到), who sign within an hour, contact the reporter within a
day and report on site within a few working days. Each unit's part runs on its own clocks and counts for that
unit; the street rates each department's 报到. The lead may not resolve before every co-handler has replied,
unless it says why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from minqing.accounts.models import User
from minqing.accounts.scope import scope_for
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.lib.validation import OUT_OF_RANGE, clean_text, in_range
from minqing.org.models import Unit, UnitKind

from .. import deadlines
from ..models import Part, PartRole, Ticket, TicketEvent
from .core import SYSTEM, check, now, record


@dataclass(frozen=True)
class Assist:
    """A co-handler named at dispatch: its unit, its task, and (optionally) its own reply deadline."""

    unit: Unit
    task: str
    due: dt.date | None = None


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def plan_assists(*, current: Ticket, lead: Unit, assists: list[Assist], at: dt.datetime,
                 complexity: str) -> list[dict[str, Any]]:
    """Check the co-handlers and work out their clocks (sign by the response limit, reply by the lead's
    resolution deadline or an earlier date given): the entries the dispatch event records."""
    seen: set[int] = set()
    policy = deadlines.policy_of(current)
    resolve_due = deadlines.due(at, policy.resolve_for(complexity), current.natural_time)
    out = []
    for a in assists:
        if a.unit.pk == lead.pk or a.unit.pk in seen:
            raise ActionError(f"协办单位“{a.unit.name}”重复，或与主办单位相同。", field="assists")
        if not a.unit.active or a.unit.kind in (UnitKind.COMMUNITY_OFFICE,) and a.unit.area_id != current.community_id:
            raise ActionError(f"不能请“{a.unit.name}”协办。", field="assists")
        seen.add(a.unit.pk)
        task = clean_text(a.task, field="assists", label=f"{a.unit.name}的协办任务", max_length=300)
        done = resolve_due
        if a.due is not None:
            if not in_range(a.due):
                raise ActionError(f"{a.unit.name}的答复时限{OUT_OF_RANGE}", field="assists")
            cal = deadlines.calendar()
            done = min(resolve_due, cal.end_of_workday(dt.datetime.combine(a.due, dt.time(9), cal.tz)))
            if done <= at:
                raise ActionError(f"{a.unit.name}的答复时限必须晚于现在。", field="assists")
        out.append({"unit_id": a.unit.pk, "unit": a.unit.name, "role": PartRole.ASSIST, "task": task,
                    "sign_due_at": _iso(deadlines.due(at, policy.response_minutes, current.natural_time)),
                    "done_due_at": _iso(done)})
    return out


def create_parts(*, current: Ticket, entries: list[dict[str, Any]], by: Unit | None, at: dt.datetime) -> list[Part]:
    parts = [Part(ticket=current, unit_id=e["unit_id"], role=e["role"], task=e.get("task", ""),
                  assigned_by=by or current.handling_unit, assigned_at=at,
                  sign_due_at=dt.datetime.fromisoformat(e["sign_due_at"]),
                  contact_due_at=dt.datetime.fromisoformat(e["contact_due_at"]) if e.get("contact_due_at") else None,
                  done_due_at=dt.datetime.fromisoformat(e["done_due_at"])) for e in entries]
    for p in parts:
        p.next_check_at = min(p.sign_due_at, p.done_due_at, *([p.contact_due_at] if p.contact_due_at else []))
    # A unit given the same part again (a new dispatch) keeps the one it has.
    existing = set(Part.objects.filter(ticket=current).values_list("unit_id", "role"))
    return Part.objects.bulk_create([p for p in parts if (p.unit_id, p.role) not in existing])


def ticket_summon(*, ticket: Ticket, actor: User, units: list[Unit], task: str) -> TicketEvent:
    """吹哨: the street holding the request summons departments to 报到, each with its own deadlines."""
    task = clean_text(task, field="task", label="报到事由（需要各部门做什么）", max_length=500)
    if not units:
        raise ActionError("请选择要召集报到的部门。", field="units")
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="summon", scope=scope_for(actor), expected_version=None)
        at = now()
        cal = deadlines.calendar()
        already = set(current.parts.filter(role=PartRole.SUMMONED).values_list("unit_id", flat=True))
        entries = []
        for u in units:
            if u.kind != UnitKind.DEPARTMENT or not u.active:
                raise ActionError(f"“{u.name}”不是区职能部门，不能召集报到。", field="units")
            if u.pk in already:
                raise ActionError(f"已召集过{u.name}。", field="units")
            entries.append({
                "unit_id": u.pk, "unit": u.name, "role": PartRole.SUMMONED, "task": task,
                "sign_due_at": _iso(at + dt.timedelta(hours=float(settings.MINQING["SUMMON_SIGN_HOURS"]))),
                "contact_due_at": _iso(at + dt.timedelta(hours=float(settings.MINQING["SUMMON_CONTACT_HOURS"]))),
                "done_due_at": _iso(cal.add(at, float(settings.MINQING["SUMMON_ONSITE_DAYS"]) * cal.day_minutes)),
            })
        event = record(ticket=current, action="summon", actor=actor, actor_unit=unit, at=at, note=task,
                       data={"parts": entries, "units": [e["unit"] for e in entries]})
        create_parts(current=current, entries=entries, by=unit, at=at)
        return event


STEP = {"sign": ("part_sign", "signed_at"), "contact": ("part_contact", "contacted_at"), "reply": ("part_reply", "done_at")}
ASK = {"sign": "签收", "contact": "联系群众", "reply": "答复/到场报到"}


def may_act(scope: Any, part: Part) -> bool:
    return part.unit_id in scope.unit_ids and part.ended_at is None and part.done_at is None


def may_rate(scope: Any, part: Part) -> bool:
    """The street that summoned a department rates its 报到 once it has reported (or a district supervisor)."""
    return (part.role == PartRole.SUMMONED and part.rating is None and part.done_at is not None
            and (part.assigned_by_id in scope.unit_ids or scope.district))


def part_allowed(scope: Any, part: Part) -> list[str]:
    """What this viewer may do on the part now: its unit signs, then contacts the reporter (吹哨报到 only) and
    replies or reports on site; the summoning street rates the 报到."""
    allowed = []
    if may_act(scope, part):
        if part.signed_at is None:
            allowed.append("sign")
        else:
            allowed += ["contact"] * (part.role == PartRole.SUMMONED and part.contacted_at is None) + ["reply"]
    return allowed + ["rate"] * may_rate(scope, part)


def part_step(*, part: Part, actor: User, what: str, note: str = "") -> Part:
    """The part's unit signs, contacts the reporter (吹哨报到), or replies / reports on site."""
    action, column = STEP[what]
    required = what != "sign"
    note = clean_text(note, field="note", label="情况说明", max_length=1000, required=required)
    scope = scope_for(actor)
    with transaction.atomic():
        current = Part.objects.select_for_update().select_related("ticket", "unit").get(pk=part.pk)
        if not may_act(scope, current):
            raise Forbidden(f"只有{current.unit.name}可以办理这项{current.get_role_display()}。")
        if getattr(current, column) is not None:
            raise Conflict(f"已经{ASK[what]}过了。")
        if what == "contact" and current.role != PartRole.SUMMONED:
            raise ActionError("联系群众是吹哨报到部门的一步。")
        if what in ("contact", "reply") and current.signed_at is None:
            raise ActionError("请先签收。")
        at = now()
        changes: dict[str, Any] = {column: at, "next_check_at": _next_due(current, column, at)}
        if what == "reply":
            changes["reply"] = note
        Part.objects.filter(pk=current.pk).update(**changes)
        ticket = Ticket.objects.select_related("handling_unit").get(pk=current.ticket_id)
        record(ticket=ticket, action=action, actor=actor, actor_unit=current.unit, at=at, note=note or ASK[what],
               data={"part": current.pk, "unit_id": current.unit_id, "part_unit": current.unit.name,
                     "role": current.role, "role_label": current.get_role_display()})
        current.refresh_from_db()
        return current


def _next_due(part: Part, done_column: str, at: dt.datetime) -> dt.datetime | None:
    """The part's next due time still open once `done_column` is done (the sweep's pointer)."""
    pending = [due for due, col in ((part.sign_due_at, "signed_at"), (part.contact_due_at, "contacted_at"),
                                    (part.done_due_at, "done_at"))
               if due is not None and col != done_column and getattr(part, col) is None and due > at]
    return min(pending, default=None)


def part_rate(*, part: Part, actor: User, rating: int, note: str = "") -> Part:
    """The street rates a summoned department's 报到 (1–5); it counts in the department's evaluation."""
    if rating not in (1, 2, 3, 4, 5):
        raise ActionError("请给出 1 到 5 分的评价。", field="rating")
    note = clean_text(note, field="note", label="评价说明", max_length=500, required=rating <= 2)
    scope = scope_for(actor)
    with transaction.atomic():
        current = Part.objects.select_for_update().select_related("ticket", "unit").get(pk=part.pk)
        ticket = Ticket.objects.select_related("handling_unit").get(pk=current.ticket_id)
        if current.role != PartRole.SUMMONED or not (current.assigned_by_id in scope.unit_ids or scope.district):
            raise Forbidden("只有召集报到的街道可以评价该部门的报到。")
        if current.rating is not None:
            raise Conflict("已经评价过了。")
        if current.done_at is None:
            raise ActionError(f"{current.unit.name}还没有到场报到，报到后再评价。")
        Part.objects.filter(pk=current.pk).update(rating=rating, rating_note=note)
        record(ticket=ticket, action="part_rate", actor=actor, actor_unit=current.assigned_by, at=now(),
               note=note or f"评价 {rating} 分", data={"part": current.pk, "unit_id": current.unit_id,
                                                    "part_unit": current.unit.name, "rating": rating})
        current.refresh_from_db()
        return current


def open_assists(ticket: Ticket) -> list[Part]:
    return list(ticket.parts.filter(role=PartRole.ASSIST, done_at=None, ended_at=None).select_related("unit"))


def end_parts(*, ticket: Ticket, at: dt.datetime) -> None:
    """The lead resolved: parts still open end with it (their clocks judged as hand-overs by the facts)."""
    Part.objects.filter(ticket=ticket, ended_at=None).filter(Q(done_at=None) | Q(signed_at=None)).update(
        ended_at=at, next_check_at=None)


def part_mark_overdue(*, part: Part, clocks: list[str], at: dt.datetime) -> None:
    """A part's deadline passed: counted late, the unit told, a summoned department's lateness sent up."""
    ticket = Ticket.objects.select_related("handling_unit", "street").get(pk=part.ticket_id)
    supervisor = part.unit.level_above(street=ticket.street) if part.role == PartRole.SUMMONED else ticket.handling_unit
    names = "、".join({"part_sign": "签收", "part_contact": "联系群众", "part_done": "答复/到场"}[c] for c in clocks)
    record(ticket=ticket, action="part_overdue", actor=None, actor_unit=None, at=at, label=SYSTEM,
           note=f"{part.unit.name}的{part.get_role_display()}{names}已超时。",
           data={"part": part.pk, "unit_id": part.unit_id, "part_unit": part.unit.name, "clocks": clocks,
                 "notify_unit_id": part.unit_id, "supervisor_id": supervisor.pk if supervisor else None})

