"""Handling: the unit holding a request signs it, reports progress, resumes it from a suspension (or the sweep
does, on the planned date), resolves it; notes from elsewhere (meetings) and the case book mark. (A
suspension is applied for and approved: applications.py.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from minqing.accounts.models import User
from minqing.accounts.scope import scope_for
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.lib.validation import clean_text
from minqing.org.models import Unit

from .. import deadlines
from ..lifecycle import STEPS, may
from ..models import Ticket, TicketEvent
from .core import CLOCK_COLUMNS, SYSTEM, apply, atomic_with_files, check, now, record
from .parts import end_parts, open_assists


def ticket_sign(*, ticket: Ticket, actor: User, note: str = "", expected_version: int | None = None) -> Ticket:
    note = clean_text(note, field="note", label="说明", max_length=500, required=False)
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="sign", scope=scope_for(actor), expected_version=expected_version)
        return apply(current=current, name="sign", actor=actor, actor_unit=unit, at=now(), note=note)


def ticket_add_progress(*, ticket: Ticket, actor: User, note: str, photos: list | None = None) -> TicketEvent:
    note = clean_text(note, field="note", label="进展说明", max_length=2000)
    with atomic_with_files() as stored:
        current = Ticket.objects.select_related("handling_unit").get(pk=ticket.pk)
        if not may(scope_for(actor), current, "progress"):
            raise Forbidden(f"只有当前办理单位可以为事项 {current.number} 填写办理进展。")
        return record(ticket=current, action="progress", actor=actor, actor_unit=current.handling_unit, at=now(),
                      note=note, photos=photos, stored=stored)


def ticket_contact(*, ticket: Ticket, actor: User, note: str) -> TicketEvent:
    """先行联系: the holder has contacted the reporter (by phone or a visit) and says how; the reporter is told."""
    note = clean_text(note, field="note", label="联系情况", max_length=500)
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="contact", scope=scope_for(actor), expected_version=None)
        if current.contact_due_at is None:
            raise ActionError("已经记录过先行联系。")
        at = now()
        # The contact clock stops (its columns cleared under the same guard as a step) and the event records it.
        step = STEPS["contact"]
        changes = deadlines.step_columns(step, now=at, minutes={})
        before = {f: getattr(current, f) for f in CLOCK_COLUMNS}
        changes["next_check_at"] = deadlines.next_check(before=before, changes=changes, status=current.status, now=at)
        if not Ticket.objects.filter(pk=current.pk, version=current.version, next_check_at=current.next_check_at).update(
                **changes):
            raise Conflict(f"事项 {current.number} 刚被他人处理过，请刷新页面。")
        return record(ticket=current, action="contact", actor=actor, actor_unit=unit, at=at, note=note,
                      data={"unit": current.handling_unit.name})


def ticket_note(*, ticket: Ticket, actor: User, action: str, note: str, data: dict | None = None,
                actor_unit: Unit | None = None) -> TicketEvent:
    """A note in a request's timeline from elsewhere in the system (议事: put on an agenda, a resolution).
    The caller has checked that the person may see the request."""
    step = STEPS.get(action)
    if step is None or step.changes_status or action == "create":
        raise ValueError(action)
    with transaction.atomic():
        current = Ticket.objects.select_related("handling_unit").get(pk=ticket.pk)
        return record(ticket=current, action=action, actor=actor, actor_unit=actor_unit, at=now(), note=note,
                      data=data)


def ticket_mark_exemplary(*, ticket: Ticket, actor: User, summary: str, exemplary: bool = True) -> Ticket:
    """Put a closed request in the year's case book (案例汇编) with a summary written for publication, or
    take it out. The summary, not the resident's own words, is what the case book prints."""
    summary = clean_text(summary, field="summary", label="案例简介", max_length=2000, required=exemplary)
    if exemplary and len(summary) < 20:
        raise ActionError("案例简介至少 20 个字：写清问题、怎么解决、效果如何（不要写群众姓名、电话）。", field="summary")
    scope = scope_for(actor)
    with transaction.atomic():
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not may(scope, current, "exemplary"):
            raise Forbidden("只有区级或所在街道可以把已结案的事项列为典型案例。")
        Ticket.objects.filter(pk=current.pk).update(exemplary=exemplary)
        record(ticket=current, action="exemplary", actor=actor, actor_unit=None, at=now(),
               note=summary if exemplary else (summary or "取消典型案例"), data={"exemplary": exemplary})
        current.exemplary = exemplary
        return current


