"""Deadline policies and the working-time calendar they run on."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from minqing.lib import memo
from minqing.lib.workdays import WorkCalendar, parse_periods

from .lifecycle import CLOCK_RUNS, Clock, Op, Step
from .models import CalendarDay, Category, Complexity, DeadlinePolicy, EscalationRule, ReviewRule, Urgency

# Used when an admin has deleted every policy row: domain.md §4's defaults.
FALLBACK = {
    Urgency.NORMAL: (Decimal(7), Decimal(5), Decimal(15), Decimal(3)),
    Urgency.URGENT: (Decimal(2), Decimal(2), Decimal(5), Decimal(1)),
}

_calendar: WorkCalendar | None = None
_built_at = 0.0
RELOAD_SECONDS = 300  # other processes (workers, the sweep) pick up an admin's change within this


def calendar() -> WorkCalendar:
    """The calendar with admins' overrides; rebuilt after an override changes here, or every few minutes."""
    global _calendar, _built_at
    if _calendar is None or time.monotonic() - _built_at > RELOAD_SECONDS:
        _built_at = time.monotonic()
        overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
        _calendar = WorkCalendar(
            periods=parse_periods(settings.MINQING["WORKING_PERIODS"]),
            overrides=overrides,
            tz=settings.TIME_ZONE,
        )
    return _calendar


@receiver([post_save, post_delete], sender=CalendarDay)
def _forget_calendar(**kwargs: Any) -> None:
    global _calendar
    _calendar = None


def reset_calendar() -> None:
    _forget_calendar()


@dataclass(frozen=True)
class Policy:
    response_minutes: float
    resolve_minutes: float
    complex_resolve_minutes: float
    escalated_resolve_minutes: float
    natural: bool = False  # minutes of the clock (urgent safety matters), not working minutes

    def resolve_for(self, complexity: str) -> float:
        return self.complex_resolve_minutes if complexity == Complexity.COMPLEX else self.resolve_minutes


def policy_for(*, category: Category, urgency: str, type: str = "", safety: bool = False) -> Policy:  # noqa: A002
    """The time limits of a request. An urgent safety matter (a safety word in its text) runs on natural time
    (MINQING_SAFETY_HOURS: response, resolution). Otherwise the most specific DeadlinePolicy row: by category
    (its own, its first level's, the district default) and, within each, the request's type (咨询/求助/投诉/
    举报/建议) before "all types"."""
    if safety:
        response_h, resolve_h = settings.MINQING["SAFETY_HOURS"]
        return Policy(response_h * 60, resolve_h * 60, resolve_h * 60, resolve_h * 60, natural=True)
    rows = _policy_rows().get(urgency, {})
    row = next((rows[key] for c in (category.pk, category.parent_id, None) for key in ((c, type), (c, ""))
                if (c is not None or key[0] is None) and key in rows), None)
    if row is not None:
        values = (row.response_hours, row.resolve_days, row.complex_resolve_days, row.escalated_resolve_days)
        natural = row.natural_time
    else:
        values, natural = FALLBACK[Urgency(urgency)], False
    day = 24 * 60 if natural else calendar().day_minutes
    response_h, resolve_d, complex_d, escalated_d = (float(v) for v in values)
    return Policy(response_minutes=response_h * 60, resolve_minutes=resolve_d * day,
                  complex_resolve_minutes=complex_d * day, escalated_resolve_minutes=escalated_d * day, natural=natural)


def _policy_rows() -> dict[str, dict[tuple[int | None, str], DeadlinePolicy]]:
    """Every policy row by urgency, then (category, type): a few dozen rows, read once a minute per process
    (lib/memo.py), not once per intake or dispatch."""
    def build() -> dict[str, dict[tuple[int | None, str], DeadlinePolicy]]:
        out: dict[str, dict[tuple[int | None, str], DeadlinePolicy]] = {}
        for p in DeadlinePolicy.objects.all():
            out.setdefault(p.urgency, {})[(p.category_id, p.type)] = p
        return out
    return memo.memo("deadline-policies", build)


post_save.connect(memo.forgetter("deadline-policies"), sender=DeadlinePolicy, weak=False,
                  dispatch_uid="memo-policy-saved")
