"""The callback (回访), made apart from the handling (办理与监督相分离): the callback team of the street or the
district (or oversight), never the units that handled the request; the reporter may rate their own.

It asks three questions — 是否联系您 (did the unit contact you), 是否解决, 满意度 (满意 / 基本满意 / 不满意) with a
reason. A call that does not reach the resident is an attempt; after MINQING_CALLBACK_ATTEMPTS attempts at
least MINQING_CALLBACK_ATTEMPT_GAP_MINUTES apart the callback is 无效回访 (closed, left out of 解决率/满意率, and
counted). A request whose resolution deadline passed unresolved is called back too (到期评价), and 未解决
counts against its unit. A share of closed callbacks (MINQING_RECHECK_SHARE) is called again (复核).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from minqing.accounts.models import User
from minqing.accounts.scope import scope_for
from minqing.lib.errors import ActionError
from minqing.lib.validation import clean_text

from ..models import Satisfaction, Ticket
from .core import apply, check, now, record


def _answers(*, solved: bool | None, satisfaction: str, note: str, resident: bool) -> str:
    if satisfaction not in Satisfaction.values:
        raise ActionError("请选择满意度。", field="satisfaction")
    if solved is None:
        raise ActionError("请选择问题是否已解决。", field="solved")
    if (satisfaction == Satisfaction.DISSATISFIED or not solved) and not note:
        if resident:
            return "群众评价不满意" if satisfaction == Satisfaction.DISSATISFIED else "群众反映问题未解决"
        raise ActionError("未解决或不满意时，请记录群众说的原因。", field="note")
    return note


def rechecked(number: str) -> bool:
    """Whether a closed callback is picked for a re-check: a fixed share, spread evenly over the numbers."""
    share = float(settings.MINQING["RECHECK_SHARE"])
    return int(hashlib.sha256(number.encode()).hexdigest()[:8], 16) % 10_000 < share * 10_000


def ticket_callback(
    *,
    ticket: Ticket,
    actor: User | None,
    contacted: bool,
    solved: bool | None = None,
    satisfaction: str = "",
    unit_contacted: bool | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Record a callback. `contacted`: the call reached the resident; `unit_contacted`: 是否联系您 (the resident
    says the handling unit contacted them). Dissatisfied → rework by the same unit; otherwise closed.

    actor=None is the reporter rating their own request on the tracking page.
    """
    note = clean_text(note, field="note", label="回访记录", max_length=1000, required=False)
    if not contacted:
        if actor is None:
            raise ActionError("请选择满意度。", field="satisfaction")
        return _attempt(ticket=ticket, actor=actor, note=note)
    note = _answers(solved=solved, satisfaction=satisfaction, note=note, resident=actor is None)
    name = "rework" if satisfaction == Satisfaction.DISSATISFIED else "close"
    with transaction.atomic():
        scope = scope_for(actor) if actor is not None else None
        current, unit = check(ticket=ticket, name=name, scope=scope, expected_version=expected_version)
        at = now()
        data = {"contacted": True, "unit_contacted": unit_contacted, "solved": solved, "satisfaction": satisfaction,
                "by": "reporter" if actor is None else "staff"}
        changes: dict[str, Any] = {"satisfaction": satisfaction, "callback_attempts": 0}
        if name == "close":
            changes["closed_at"] = at
            if actor is not None and rechecked(current.number):
                changes["recheck_due_at"] = at
                data["recheck"] = True
        else:
            changes |= {"rework_count": F("rework_count") + 1, "resolved_at": None}
        return apply(current=current, name=name, actor=actor, actor_unit=unit, at=at,
                     changes=changes,
                     note=note, data=data)


def _attempt(*, ticket: Ticket, actor: User, note: str) -> Ticket:
    """A call that did not reach the resident. It counts towards 无效回访 only if it was made at least the
    configured gap after the last counted one (attempts must be at different times)."""
    limit = int(settings.MINQING["CALLBACK_ATTEMPTS"])
    gap = dt.timedelta(minutes=int(settings.MINQING["CALLBACK_ATTEMPT_GAP_MINUTES"]))
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="callback_attempt", scope=scope_for(actor), expected_version=None)
        at = now()
        last = current.events.filter(action="callback_attempt", data__counted=True).order_by("-created_at").first()
        counted = last is None or at - last.created_at >= gap
        attempts = current.callback_attempts + (1 if counted else 0)
        Ticket.objects.filter(pk=current.pk).update(callback_attempts=attempts)
        record(ticket=current, action="callback_attempt", actor=actor, actor_unit=unit, at=at,
               note=note or "电话未接通", data={"contacted": False, "counted": counted, "attempt": attempts,
                                            "limit": limit})
        if attempts < limit:
            current.callback_attempts = attempts
            return current
        current.refresh_from_db()
        return apply(current=current, name="callback_invalid", actor=actor, actor_unit=unit, at=at,
                     changes={"closed_at": at},
                     note=f"{limit} 次在不同时间回访均未联系上，作无效回访结案（不计入解决率、满意率）。",
                     data={"attempts": attempts})


def ticket_evaluate(*, ticket: Ticket, actor: User, solved: bool | None, satisfaction: str,
                    unit_contacted: bool | None = None, note: str = "") -> Ticket:
    """到期评价: the resolution deadline passed and the request is not resolved; the resident is asked now and
    the answer counts against the unit holding it (一事一评: once)."""
    note = _answers(solved=solved, satisfaction=satisfaction, note=clean_text(
        note, field="note", label="回访记录", max_length=1000, required=False), resident=False)
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="evaluate", scope=scope_for(actor), expected_version=None)
        if not Ticket.objects.filter(pk=current.pk).exclude(evaluation_due_at=None).update(evaluation_due_at=None):
            raise ActionError("该事项已经做过到期评价。")
        record(ticket=current, action="evaluate", actor=actor, actor_unit=unit, at=now(), note=note,
               data={"contacted": True, "unit_contacted": unit_contacted, "solved": solved,
                     "satisfaction": satisfaction, "by": "staff"})
        current.evaluation_due_at = None
        return current


def ticket_recheck(*, ticket: Ticket, actor: User, solved: bool | None, satisfaction: str,
                   unit_contacted: bool | None = None, note: str = "") -> Ticket:
    """复核: the resident is called again; an answer that differs from the callback's (solved or satisfaction)
    is flagged on the request."""
    note = clean_text(note, field="note", label="复核记录", max_length=1000, required=False)
    if satisfaction not in Satisfaction.values or solved is None:
        raise ActionError("请记录复核时群众是否解决、是否满意。", field="satisfaction")
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="recheck", scope=scope_for(actor), expected_version=None)
        first = current.events.filter(action="close").order_by("-created_at", "-id").first()
        said = first.data if first else {}
        answer = {"solved": solved, "satisfaction": satisfaction, "unit_contacted": unit_contacted}
        differs = [label for key, label in (("solved", "是否解决"), ("satisfaction", "满意度"), ("unit_contacted", "是否联系"))
                   if said.get(key) is not None and answer[key] is not None and said[key] != answer[key]]
        Ticket.objects.filter(pk=current.pk).update(recheck_due_at=None, recheck_discrepancy=bool(differs))
        record(ticket=current, action="recheck", actor=actor, actor_unit=unit, at=now(),
               note=note or ("复核与回访一致。" if not differs else f"复核与回访不一致：{'、'.join(differs)}。"),
               data={"contacted": True, "unit_contacted": unit_contacted, "solved": solved, "satisfaction": satisfaction,
                     "consistent": not differs, "differs": differs})
        current.recheck_due_at, current.recheck_discrepancy = None, bool(differs)
        return current
