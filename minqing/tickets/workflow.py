"""THE state machine of a request: every status, every allowed transition and who may make it.

Actions (actions.py) refuse anything not listed here, and the UI derives its buttons from it.

    received ─accept→ registered ─dispatch→ assigned ─sign→ in_progress ─resolve→ resolved ─close→ closed
      reject/merge/resolve_on_spot from received|registered; return: assigned → registered;
      escalate: in_progress → assigned (level above); redispatch: in_progress → assigned;
      suspend ⇄ resume; rework: resolved → in_progress (same unit).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models

from minqing.org.models import COORDINATING_KINDS

if TYPE_CHECKING:
    from minqing.accounts.scope import Scope

    from .models import Ticket


class Status(models.TextChoices):
    RECEIVED = "received", "待受理"
    REGISTERED = "registered", "待派单"
    ASSIGNED = "assigned", "待签收"
    IN_PROGRESS = "in_progress", "办理中"
    SUSPENDED = "suspended", "缓办"
    RESOLVED = "resolved", "待回访"
    CLOSED = "closed", "已结案"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "已合并"


OPEN_STATUSES = frozenset(
    {Status.RECEIVED, Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS, Status.SUSPENDED}
)
FINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED})
# Statuses in which the response clock (accept / sign) runs, and the resolution clock runs.
RESPONSE_CLOCK = frozenset({Status.RECEIVED, Status.ASSIGNED})
RESOLVE_CLOCK = frozenset({Status.ASSIGNED, Status.IN_PROGRESS})

# What residents read on the public tracking page: plain words, no internal detail.
PUBLIC_STATUS = {
    Status.RECEIVED: "已收到，等待社区受理",
    Status.REGISTERED: "社区已受理，正在安排办理单位",
    Status.ASSIGNED: "已交办理单位，等待签收",
    Status.IN_PROGRESS: "正在办理",
    Status.SUSPENDED: "已纳入计划，暂缓办理",
    Status.RESOLVED: "已办结，等待回访",
    Status.CLOSED: "已结案",
    Status.REJECTED: "不予受理",
    Status.MERGED: "已与相同诉求合并办理",
}


class Actor(StrEnum):
    """Who may make a transition, relative to the request."""

    HOLDER = "holder"  # works for the unit that currently holds the request
    COORDINATOR = "coordinator"  # holder, when the holding unit is a community/street/district office
    TRIAGE = "triage"  # coordinator, or oversight: the street officer of its street, a district supervisor
    CALLBACK = "callback"  # staff of the request's community, or oversight


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    actor: Actor
    style: str = "primary"  # how its button looks: primary, default, danger


def _t(name: str, label: str, sources: set[str], target: str, actor: Actor, style: str = "primary") -> Transition:
    return Transition(name, label, frozenset(sources), target, actor, style)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("accept", "受理", {Status.RECEIVED}, Status.REGISTERED, Actor.TRIAGE),
        _t("dispatch", "派单", {Status.REGISTERED}, Status.ASSIGNED, Actor.TRIAGE),
        _t("resolve_on_spot", "即办", {Status.RECEIVED, Status.REGISTERED}, Status.RESOLVED, Actor.TRIAGE, "default"),
        _t("merge", "合并重复", {Status.RECEIVED, Status.REGISTERED}, Status.MERGED, Actor.TRIAGE, "default"),
        _t("reject", "不予受理", {Status.RECEIVED, Status.REGISTERED}, Status.REJECTED, Actor.TRIAGE, "danger"),
        _t("sign", "签收", {Status.ASSIGNED}, Status.IN_PROGRESS, Actor.HOLDER),
        _t("return", "退回", {Status.ASSIGNED}, Status.REGISTERED, Actor.HOLDER, "danger"),
        _t("resolve", "办结", {Status.IN_PROGRESS}, Status.RESOLVED, Actor.HOLDER),
        _t("redispatch", "转派", {Status.IN_PROGRESS}, Status.ASSIGNED, Actor.COORDINATOR, "default"),
        _t("escalate", "上报（吹哨）", {Status.IN_PROGRESS}, Status.ASSIGNED, Actor.HOLDER, "default"),
        _t("suspend", "缓办", {Status.IN_PROGRESS}, Status.SUSPENDED, Actor.HOLDER, "default"),
        _t("resume", "恢复办理", {Status.SUSPENDED}, Status.IN_PROGRESS, Actor.HOLDER),
        _t("close", "回访结案", {Status.RESOLVED}, Status.CLOSED, Actor.CALLBACK),
        _t("rework", "回访不满意·返工", {Status.RESOLVED}, Status.IN_PROGRESS, Actor.CALLBACK, "danger"),
    ]
}

# Events that change no status. `create` starts the log; the others add to it.
NOTE_EVENTS = {
    "create": "登记",
    "progress": "办理进展",
    "callback_attempt": "回访未联系上",
    "merged_in": "合并重复诉求",
    "overdue": "超期",
    "supervise": "督办",
    "supervision_reply": "督办回复",
    "supervision_overdue": "督办超期未回复",
    "remind": "催办",
    "extension_request": "延期申请",
    "extension_approve": "同意延期",
    "extension_refuse": "不同意延期",
    "external_due": "12345办理时限调整",
    "agenda": "提交议事",
    "meeting_resolution": "议事决议",
    "erase": "个人信息按期删除",
    "exemplary": "典型案例",
}


def event_label(action: str) -> str:
    if action in TRANSITIONS:
        return TRANSITIONS[action].label
    return NOTE_EVENTS.get(action, action)


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]


def is_allowed_step(action: str, from_status: str | None, to_status: str) -> bool:
    """Whether an event row (action, from, to) is one the machine can produce."""
    if action == "create":
        return from_status is None and to_status == Status.RECEIVED
    if action in NOTE_EVENTS:
        return from_status == to_status
    t = TRANSITIONS.get(action)
    return t is not None and from_status in t.sources and to_status == t.target


def actor_matches(actor: Actor, scope: Scope, ticket: Ticket) -> bool:
    holder = ticket.handling_unit_id in scope.unit_ids
    oversight = scope.district or ticket.street_id in scope.street_ids
    if actor == Actor.HOLDER:
        return holder
    coordinating = holder and ticket.handling_unit.kind in COORDINATING_KINDS
    if actor == Actor.COORDINATOR:
        return coordinating
    if actor == Actor.TRIAGE:
        return coordinating or oversight
    return ticket.community_id in scope.community_ids or oversight  # Actor.CALLBACK


def allowed_transitions(scope: Scope, ticket: Ticket) -> list[Transition]:
    return [t for t in transitions_from(ticket.status) if actor_matches(t.actor, scope, ticket)]


def can_add_progress(scope: Scope, ticket: Ticket) -> bool:
    return ticket.status in {Status.ASSIGNED, Status.IN_PROGRESS, Status.SUSPENDED} and (
        ticket.handling_unit_id in scope.unit_ids
    )


def can_supervise(scope: Scope, ticket: Ticket) -> bool:
    return scope.district and ticket.status not in FINAL_STATUSES


def can_mark_exemplary(scope: Scope, ticket: Ticket) -> bool:
    """District staff, or the street officer of its street, may put a closed request in the case book."""
    return ticket.status == Status.CLOSED and (scope.district or ticket.street_id in scope.street_ids)


def can_remind(scope: Scope, ticket: Ticket) -> bool:
    """Oversight or the request's community may nudge the unit holding it (not the unit itself)."""
    return (
        ticket.status in OPEN_STATUSES
        and actor_matches(Actor.CALLBACK, scope, ticket)
        and ticket.handling_unit_id not in scope.unit_ids
    )


def can_request_extension(scope: Scope, ticket: Ticket) -> bool:
    """Before the resolution deadline only: once it has passed the request is overdue, and stays so."""
    from django.utils import timezone

    return (
        ticket.status in RESOLVE_CLOCK
        and ticket.resolve_due_at is not None
        and ticket.resolve_due_at > timezone.now()
        and ticket.handling_unit_id in scope.unit_ids
    )