post_delete.connect(memo.forgetter("deadline-policies"), sender=DeadlinePolicy, weak=False,
                    dispatch_uid="memo-policy-deleted")


def policy_of(ticket: Any) -> Policy:
    """The policy a request's clocks run on (its category, urgency, type; natural time for safety matters)."""
    return policy_for(category=ticket.category, urgency=ticket.urgency, type=ticket.type,
                      safety=bool(ticket.natural_time and ticket.urgent_words))


def due(start: dt.datetime, minutes: float, natural: bool = False) -> dt.datetime:
    return start + dt.timedelta(minutes=minutes) if natural else calendar().add(start, minutes)


@dataclass(frozen=True)
class Countdown:
    """A running clock as shown to staff: remaining (working, or natural) time and its colour."""

    label: str
    due_at: dt.datetime
    remaining_minutes: float
    used_ratio: float
    natural: bool = False

    @property
    def state(self) -> str:
        if self.remaining_minutes <= 0:
            return "overdue"
        if self.used_ratio >= settings.MINQING["WARN_RATIO"]:
            return "warning"
        return "ok"

    @property
    def text(self) -> str:
        minutes = abs(self.remaining_minutes)
        if self.natural:
            amount = f"{minutes / 60:.1f} 小时" if minutes >= 60 else f"{max(1, round(minutes))} 分钟"
            return f"已超期 {amount}" if self.remaining_minutes <= 0 else f"剩余 {amount}（自然时间）"
        day = calendar().day_minutes
        if minutes >= day:
            amount = f"{minutes / day:.1f} 个工作日"
        elif minutes >= 60:
            amount = f"{minutes / 60:.1f} 个工作小时"
        else:
            amount = f"{max(1, round(minutes))} 个工作分钟"
        return f"已超期 {amount}" if self.remaining_minutes <= 0 else f"剩余 {amount}"


def _between(a: dt.datetime, b: dt.datetime, natural: bool) -> float:
    return (b - a).total_seconds() / 60 if natural else calendar().between(a, b)


def clock(*, label: str, started_at: dt.datetime | None, due_at: dt.datetime | None, now: dt.datetime,
          natural: bool = False) -> Countdown | None:
    if due_at is None:
        return None
    total = _between(started_at, due_at, natural) if started_at else 0
    remaining = _between(now, due_at, natural)
    used = 1.0 if total <= 0 else (total - remaining) / total
    return Countdown(label=label, due_at=due_at, remaining_minutes=remaining, used_ratio=used, natural=natural)


SHOWN = {  # clock → label (by status for the response clock)
    Clock.DISPATCH: "派单时限", Clock.RESOLVE: "办结时限", Clock.CONTACT: "先行联系时限",
}


def shown(ticket: Any, now: dt.datetime) -> list[Countdown]:
    """The clocks running on a request now, as its page, the queues and the API show them."""
    out = []
    for kind in (Clock.RESPONSE, Clock.DISPATCH, Clock.CONTACT, Clock.RESOLVE):
        if ticket.status not in CLOCK_RUNS[kind]:
            continue
        label = SHOWN.get(kind) or ("受理时限" if ticket.status == "received" else "签收时限")
        c = clock(label=label, started_at=getattr(ticket, f"{kind}_started_at"), due_at=getattr(ticket, f"{kind}_due_at"),
                  now=now, natural=natural_for(kind, ticket.natural_time))
        if c:
            out.append(c)
    return out


def natural_for(clock: Clock, natural: bool) -> bool:
    """先行联系 always runs on natural hours; the other clocks as the request does."""
    return True if clock == Clock.CONTACT else natural


def warn_at(*, started_at: dt.datetime, due_at: dt.datetime, natural: bool = False) -> dt.datetime:
    """The instant a clock turns yellow: the configured share of its (working) time used."""
    ratio = settings.MINQING["WARN_RATIO"]
    if natural:
        return started_at + (due_at - started_at) * ratio
    cal = calendar()
    start = cal.minutes_at(started_at)
    return cal.at_minutes(start + (cal.minutes_at(due_at) - start) * ratio)


