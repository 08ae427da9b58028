"""The deadline sweep: warnings, automatic escalation of overdue requests, overdue supervision
orders and callback reminders. `manage.py sweep --loop` runs `sweep_once` over and over.

It finds work through indexes (tickets.next_check_at, the waiting-orders partial index), so a pass
costs what is due, not what is stored. Each batch is one transaction claimed row by row with a
guarded update (and SKIP LOCKED on PostgreSQL), so several sweeps may run at once, and a sweep
killed mid-way leaves its batch uncommitted: the next pass does it, once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from minqing.accounts.models import User

from . import deadlines
from .actions import _record
from .announce import community_office, sms_reporters, tell
from .models import SupervisionOrder, Ticket
from .workflow import Status

BATCH = 200
SYSTEM = "系统巡检"


@dataclass
class SweepResult:
    checked: int = 0
    warnings: int = 0
    escalations: int = 0
    callbacks: int = 0
    orders_overdue: int = 0
    skipped: int = 0  # claimed by another sweep or changed by an action meanwhile
    details: list[str] = field(default_factory=list)


def _lock(qs):  # noqa: ANN001, ANN202
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def sweep_once(*, now: dt.datetime | None = None, batch: int = BATCH) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    while _ticket_batch(now, batch, result):
        pass
    while _order_batch(now, batch, result):
        pass
    return result


def _ticket_batch(now: dt.datetime, batch: int, result: SweepResult) -> bool:
    with transaction.atomic():
        due = list(_lock(Ticket.objects.filter(next_check_at__lte=now).select_related(
            "handling_unit", "category", "street").order_by("next_check_at"))[:batch])
        for ticket in due:
            _check(ticket, now, result)
    return len(due) == batch


def _check(ticket: Ticket, now: dt.datetime, result: SweepResult) -> None:
    values = ticket.__dict__
    points = deadlines.checkpoints(values, ticket.status)
    boundary = ticket.next_check_at
    hits = [what for at, what in points if boundary <= at <= now]
    upcoming = min((at for at, _ in points if at > now), default=None)
    # Claim: only the sweep that moves next_check_at handles these points; an action that changed
    # the request meanwhile (new version) wins and the next pass re-reads it.
    if not Ticket.objects.filter(pk=ticket.pk, next_check_at=boundary, version=ticket.version).update(
        next_check_at=upcoming
    ):
        result.skipped += 1
        return
    result.checked += 1
    overdue = [w.split("_")[0] for w in hits if w.endswith("_due") and not w.startswith("callback")]
    warned = [w.split("_")[0] for w in hits if w.endswith("_warn") and w.split("_")[0] not in overdue]
    if overdue:
        _escalate(ticket, overdue, now, result)
    elif warned:
        label = "受理/签收" if warned[0] == "response" else "办结"
        tell([ticket.handling_unit], ticket, f"即将超期（{label}）", kind="warning")
        result.warnings += 1
    if "callback_due" in hits and ticket.status == Status.RESOLVED:
        tell([community_office(ticket)], ticket, "回访已到期，请尽快回访", kind="callback_due")
        sms_reporters(ticket, "callback", "您反映的问题（{number}）已办结，请对办理结果进行评价：{link}")
        result.callbacks += 1


def _escalate(ticket: Ticket, clocks: list[str], now: dt.datetime, result: SweepResult) -> None:
    unit = ticket.handling_unit
    labels = "、".join("响应" if c == "response" else "办结" for c in clocks)
    goes_up = deadlines.escalates(category=ticket.category, unit=unit)
    supervisor = (unit.level_above(street=ticket.street) or unit) if goes_up else None
    due = {c: getattr(ticket, f"{c}_due_at").isoformat() for c in clocks}
    if supervisor is not None:
        Ticket.objects.filter(pk=ticket.pk).update(supervised_by=supervisor)
        note = f"{labels}时限已过，{unit.name}尚未完成，已自动上报{supervisor.name}督办。"
    else:
        note = f"{labels}时限已过，{unit.name}尚未完成（该分类超期只预警，不上报）。"
    _record(ticket=ticket, action="overdue", from_status=ticket.status, to_status=ticket.status, actor=None,
            actor_unit=None, at=now, note=note, actor_label=SYSTEM,
            data={"clocks": clocks, "due": due, "supervisor": supervisor.name if supervisor else None,
                  "by": SYSTEM})
    tell([unit], ticket, f"已超期（{labels}）", kind="overdue", body=note)
    if supervisor is not None and supervisor != unit:
        tell([supervisor], ticket, f"下级超期事项待督办（{labels}）", kind="overdue_supervise", body=note)
    result.escalations += 1
    result.details.append(f"{ticket.number} {labels}超期 → {supervisor.name if supervisor else '只预警'}")


def _order_batch(now: dt.datetime, batch: int, result: SweepResult) -> bool:
    with transaction.atomic():
        due = list(_lock(SupervisionOrder.objects.filter(
            replied_at=None, overdue_at=None, reply_due_at__lte=now).select_related(
            "ticket", "unit", "issued_by").order_by("reply_due_at"))[:batch])
        for order in due:
            if not SupervisionOrder.objects.filter(pk=order.pk, replied_at=None, overdue_at=None).update(overdue_at=now):
                result.skipped += 1
                continue
            note = f"{order.unit.name}未在时限内回复{order.get_grade_display()}。"
            _record(ticket=order.ticket, action="supervision_overdue", from_status=order.ticket.status,
                    to_status=order.ticket.status, actor=None, actor_unit=None, at=now, note=note, actor_label=SYSTEM,
                    data={"order": order.pk, "by": SYSTEM})
            issuer: list[User] = [order.issued_by]
            tell([order.unit], order.ticket, "督办单已超期，请立即回复", kind="order_overdue", body=note)
            tell([order.issued_unit], order.ticket, "督办单超期未回复", kind="order_overdue", body=note, extra=issuer)
            result.orders_overdue += 1
    return len(due) == batch