def ticket_resume(*, ticket: Ticket, actor: User, note: str = "", expected_version: int | None = None) -> Ticket:
    """The holder resumes a suspended request before its planned date."""
    note = clean_text(note, field="note", label="说明", max_length=500, required=False)
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="resume", scope=scope_for(actor), expected_version=expected_version)
        return _resume(current=current, actor=actor, actor_unit=unit, note=note, at=now())


def ticket_resume_planned(*, ticket: Ticket, at: dt.datetime) -> Ticket:
    """The sweep resumes a suspended request on its planned date (the holder is told)."""
    current, _ = check(ticket=ticket, name="resume", scope=None, expected_version=None)
    return _resume(current=current, actor=None, actor_unit=None, at=at,
                   note=f"计划日期 {current.suspended_until} 已到，恢复办理。")


def _resume(*, current: Ticket, actor: User | None, actor_unit: Unit | None, note: str, at: dt.datetime) -> Ticket:
    step = STEPS["resume"]
    suspended = current.events.filter(action="suspend").order_by("-created_at", "-id").first()
    remaining = suspended.data.get("remaining_minutes") if suspended else None
    policy = deadlines.policy_of(current)
    # The clock resumes with the working time that was left when it stopped (none, if overdue).
    return apply(current=current, name=step.name, actor=actor, actor_unit=actor_unit, at=at,
                 minutes=deadlines.limits(step, policy=policy, complexity=current.complexity, remaining=remaining),
                 changes={"suspended_until": None}, note=note, label=SYSTEM if actor is None else None)


def ticket_resolve(*, ticket: Ticket, actor: User, result: str, photos: list | None = None,
                   expected_version: int | None = None, override: str = "") -> Ticket:
    """办结. Where a ReviewRule asks for it, the reply waits for review (办结审核) or an on-site check (核查)
    instead of going straight to the callback."""
    result = clean_text(result, field="result", label="办理结果", max_length=2000)
    override = clean_text(override, field="override", label="先行办结的理由", max_length=500, required=False)
    with atomic_with_files() as stored:
        current, unit = check(ticket=ticket, name="resolve", scope=scope_for(actor), expected_version=expected_version)
        waiting = open_assists(current)
        if waiting and not override:
            raise ActionError(f"协办单位尚未答复：{'、'.join(p.unit.name for p in waiting)}。"
                              "请等协办单位答复，或写明先行办结的理由。", field="override")
        extra = {"override": override, "open_parts": [p.unit.name for p in waiting]} if waiting else {}
        at = now()
        end_parts(ticket=current, at=at)
        review = deadlines.review_for(category=current.category, unit=current.handling_unit)
        if review:
            reviewer = None
            if review == "dispatcher":
                sender = current.sender_unit
                reviewer = sender if sender is not None and sender != current.handling_unit else (
                    current.handling_unit.level_above(street=current.street) or current.handling_unit)
            return apply(current=current, name="submit", actor=actor, actor_unit=unit, at=at,
                         changes={"result": result, "review": review, "reviewer_unit": reviewer, "submitted_at": at},
                         note=result, photos=photos, stored=stored,
                         data={"review": review, "reviewer": reviewer.name if reviewer else "网格员现场核查", **extra})
        return apply(current=current, name="resolve", actor=actor, actor_unit=unit, at=at,
                     changes={"result": result, "resolved_at": at}, note=result, photos=photos, stored=stored,
                     data=extra)


def ticket_review(*, ticket: Ticket, actor: User, passed: bool, note: str, photos: list | None = None,
                  expected_version: int | None = None) -> Ticket:
    """办结审核 by the dispatching unit, or 现场核查 by the grid worker (who must bring a photo). Passed: on to
    the callback, judged on time by the reply's time. Not passed: back to the unit, its clock still running."""
    name = "review_pass" if passed else "review_reject"
    note = clean_text(note, field="note", label="审核意见", max_length=1000, required=not passed)
    with atomic_with_files() as stored:
        current, unit = check(ticket=ticket, name=name, scope=scope_for(actor), expected_version=expected_version)
        if current.review == "onsite" and not photos:
            raise ActionError("现场核查请上传现场照片。", field="photos")
        at = now()
        changes: dict[str, Any] = {"resolved_at": at} if passed else {"review": "", "submitted_at": None}
        return apply(current=current, name=name, actor=actor, actor_unit=unit, at=at,
                     changes=changes, note=note or "办理结果属实。",
                     photos=photos, stored=stored, reopened={"resolve": current.submitted_at} if not passed else None)