# --- the clock columns a step sets ------------------------------------------------------------
def columns(clock: Clock, start: dt.datetime | None, minutes: float | None, natural: bool = False) -> dict[str, Any]:
    """The columns that start (or, with minutes=None, stop) a clock. The callback clock has a due time only."""
    if clock == Clock.CALLBACK:
        return {"callback_due_at": due(start, minutes) if start is not None and minutes is not None else None}
    if start is None or minutes is None:
        return {f"{clock}_started_at": None, f"{clock}_due_at": None, f"{clock}_warn_at": None}
    end = due(start, minutes, natural)
    return {f"{clock}_started_at": start, f"{clock}_due_at": end,
            f"{clock}_warn_at": warn_at(started_at=start, due_at=end, natural=natural)}


def limits(step: Step, *, policy: Policy | None, complexity: str = Complexity.NORMAL,
           remaining: float | None = None) -> dict[Clock, float]:
    """How long each clock the step starts runs: the deadline policy's limits (a resumed clock: what was left)."""
    out: dict[Clock, float] = {}
    for clock, op in step.clocks.items():
        if op not in STARTS or clock not in COLUMN_CLOCKS:
            continue
        if clock == Clock.CALLBACK:
            out[clock] = callback_minutes()
        elif clock == Clock.CONTACT:
            out[clock] = float(settings.MINQING["CONTACT_HOURS"]) * 60
        elif clock == Clock.DISPATCH:
            out[clock] = float(settings.MINQING["DISPATCH_HOURS"]) * 60
        elif op == Op.RESUME and remaining is not None:
            out[clock] = max(float(remaining), 1.0)
        elif policy is None:
            raise ValueError(f"“{step.name}” starts the {clock} clock: it needs the deadline policy")
        elif clock == Clock.RESPONSE:
            out[clock] = policy.response_minutes
        elif step.resolve_limit == "escalated":
            out[clock] = policy.escalated_resolve_minutes
        else:
            out[clock] = policy.resolve_for(complexity)
    return out


def needs_policy(step: Step) -> bool:
    """Whether the step starts a clock whose limit comes from the deadline policy."""
    return any(op in (Op.START, Op.CARRY) and clock in (Clock.RESPONSE, Clock.RESOLVE) for clock, op in step.clocks.items())


def step_columns(step: Step, *, now: dt.datetime, minutes: dict[Clock, float], natural: bool = False) -> dict[str, Any]:
    """The clock columns a step sets: started clocks from now, stopped ones cleared (lifecycle.STEPS says which)."""
    out: dict[str, Any] = {}
    for clock, op in step.clocks.items():
        if clock not in COLUMN_CLOCKS:
            continue  # kept in the event log only (the handed-up clock)
        if op in STARTS:
            out |= columns(clock, now, minutes[clock], natural_for(clock, natural))
        elif op in (Op.STOP, Op.DROP, Op.MET, Op.PAUSE, Op.HAND_OVER):
            out |= columns(clock, None, None)
    return out


def cap_resolve(changes: dict[str, Any], limit: dt.datetime | None, natural: bool = False) -> dict[str, Any]:
    """A 12345 order's resolution is assessed on the platform's deadline: a resolve clock the step (re)starts or
    moves is never due later than `limit` (the platform's 办理时限); its warning moves with it."""
    due_at = changes.get("resolve_due_at")
    if limit is None or due_at is None or due_at <= limit:
        return changes
    started = changes.get("resolve_started_at")
    # No working time left before the platform's deadline: the warning is due at once, not in the past.
    warn = max(warn_at(started_at=started, due_at=limit, natural=natural), started) if started and started < limit else limit
    return {**changes, "resolve_due_at": limit, "resolve_warn_at": warn}


STARTS = (Op.START, Op.RESUME, Op.CARRY)
COLUMN_CLOCKS = (Clock.RESPONSE, Clock.RESOLVE, Clock.CALLBACK, Clock.CONTACT, Clock.DISPATCH)


