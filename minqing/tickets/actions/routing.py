"""Routing: the community (or oversight) accepts, rejects, merges, solves on the spot, dispatches;
a request moves between units (redispatch, escalate; a return is applied for: applications.py); a wrong
category, type or urgency is corrected."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from minqing.accounts.models import User
from minqing.accounts.scope import scope_for
from minqing.lib.errors import ActionError, Conflict, Forbidden
from minqing.lib.validation import clean_text
from minqing.org.models import Unit, UnitKind

from .. import deadlines
from ..lifecycle import STEPS, Clock, Status
from ..models import Category, Complexity, Disposition, RejectReason, Ticket, TicketType, Urgency
from ..queries import visible_tickets
from .core import CLOCK_COLUMNS, apply, atomic_with_files, check, now, record
from .parts import Assist, create_parts, plan_assists


def ticket_accept(*, ticket: Ticket, actor: User, note: str = "", expected_version: int | None = None) -> Ticket:
    note = clean_text(note, field="note", label="说明", max_length=500, required=False)
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="accept", scope=scope_for(actor), expected_version=expected_version)
        return apply(current=current, name="accept", actor=actor, actor_unit=unit, at=now(), note=note)


def ticket_reject(*, ticket: Ticket, actor: User, reason: str, note: str, expected_version: int | None = None) -> Ticket:
    if reason not in RejectReason.values:
        raise ActionError("请选择不予受理的原因。", field="reason")
    note = clean_text(note, field="note", label="向群众的解释", max_length=500)
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="reject", scope=scope_for(actor), expected_version=expected_version)
        at = now()
        changes: dict[str, object] = {"closed_at": at, "result": note}
        if reason == RejectReason.OUTSIDE_REMIT:
            changes["disposition"] = Disposition.ADVISORY
        return apply(current=current, name="reject", actor=actor, actor_unit=unit, at=at, changes=changes, note=note,
                     reason=reason)


def ticket_merge(*, ticket: Ticket, actor: User, into_number: str, note: str = "",
                 expected_version: int | None = None) -> Ticket:
    note = clean_text(note, field="note", label="说明", max_length=500, required=False)
    scope = scope_for(actor)
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="merge", scope=scope, expected_version=expected_version)
        target = Ticket.objects.filter(number=(into_number or "").strip().upper()).first()
        for _ in range(20):  # follow earlier merges to the request actually handled
            if target is None or not target.merged_into_id:
                break
            target = target.merged_into
        if target is not None:
            # Lock both rows in id order: two merges into each other cannot both pass the checks below.
            list(Ticket.objects.select_for_update().filter(pk__in=[current.pk, target.pk]).order_by("pk"))
            target.refresh_from_db()
        if target is None:
            raise ActionError("找不到要合并到的事项编号。", field="into_number")
        if target.pk == current.pk:
            raise ActionError("不能把事项合并到它自己。", field="into_number")
        if not visible_tickets(scope).filter(pk=target.pk).exists():
            raise Forbidden("要合并到的事项不在您的工作范围内。", field="into_number")
        if target.status in {Status.CLOSED, Status.REJECTED, Status.MERGED}:
            raise ActionError(f"事项 {target.number} 已{target.get_status_display()}，不能再合并进去。", field="into_number")
        at = now()
        merged = apply(current=current, name="merge", actor=actor, actor_unit=unit, at=at,
                       changes={"merged_into": target, "closed_at": at}, note=note, data={"into": target.number})
        record(ticket=target, action="merged_in", actor=actor, actor_unit=unit, at=at, note=note,
               data={"duplicate": current.number})
        return merged


def ticket_resolve_on_spot(*, ticket: Ticket, actor: User, result: str, photos: list | None = None,
                           expected_version: int | None = None) -> Ticket:
    result = clean_text(result, field="result", label="办理结果", max_length=2000)
    step = STEPS["resolve_on_spot"]
    with atomic_with_files() as stored:
        current, unit = check(ticket=ticket, name=step.name, scope=scope_for(actor), expected_version=expected_version)
        at = now()
        return apply(current=current, name=step.name, actor=actor, actor_unit=unit, at=at,
                     changes={"disposition": Disposition.ON_SPOT, "result": result, "resolved_at": at},
                     note=result, photos=photos, stored=stored)


def dispatch_targets(ticket: Ticket) -> list[Unit]:
    """Units a request may be sent to: its own community, its street, district and partner units."""
    units = Unit.objects.filter(active=True).exclude(kind=UnitKind.DISTRICT_CENTER).select_related("area")
    return [
        u for u in units
        if not (u.kind == UnitKind.COMMUNITY_OFFICE and u.area_id != ticket.community_id)
        and not (u.kind == UnitKind.STREET_OFFICE and u.area_id != ticket.street_id)
    ]


def _send(*, name: str, ticket: Ticket, actor: User, unit: Unit, complexity: str, note: str,
          expected_version: int | None, assists: list[Assist] | None = None) -> Ticket:
    if complexity not in Complexity.values:
        raise ActionError("请选择复杂程度。", field="complexity")
    note = clean_text(note, field="note", label="派单意见", max_length=500, required=False)
    with transaction.atomic():
        current, acting = check(ticket=ticket, name=name, scope=scope_for(actor), expected_version=expected_version)
        if unit.pk not in {u.pk for u in dispatch_targets(current)}:
            raise ActionError(f"不能派给“{unit.name}”。", field="unit")
        if name == "redispatch" and unit.pk == current.handling_unit_id:
            raise ActionError("转派单位不能是本单位。", field="unit")
        changes = {"handling_unit": unit, "sender_unit": current.handling_unit, "complexity": complexity,
                   "disposition": current.disposition or Disposition.PROMISED}
        at = now()
        entries = plan_assists(current=current, lead=unit, assists=assists or [], at=at, complexity=complexity)
        after = apply(current=current, name=name, actor=actor, actor_unit=acting, at=at, changes=changes, note=note,
                      data={"complexity": complexity, **({"parts": entries} if entries else {})})
        create_parts(current=after, entries=entries, by=acting, at=at)
        return after


def ticket_dispatch(*, ticket: Ticket, actor: User, unit: Unit, complexity: str = Complexity.NORMAL, note: str = "",
                    expected_version: int | None = None, assists: list[Assist] | None = None) -> Ticket:
    """派单 to the lead unit (主办), with co-handlers (协办) if any."""
    return _send(name="dispatch", ticket=ticket, actor=actor, unit=unit, complexity=complexity, note=note,
                 expected_version=expected_version, assists=assists)


def ticket_redispatch(*, ticket: Ticket, actor: User, unit: Unit, complexity: str = Complexity.NORMAL, note: str = "",
                      expected_version: int | None = None, assists: list[Assist] | None = None) -> Ticket:
    return _send(name="redispatch", ticket=ticket, actor=actor, unit=unit, complexity=complexity, note=note,
                 expected_version=expected_version, assists=assists)


def ticket_escalate(*, ticket: Ticket, actor: User, note: str, expected_version: int | None = None) -> Ticket:
    note = clean_text(note, field="note", label="上报理由", max_length=1000)
    step = STEPS["escalate"]
    with transaction.atomic():
        current, unit = check(ticket=ticket, name=step.name, scope=scope_for(actor), expected_version=expected_version)
        above = current.handling_unit.level_above(street=current.street)
        if above is None:
            raise ActionError(f"“{current.handling_unit.name}”已是最高一级，无法再上报。")
        changes = {"handling_unit": above, "sender_unit": current.handling_unit, "disposition": Disposition.ESCALATED}
        return apply(current=current, name=step.name, actor=actor, actor_unit=unit, at=now(),
                     changes=changes, note=note)


def ticket_correct(*, ticket: Ticket, actor: User, category: Category, type: str, urgency: str,  # noqa: A002
                   note: str, expected_version: int | None = None) -> Ticket:
    """更正: a wrong category, type or urgency is put right. The old and new values are recorded; the response
    and resolution clocks that are running keep their start and take the limits of the corrected request
    (a clock already counted late stays late)."""
    note = clean_text(note, field="note", label="更正理由", max_length=500)
    if category is None or category.parent_id is None or not category.active:
        raise ActionError("请选择二级分类。", field="category")
    if type not in TicketType.values:
        raise ActionError("请选择诉求类型。", field="type")
    if urgency not in Urgency.values:
        raise ActionError("请选择紧急程度。", field="urgency")
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="correct", scope=scope_for(actor), expected_version=expected_version)
        old = {"category": current.category, "type": current.type, "urgency": current.urgency}
        new = {"category": category, "type": type, "urgency": urgency}
        changed = [k for k in new if new[k] != old[k]]
        if not changed:
            raise ActionError("分类、类型和紧急程度都没有改动。")
        labels = {"category": "分类", "type": "类型", "urgency": "紧急程度"}
        shown = {"category": lambda c: c.name, "type": lambda v: TicketType(v).label, "urgency": lambda v: Urgency(v).label}
        correction = "；".join(f"{labels[k]} {shown[k](old[k])} → {shown[k](new[k])}" for k in changed)
        at = now()
        policy = deadlines.policy_for(category=category, urgency=urgency, type=type,
                                      safety=bool(current.natural_time and current.urgent_words))
        changes: dict = {"category": category, "type": type, "urgency": urgency}
        limits = {Clock.RESPONSE: policy.response_minutes, Clock.RESOLVE: policy.resolve_for(current.complexity)}
        for clock, minutes in limits.items():
            started = getattr(current, f"{clock}_started_at")
            if started is not None and getattr(current, f"{clock}_due_at") is not None:
                changes |= deadlines.columns(clock, started, minutes, deadlines.natural_for(clock, current.natural_time))
        changes = deadlines.cap_resolve(changes, current.external_due_at, current.natural_time)
        before = {f: getattr(current, f) for f in CLOCK_COLUMNS}
        changes["next_check_at"] = deadlines.next_check(before=before, changes=changes, status=current.status, now=at)
        if not Ticket.objects.filter(pk=current.pk, version=current.version, next_check_at=current.next_check_at).update(
                version=F("version") + 1, updated_at=at, **changes):
            raise Conflict(f"事项 {current.number} 刚被他人处理过，您的更正未生效，请刷新页面。")
        record(ticket=current, action="correct", actor=actor, actor_unit=unit, at=at, note=note, data={
            "correction": correction,
            "from": {"category_id": current.category_id, "type": current.type, "urgency": current.urgency},
            "to": {"category_id": category.pk, "type": type, "urgency": urgency},
            **deadlines.due_data(changes)})
        return Ticket.objects.select_related("handling_unit", "category").get(pk=current.pk)
