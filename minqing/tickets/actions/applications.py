"""What the handling unit asks the level above to decide (申请), and the decisions: a return (退单) with its
reason, an extension (延期) to a new date, a suspension (缓办) until a planned date.

Nothing changes while an application waits: the unit keeps the request and its clocks keep running. The
level above the unit (community → street, street office and departments → the district centre; a district
supervisor may decide any) approves or refuses with a note. Only an approved return moves the request
(judged as a hand-over: a clock already past its deadline is counted late), only an approved extension moves
the deadline, only an approved suspension stops the clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from minqing.accounts.models import User
from minqing.accounts.scope import Scope, scope_for
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.lib.validation import OUT_OF_RANGE, clean_text, in_range
from minqing.org.models import Unit, UnitKind

from .. import deadlines
from ..lifecycle import CLOCK_RUNS, Clock, may
from ..models import Application, ApplicationKind, ApplicationStatus, ReturnReason, Ticket
from .core import CLOCK_COLUMNS, apply, check, now, record
from .routing import ticket_dispatch

LABEL = {ApplicationKind.RETURN: "退单", ApplicationKind.EXTENSION: "延期", ApplicationKind.SUSPEND: "缓办"}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def can_request_extension(scope: Scope, ticket: Ticket) -> bool:
    return may(scope, ticket, "extension_request")


def _open(*, current: Ticket, actor: User, kind: str, reason: str, step: str, data: dict[str, Any],
          **fields: Any) -> Application:
    """Store a pending application (one per request at a time) and its event, addressed to the level above."""
    approver = current.handling_unit.level_above(street=current.street) or current.handling_unit
    label = LABEL[ApplicationKind(kind)]
    pending = Application.objects.filter(ticket=current, status=ApplicationStatus.PENDING).first()
    if pending is not None:
        raise ActionError(f"该事项已有一份待审批的{pending.get_kind_display()}，请等上级审批后再申请。")
    at = now()
    try:
        with transaction.atomic():
            app = Application.objects.create(kind=kind, ticket=current, unit=current.handling_unit,
                                             approver_unit=approver, requested_by=actor, requested_at=at,
                                             reason=reason, **fields)
    except IntegrityError as exc:
        raise ActionError(f"该事项已有一份待审批的申请，不能同时申请{label}。") from exc
    record(ticket=current, action=step, actor=actor, actor_unit=current.handling_unit, at=at, note=reason,
           reason=fields.get("reason_code", ""),
           data={"application": app.pk, "notify_unit_id": approver.pk, "approver": approver.name, **data})
    return app


def extension_request(*, ticket: Ticket, actor: User, new_due: dt.date, reason: str) -> Application:
    """延期申请 by the handling unit, before its resolution deadline."""
    reason = clean_text(reason, field="reason", label="延期理由", max_length=1000)
    scope = scope_for(actor)
    with transaction.atomic():
        current = Ticket.objects.select_related("handling_unit", "street").get(pk=ticket.pk)
        if current.handling_unit_id not in scope.unit_ids:
            raise Forbidden("只有当前办理单位可以申请延期。")
        if not can_request_extension(scope, current):
            if current.resolve_due_at is not None and current.resolve_due_at <= timezone.now():
                raise ActionError(f"事项 {current.number} 已超过办结时限，不能再申请延期，请尽快办结。")
            raise ActionError(f"事项 {current.number} 当前没有在计时的办结时限，不能申请延期。")
        if new_due is None:
            raise ActionError("请填写申请延至的日期。", field="new_due")
        if not in_range(new_due):  # year 1 at 09:00 in Beijing is no moment Python can hold in UTC
            raise ActionError(f"申请延至的{OUT_OF_RANGE}", field="new_due")
        cal = deadlines.calendar()
        new_due_at = cal.end_of_workday(dt.datetime.combine(new_due, dt.time(9, 0), cal.tz))
        assert current.resolve_due_at is not None
        if new_due_at <= current.resolve_due_at:
            raise ActionError(
                f"申请延至的日期必须晚于现在的办结时限（{timezone.localtime(current.resolve_due_at):%Y-%m-%d %H:%M}）。",
                field="new_due")
        if new_due > timezone.localdate() + dt.timedelta(days=366):
            raise ActionError("延期不能超过一年，长期事项请申请缓办。", field="new_due")
        return _open(current=current, actor=actor, kind=ApplicationKind.EXTENSION, reason=reason,
                     step="extension_request", original_due_at=current.resolve_due_at, new_due_at=new_due_at,
                     data={"extension": None, "original_due_at": _iso(current.resolve_due_at),
                           "new_due_at": _iso(new_due_at)})


def return_apply(*, ticket: Ticket, actor: User, reason_code: str, reason: str) -> Application:
    """退单申请: the unit says the request is not its to handle (属地不符, 职责不符, 信息不全, 其他) and why."""
    if reason_code not in ReturnReason.values:
        raise ActionError("请选择退单原因：属地不符、职责不符、信息不全或其他。", field="reason_code")
    reason = clean_text(reason, field="reason", label="退单理由", max_length=500)
    limit = int(settings.MINQING["RETURN_LIMIT"])
    with transaction.atomic():
        current, _ = check(ticket=ticket, name="return_apply", scope=scope_for(actor), expected_version=None)
        made = Application.objects.filter(ticket=current, kind=ApplicationKind.RETURN).count()
        if made >= limit:
            raise ActionError(f"该事项已申请退单 {made} 次，达到上限（{limit} 次），请继续办理或申请上级协调（上报）。")
        return _open(current=current, actor=actor, kind=ApplicationKind.RETURN, reason=reason, step="return_apply",
                     reason_code=reason_code, original_due_at=current.resolve_due_at,
                     data={"reason_label": ReturnReason(reason_code).label, "returns": made + 1})


def suspend_apply(*, ticket: Ticket, actor: User, until: dt.date, reason: str) -> Application:
    """缓办申请: a long-term matter put into a plan, to resume by `until`."""
    reason = clean_text(reason, field="reason", label="缓办理由", max_length=1000)
    if until is None or until <= timezone.localdate():
        raise ActionError("计划恢复办理的日期必须晚于今天。", field="until")
    if until > timezone.localdate() + dt.timedelta(days=3 * 366):
        raise ActionError("计划恢复办理的日期不能超过三年。", field="until")
    with transaction.atomic():
        current, _ = check(ticket=ticket, name="suspend_apply", scope=scope_for(actor), expected_version=None)
        return _open(current=current, actor=actor, kind=ApplicationKind.SUSPEND, reason=reason, step="suspend_apply",
                     until=until, original_due_at=current.resolve_due_at, data={"until": until.isoformat()})


def forwarded_to_platform(application: Application) -> bool:
    """Whether the 12345 platform decides this application: a connected platform's order (MINQING_12345) asking
    for an extension (the platform's deadline is the one assessed), or for a return the district centre would
    decide (the district gives the order back). A community's return to its street stays in the district."""
    ticket = application.ticket
    if not settings.MINQING_12345.get("URL") or ticket.channel != "12345" or not ticket.external_number:
        return False
    if application.kind == ApplicationKind.EXTENSION:
        return True
    return application.kind == ApplicationKind.RETURN and application.approver_unit.kind == UnitKind.DISTRICT_CENTER


def may_decide(scope: Scope, application: Application) -> bool:
    return (application.approver_unit_id in scope.unit_ids or scope.district) and not forwarded_to_platform(application)


def application_decide(*, application: Application, actor: User, approve: bool, note: str = "",
                       unit: Unit | None = None, by_platform: bool = False) -> Application:
    """The level above approves or refuses. An approved return may name the unit to dispatch it to at once.
    An application forwarded to the 12345 platform is decided by the platform's answer (`by_platform`, the
    connector), by nobody here."""
    note = clean_text(note, field="note", label="审批意见", max_length=500, required=not approve)
    scope = scope_for(actor)
    label = application.get_kind_display()
    if forwarded_to_platform(application):
        if not by_platform:
            raise ActionError(f"该{label}已报12345平台审批，以平台的审批结果为准（平台答复后自动生效）。")
    elif not may_decide(scope, application):
        raise Forbidden(f"只有{application.approver_unit.name}可以审批该{label}。")
    with transaction.atomic():
        at = now()
        status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REFUSED
        if not Application.objects.filter(pk=application.pk, status=ApplicationStatus.PENDING).update(
                status=status, decided_by=actor, decided_at=at, decision_note=note):
            raise Conflict(f"该{label}已经审批过了。")
        application.refresh_from_db()
        current = Ticket.objects.select_related("handling_unit", "category").get(pk=application.ticket_id)
        if current.handling_unit_id != application.unit_id:
            raise Conflict(f"事项已不在{application.unit.name}，该{label}不再适用。请刷新页面。")
        told = {"application": application.pk, "notify_unit_id": application.unit_id,
                "notify_user_id": application.requested_by_id}
        kind = application.kind
        if kind == ApplicationKind.EXTENSION:
            _extension(application=application, current=current, actor=actor, approve=approve, note=note, at=at,
                       told=told)
        elif not approve:
            record(ticket=current, action=f"{'return' if kind == ApplicationKind.RETURN else 'suspend'}_refuse",
                   actor=actor, actor_unit=application.approver_unit, at=at, note=note, data=told)
        elif kind == ApplicationKind.RETURN:
            apply(current=current, name="return", actor=actor, actor_unit=application.approver_unit, at=at,
                  changes={"handling_unit": application.approver_unit, "sender_unit": None}, note=note,
                  reason=application.reason_code, data=told)
            if unit is not None:
                ticket_dispatch(ticket=current, actor=actor, unit=unit, complexity=current.complexity,
                                note=note or "退单审核后改派")
        else:
            remaining = deadlines.remaining(current, at)
            apply(current=current, name="suspend", actor=actor, actor_unit=application.approver_unit, at=at,
                  changes={"suspended_until": application.until}, note=note,
                  data={**told, "until": application.until.isoformat() if application.until else None,
                        "remaining_minutes": remaining})
        return application


def _extension(*, application: Application, current: Ticket, actor: User, approve: bool, note: str,
               at: dt.datetime, told: dict[str, Any]) -> None:
    new_due_at = application.new_due_at
    if approve:
        assert new_due_at is not None
        limit = current.external_due_at  # a 12345 order is assessed on the platform's deadline: never later
        if limit is not None and new_due_at > limit:
            if application.original_due_at is not None and limit <= application.original_due_at:
                raise ActionError(f"12345平台的办理时限是 {timezone.localtime(limit):%Y-%m-%d %H:%M}，本系统的办结时限不能晚于它："
                                  "延期须先经12345平台批准（平台批准后按平台的新时限延期）。")
            new_due_at = limit
        changes: dict[str, Any] = {
            "resolve_due_at": new_due_at,
            "resolve_warn_at": deadlines.warn_at(started_at=current.resolve_started_at or application.requested_at,
                                                 due_at=new_due_at),
        }
        before = {f: getattr(current, f) for f in CLOCK_COLUMNS}
        changes["next_check_at"] = deadlines.next_check(before=before, changes=changes, status=current.status, now=at)
        # The clock must still be the one the unit asked to extend, and not mid-sweep.
        if not Ticket.objects.filter(pk=current.pk, resolve_due_at=application.original_due_at,
                                     status__in=CLOCK_RUNS[Clock.RESOLVE], next_check_at=current.next_check_at,
                                     version=current.version).update(**changes):
            raise Conflict("事项的办结时限已经变化（已办结、改派或正在巡检），请刷新后重新审批。")
    new_due = timezone.localtime(new_due_at) if new_due_at else None
    record(ticket=current, action="extension_approve" if approve else "extension_refuse", actor=actor,
           actor_unit=application.approver_unit, at=at, note=note,
           data={**told, "extension": application.pk, "original_due_at": _iso(application.original_due_at),
                 "new_due_at": _iso(new_due_at) if approve else None,
                 "new_due": f"{new_due:%Y-%m-%d}" if new_due and approve else ""})