def due_data(changes: dict[str, Any]) -> dict[str, str | None]:
    """The due times of the response, resolve and contact clocks a step started, as its event records them."""
    return {k: v.isoformat() if v else None for k, v in changes.items()
            if k in ("response_due_at", "resolve_due_at", "contact_due_at") and v is not None}


# --- what the sweep looks at ------------------------------------------------------------------
def checkpoints(values: dict, status: str) -> list[tuple[dt.datetime, str]]:
    """(instant, what) for every warning and deadline of the clocks running in `status`.

    `values` holds the ticket's clock columns (a ticket's __dict__ or the columns an action sets).
    """
    points = []
    for kind, statuses in CLOCK_RUNS.items():
        if status not in statuses:
            continue
        if values.get(f"{kind}_warn_at"):
            points.append((values[f"{kind}_warn_at"], f"{kind}_warn"))
        if values.get(f"{kind}_due_at"):
            points.append((values[f"{kind}_due_at"], f"{kind}_due"))
    if status == "suspended" and values.get("suspended_until"):  # an approved 缓办 resumes on its planned date
        day = values["suspended_until"]
        points.append((dt.datetime.combine(day, dt.time(0, 0), calendar().tz), "resume_due"))
    return sorted(points)


# The column whose change makes a checkpoint fresh (the clocks: their due column).
FRESH_COLUMN = {"resume": "suspended_until"}


def next_check(*, before: dict, changes: dict, status: str, now: dt.datetime,
               reopened: dict[str, dt.datetime | None] | None = None) -> dt.datetime | None:
    """The next instant the sweep must look at the request after an action.

    Clocks the action (re)started count from now; clocks it left alone keep the sweep's progress:
    their points before the old next_check_at were already handled. A clock reopened after a hold counts
    its points since it was held (a deadline that passed meanwhile is swept at once).
    """
    merged = {**before, **changes}
    boundary = before.get("next_check_at")
    candidates = []
    for at, what in checkpoints(merged, status):
        kind = what.split("_")[0]
        if reopened and kind in reopened:
            since = reopened[kind] or now
            if at >= since:
                candidates.append(at)
            continue
        fresh = FRESH_COLUMN.get(kind, f"{kind}_due_at") in changes
        if (fresh and at >= now) or (not fresh and boundary is not None and at >= boundary):
            candidates.append(at)
    return min(candidates, default=None)


def unit_level(unit: object) -> str:
    kind = unit.kind  # type: ignore[attr-defined]
    if kind == "street_office":
        return "street"
    if kind in {"department", "district_center"}:
        return "district"
    return "community"


def escalates(*, category: Category, unit: object) -> bool:
    """Whether an overdue request of this category at this unit's level goes up to the supervisor."""
    level = unit_level(unit)
    rules = {(r.category_id, r.level): r.escalate for r in EscalationRule.objects.filter(
        category_id__in=[c for c in (category.pk, category.parent_id) if c]) | EscalationRule.objects.filter(
        category=None)}
    for key in ((category.pk, level), (category.pk, ""), (category.parent_id, level), (category.parent_id, ""),
                (None, level), (None, "")):
        if key in rules:
            return rules[key]
    return True


def review_for(*, category: Category, unit: Any) -> str:
    """How a resolution by this unit in this category is checked before the callback (ReviewRule): "" (not at
    all), "dispatcher" (办结审核) or "onsite" (核查). The most specific rule wins."""
    level = unit_level(unit)
    rules = {(r.category_id, r.level): r.review for r in ReviewRule.objects.filter(
        category_id__in=[c for c in (category.pk, category.parent_id) if c]) | ReviewRule.objects.filter(category=None)}
    for key in ((category.pk, level), (category.pk, ""), (category.parent_id, level), (category.parent_id, ""),
                (None, level), (None, "")):
        if key in rules:
            return rules[key]
    return ""


def remaining(ticket: Any, at: dt.datetime) -> float | None:
    """The resolution time left when a clock stops now (a suspension keeps it for the resume)."""
    if ticket.resolve_due_at is None:
        return None
    return _between(at, ticket.resolve_due_at, ticket.natural_time)


def callback_minutes() -> float:
    return float(settings.MINQING["CALLBACK_DAYS"]) * calendar().day_minutes
