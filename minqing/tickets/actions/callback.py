"""The callback (回访): the resident is asked whether it was solved and how satisfied they are."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from minqing.accounts.models import User
from minqing.accounts.scope import scope_for
from minqing.lib.errors import ActionError
from minqing.lib.validation import clean_text

from .. import deadlines
from ..lifecycle import STEPS
from ..models import Satisfaction, Ticket
from .core import apply, check, now, record


def ticket_callback(
    *,
    ticket: Ticket,
    actor: User | None,
    contacted: bool,
    solved: bool | None = None,
    satisfaction: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Record a callback (回访). Dissatisfied → rework by the same unit; otherwise closed.

    actor=None is the reporter rating their own request on the tracking page.
    """
    note = clean_text(note, field="note", label="回访记录", max_length=1000, required=False)
    if not contacted:
        if actor is None:
            raise ActionError("请选择满意度。", field="satisfaction")
        with transaction.atomic():
            current, unit = check(ticket=ticket, name="close", scope=scope_for(actor), expected_version=None)
            return record(ticket=current, action="callback_attempt", actor=actor, actor_unit=unit, at=now(),
                          note=note or "电话未接通", data={"contacted": False}).ticket
    if satisfaction not in Satisfaction.values:
        raise ActionError("请选择满意度。", field="satisfaction")
    if solved is None:
        raise ActionError("请选择问题是否已解决。", field="solved")
    name = "rework" if satisfaction == Satisfaction.DISSATISFIED else "close"
    if name == "rework" and not note and actor is None:
        note = "群众评价不满意"
    if name == "rework" and not note:
        raise ActionError("不满意时请记录群众不满意的原因，以便返工。", field="note")
    step = STEPS[name]
    with transaction.atomic():
        scope = scope_for(actor) if actor is not None else None
        current, unit = check(ticket=ticket, name=name, scope=scope, expected_version=expected_version)
        at = now()
        data = {"contacted": True, "solved": solved, "satisfaction": satisfaction,
                "by": "reporter" if actor is None else "staff"}
        changes: dict[str, Any] = {"satisfaction": satisfaction}
        if name == "close":
            changes["closed_at"] = at
        else:
            changes |= {"rework_count": F("rework_count") + 1, "resolved_at": None}
        policy = deadlines.policy_for(category=current.category, urgency=current.urgency)
        return apply(current=current, name=name, actor=actor, actor_unit=unit, at=at,
                     minutes=deadlines.limits(step, policy=policy, complexity=current.complexity), changes=changes,
                     note=note, data=data)
