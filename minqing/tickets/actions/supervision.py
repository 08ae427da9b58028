"""Supervision (限时办结、跟踪督办): 督办单 and their replies, 催办, and what the deadline sweep writes when a
clock runs out. Who is told is declared in lifecycle.STEPS; the event data
names the units and people (`notify_unit_id`, `notify_user_id`, `issuer_unit_id`, `issuer_id`,
`supervisor_id`) that the notices consumer reads."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from minqing.accounts.models import User
from minqing.accounts.scope import scope_for
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.lib.validation import clean_text
from minqing.org.models import Unit

from .. import deadlines
from ..lifecycle import CLOCK_LABELS, CLOCK_RUNS, FINAL_STATUSES, STEPS, Actor, Clock, may
from ..models import Grade, SupervisionOrder, Ticket, TicketEvent
from .core import CLOCK_COLUMNS, SYSTEM, acting_unit, now, record


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def supervision_issue(*, ticket: Ticket, actor: User, unit: Unit, text: str, grade: str = Grade.NORMAL,
                      reply_due_at: dt.datetime | None = None) -> SupervisionOrder:
    """A district supervisor's 督办单: a demand the named unit must answer by a deadline."""
    scope = scope_for(actor)
    if not scope.district:
        raise Forbidden("只有区督办可以下发督办单。")  # the status is checked below, on a fresh read
    if grade not in Grade.values:
        raise ActionError("请选择督办等级。", field="grade")
    text = clean_text(text, field="text", label="督办要求", max_length=2000)
    if not unit.active:
        raise ActionError(f"“{unit.name}”已停用。", field="unit")
    at = now()
    if reply_due_at is None:
        reply_due_at = deadlines.due(at, settings.MINQING["ORDER_REPLY_DAYS"][grade] * deadlines.calendar().day_minutes)
    elif reply_due_at <= at:
        raise ActionError("回复时限必须晚于现在。", field="reply_due")
    with transaction.atomic():
        current = Ticket.objects.select_related("handling_unit").get(pk=ticket.pk)
        if current.status in FINAL_STATUSES:
            raise ActionError(f"事项 {current.number} 已{current.get_status_display()}，不能再督办。")
        acting = acting_unit(scope, current, Actor.NUDGE)
        order = SupervisionOrder.objects.create(
            ticket=current, grade=grade, text=text, unit=unit, reply_due_at=reply_due_at, issued_by=actor,
            issued_unit=acting, issued_at=at,
        )
        record(ticket=current, action="supervise", actor=actor, actor_unit=acting, at=at, note=text,
               data={"order": order.pk, "grade": grade, "grade_label": order.get_grade_display(), "unit": unit.name,
                     "reply_due_at": _iso(reply_due_at), "notify_unit_id": unit.pk})
        return order


def supervision_reply(*, order: SupervisionOrder, actor: User, text: str) -> SupervisionOrder:
    text = clean_text(text, field="text", label="回复内容", max_length=2000)
    scope = scope_for(actor)
    if order.unit_id not in scope.unit_ids:
        raise Forbidden(f"只有{order.unit.name}可以回复该督办单。")
    with transaction.atomic():
        at = now()
        if not SupervisionOrder.objects.filter(pk=order.pk, replied_at=None).update(
            reply=text, replied_by=actor, replied_at=at
        ):
            raise Conflict("该督办单已经回复过了。")
        order.refresh_from_db()
        record(ticket=order.ticket, action="supervision_reply", actor=actor, actor_unit=order.unit, at=at, note=text,
               data={"order": order.pk, "issuer_unit_id": order.issued_unit_id, "issuer_id": order.issued_by_id})
        return order


def ticket_remind(*, ticket: Ticket, actor: User, note: str = "") -> TicketEvent:
    """催办: nudge the handling unit of an open request."""
    note = clean_text(note, field="note", label="催办说明", max_length=500, required=False) or "请抓紧办理。"
    scope = scope_for(actor)
    with transaction.atomic():
        current = Ticket.objects.select_related("handling_unit").get(pk=ticket.pk)
        if current.status not in STEPS["remind"].sources:
            raise ActionError(f"事项 {current.number} 已{current.get_status_display()}，不需要催办。")
        if not may(scope, current, "remind"):
            raise Forbidden("只有上级或本社区可以催办，办理单位不能催办自己。")
        return record(ticket=current, action="remind", actor=actor, actor_unit=acting_unit(scope, current, Actor.NUDGE),
                      at=now(), note=note)


