"""The deadline sweep: warnings, automatic escalation of overdue requests, overdue supervision
orders and callback reminders. `manage.py loop` runs `sweep_once` every 30 seconds.

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

from minqing.accounts.queries import callback_team
from minqing.lib.uploads import purge_held
from minqing.notifications.actions import messages_requeue_stale

from . import deadlines
from .actions import part_mark_overdue, supervision_mark_overdue, ticket_mark_overdue, ticket_resume_planned
from .actions.photos import photos_requeue_stale
from .announce import sms_reporters, tell
from .lifecycle import CHECKPOINTS, Status, To
from .models import Part, SupervisionOrder, Ticket
from .signals import sweep_done

BATCH = 200
LATE_CLOCKS = ("response", "resolve", "contact", "dispatch")  # the clocks the overdue step marks late


@dataclass
class SweepResult:
    checked: int = 0
    warnings: int = 0
    escalations: int = 0
    callbacks: int = 0
    resumed: int = 0  # approved suspensions resumed on their planned date
    parts_overdue: int = 0  # 协办 or 报到 deadlines passed
    late_contacts: int = 0  # 先行联系 or 派单 overdue (counted, the holder told; not escalated)
    orders_overdue: int = 0
    skipped: int = 0  # claimed by another sweep or changed by an action meanwhile
    requeued: int = 0  # messages (and photos being re-encoded) whose task was lost with a killed worker
    folded: int = 0  # evaluation facts summed into the rollups
    details: list[str] = field(default_factory=list)


def _lock(qs):
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
    while _part_batch(now, batch, result):
        pass
    result.requeued = messages_requeue_stale(now=now) + photos_requeue_stale(now=now)
    purge_held(now=now)
    for _, folded in sweep_done.send(sender=SweepResult, now=now):
        result.folded += int(folded or 0)
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
    assert boundary is not None  # found through next_check_at <= now
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
    if "resume_due" in hits and ticket.status == Status.SUSPENDED:
        ticket_resume_planned(ticket=ticket, at=now)
        result.resumed += 1
        return
    overdue = [w.split("_")[0] for w in hits if w.endswith("_due") and w.split("_")[0] in LATE_CLOCKS]
    warned = [w.split("_")[0] for w in hits if w.endswith("_warn") and w.split("_")[0] not in overdue]
    if overdue:
        _escalate(ticket, overdue, now, result)
    elif warned:
        _tick(ticket, f"{warned[0]}_warn")
        result.warnings += 1
    if "callback_due" in hits and ticket.status == Status.RESOLVED:
        _tick(ticket, "callback_due")
        result.callbacks += 1


def _tick(ticket: Ticket, name: str) -> None:
    """What lifecycle.CHECKPOINTS declares for a warning or a callback falling due."""
    point = CHECKPOINTS[name]
    team = callback_team(ticket.street_id) if To.CALLBACK in point.notice.to else []
    units = [ticket.handling_unit for to in point.notice.to if to == To.HOLDER]
    tell(units, ticket, point.notice.title, kind=name, extra=team)
    if point.sms is not None:
        sms_reporters(ticket, point.sms)


def _escalate(ticket: Ticket, clocks: list[str], now: dt.datetime, result: SweepResult) -> None:
    supervisor = ticket_mark_overdue(ticket=ticket, clocks=clocks, at=now)
    if {"response", "resolve"} & set(clocks):
        result.escalations += 1
    else:
        result.late_contacts += 1
    labels = "、".join(clocks)
    result.details.append(f"{ticket.number} {labels} → {supervisor.name if supervisor else '只预警'}")


def _part_batch(now: dt.datetime, batch: int, result: SweepResult) -> bool:
    """协办 and 吹哨报到 parts whose next due time has come: each due time passed since the last look, once."""
    with transaction.atomic():
        due = list(_lock(Part.objects.filter(next_check_at__lte=now).select_related("unit").order_by("next_check_at"))[:batch])
        for part in due:
            points = [(at, clock) for at, clock, done in ((part.sign_due_at, "part_sign", part.signed_at),
                                                          (part.contact_due_at, "part_contact", part.contacted_at),
                                                          (part.done_due_at, "part_done", part.done_at))
                      if at is not None and done is None]
            boundary = part.next_check_at
            hits = [clock for at, clock in points if boundary <= at <= now]
            upcoming = min((at for at, _ in points if at > now), default=None)
            if not Part.objects.filter(pk=part.pk, next_check_at=boundary).update(next_check_at=upcoming):
                result.skipped += 1
                continue
            if hits and part.ended_at is None:
                part_mark_overdue(part=part, clocks=hits, at=now)
                result.parts_overdue += 1
    return len(due) == batch


def _order_batch(now: dt.datetime, batch: int, result: SweepResult) -> bool:
    with transaction.atomic():
        due = list(_lock(SupervisionOrder.objects.filter(
            replied_at=None, overdue_at=None, reply_due_at__lte=now).select_related(
            "ticket", "unit", "issued_by").order_by("reply_due_at"))[:batch])
        for order in due:
            if supervision_mark_overdue(order=order, at=now):
                result.orders_overdue += 1
            else:
                result.skipped += 1
    return len(due) == batch