# --- what the deadline sweep writes (sweep.py finds the due rows) ------------------------------
def ticket_mark_overdue(*, ticket: Ticket, clocks: list[str], at: dt.datetime) -> Unit | None:
    """A clock ran out: record it once and, by the escalation rules, send it up for supervision.

    The caller has claimed the request (moved its next_check_at) in this transaction. Returns the
    supervising unit, or None when the category only warns.
    """
    unit = ticket.handling_unit
    labels = "、".join(CLOCK_LABELS[Clock(c)] for c in clocks)
    # Late response or resolution goes up for supervision (by the rules); a late 先行联系 or 派单 is counted and
    # the holder told.
    goes_up = bool({"response", "resolve"} & set(clocks)) and deadlines.escalates(category=ticket.category, unit=unit)
    supervisor = (unit.level_above(street=ticket.street) or unit) if goes_up else None
    due = {c: getattr(ticket, f"{c}_due_at").isoformat() for c in clocks}
    if "resolve" in clocks and ticket.reporter_phone and not ticket.events.filter(action="evaluate").exists():
        # 到期评价: past its resolution deadline unresolved, the request is due for a callback now (once; not
        # for anonymous reporters: nobody to call).
        Ticket.objects.filter(pk=ticket.pk).update(evaluation_due_at=at)
    if supervisor is not None:
        Ticket.objects.filter(pk=ticket.pk).update(supervised_by=supervisor)
        note = f"{labels}时限已过，{unit.name}尚未完成，已自动上报{supervisor.name}督办。"
    elif {"response", "resolve"} & set(clocks):
        note = f"{labels}时限已过，{unit.name}尚未完成（该分类超期只预警，不上报）。"
    else:
        note = f"{labels}时限已过，{unit.name}尚未完成。"
    record(ticket=ticket, action="overdue", actor=None, actor_unit=None, at=at, note=note, label=SYSTEM,
           data={"clocks": clocks, "due": due, "supervisor": supervisor.name if supervisor else None, "by": SYSTEM,
                 "supervisor_id": supervisor.pk if supervisor is not None and supervisor != unit else None})
    return supervisor


def supervision_mark_overdue(*, order: SupervisionOrder, at: dt.datetime) -> bool:
    """An order's reply time passed unanswered. False if someone replied or marked it first."""
    if not SupervisionOrder.objects.filter(pk=order.pk, replied_at=None, overdue_at=None).update(overdue_at=at):
        return False
    note = f"{order.unit.name}未在时限内回复{order.get_grade_display()}。"
    record(ticket=order.ticket, action="supervision_overdue", actor=None, actor_unit=None, at=at, note=note,
           label=SYSTEM, data={"order": order.pk, "by": SYSTEM, "notify_unit_id": order.unit_id,
                               "issuer_unit_id": order.issued_unit_id, "issuer_id": order.issued_by_id})
    return True


def ticket_set_external_due(*, ticket: Ticket, due: dt.datetime, actor: User | None = None) -> TicketEvent:
    """The 12345 platform set or moved its own deadline for a work order. The platform's deadline is the one
    assessed, so a running resolve clock due later is brought forward to it (its warning too); a later platform
    deadline leaves our clock alone (only an approved extension moves it)."""
    with transaction.atomic():
        current = Ticket.objects.select_related("handling_unit").get(pk=ticket.pk)
        old = current.external_due_at
        changes: dict = {"external_due_at": due}
        data: dict = {"from": _iso(old), "to": _iso(due)}
        if current.status in CLOCK_RUNS[Clock.RESOLVE] and current.resolve_due_at is not None:
            capped = deadlines.cap_resolve({"resolve_due_at": current.resolve_due_at,
                                            "resolve_started_at": current.resolve_started_at}, due, current.natural_time)
            if capped["resolve_due_at"] != current.resolve_due_at:
                changes |= {"resolve_due_at": capped["resolve_due_at"], "resolve_warn_at": capped["resolve_warn_at"]}
                before = {f: getattr(current, f) for f in CLOCK_COLUMNS}
                changes["next_check_at"] = deadlines.next_check(before=before, changes=changes, status=current.status,
                                                                now=now())
                data["resolve_due_at"] = _iso(capped["resolve_due_at"])
        # Guarded like any clock change: the sweep or another action moving the clock meanwhile wins, and we retry.
        if not Ticket.objects.filter(pk=current.pk, version=current.version,
                                     next_check_at=current.next_check_at).update(**changes):
            raise Conflict(f"事项 {current.number} 刚被他人处理过，请重试。")
        return record(ticket=current, action="external_due", actor=actor, actor_unit=None, at=now(), label="12345平台",
                      note="12345平台调整了办理时限", data=data)
