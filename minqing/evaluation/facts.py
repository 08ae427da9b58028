"""The one implementation of every metric: which facts a request's event log produces.

`ticket_facts` replays one request's events in order through lifecycle.STEPS: each step's `clocks`
(a clock stopped in time or late, started with the due time its event recorded, paused, resumed,
extended, marked late by the sweep) and its `counts`. The facts consumer (consumers.py) stores each
new event's facts after the step has committed; `fold`, run by every sweep pass, sums new facts into
the monthly and yearly rollups (figures.totals counts facts not yet folded straight from the fact
table); `rebuild` and `verify` call it for every request. So the figures a dashboard shows and the
figures a full recomputation gives come from the same lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth, TruncYear
from django.utils import timezone

from minqing.tickets import consumers
from minqing.tickets.lifecycle import PART_CLOCKS, STEPS, Clock, Op
from minqing.tickets.models import PendingEvent, Ticket, TicketEvent

from .models import COUNTER_NAMES, COUNTERS, ROLLUP_KEY, Fact, FactKind, Grain, Rollup

DIMS = ["street_id", "community_id", "grid_id", "category_id", "channel"]
EVENT_FIELDS = ["id", "ticket_id", "action", "from_status", "to_unit_id", "data", "created_at"]
CLOCK_FACT = {Clock.RESPONSE: FactKind.RESPONSE, Clock.RESOLVE: FactKind.DEADLINE, Clock.CONTACT: FactKind.CONTACT,
              Clock.PART_SIGN: FactKind.RESPONSE, Clock.PART_DONE: FactKind.DEADLINE, Clock.PART_CONTACT: FactKind.CONTACT}
PART_DUE = {Clock.PART_SIGN: "sign_due_at", Clock.PART_CONTACT: "contact_due_at", Clock.PART_DONE: "done_due_at"}


@dataclass
class Running:
    due: dt.datetime | None
    counted: bool = False  # its outcome is already a fact (it went overdue)
    held_at: dt.datetime | None = None  # the reply is being reviewed: judged by this time if it passes
    held_at: dt.datetime | None = None  # the reply is being reviewed: judged by this time if it passes


def _due(data: dict[str, Any], key: str) -> Running | None:
    value = data.get(key)
    return Running(dt.datetime.fromisoformat(value)) if value else None


class _Replay:
    """One request's clocks and holder as its events set them."""

    def __init__(self, created_at: dt.datetime) -> None:
        self.created_at = created_at
        self.holder: int | None = None
        self.clocks: dict[Clock, Running | None] = {Clock.RESPONSE: None, Clock.RESOLVE: None, Clock.CONTACT: None}
        # An escalated request's resolve clock at the unit that handed it up, judged when the new holder signs.
        self.handed: tuple[int | None, Running] | None = None
        # The clocks of each unit's part (协办, 吹哨报到), by (unit, clock): counted to that unit.
        self.parts: dict[tuple[int, Clock], Running] = {}
        self.late_before_pause = False
        self.out: list[dict[str, Any]] = []
        self.event: dict[str, Any] = {}

    def fact(self, kind: str, *, unit: int | None, ok: bool | None = None, grade: str = "",
             minutes: float | None = None) -> None:
        at = self.event["created_at"]
        self.out.append({"event_id": self.event["id"], "kind": kind, "day": timezone.localdate(at),
                         "unit_id": unit, "ok": ok, "grade": grade, "minutes": minutes})

    def judge(self, running: Running | None, fact: str, unit: int | None) -> None:
        """A clock handed on: late if its due time has passed (and it is not counted yet), else uncounted."""
        if running is not None and not running.counted and running.due is not None and self.event["created_at"] > running.due:
            self.fact(fact, unit=unit, ok=False)

    def part_clock(self, clock: Clock, op: Op, data: dict[str, Any]) -> None:
        at = self.event["created_at"]
        if op == Op.START:
            for entry in data.get("parts", []):
                value = entry.get(PART_DUE[clock])
                if value:
                    self.parts[(entry["unit_id"], clock)] = Running(dt.datetime.fromisoformat(value))
        elif op == Op.STOP:
            running = self.parts.pop((data.get("unit_id"), clock), None)
            if running is not None and not running.counted and running.due is not None:
                self.fact(CLOCK_FACT[clock], unit=data["unit_id"], ok=at <= running.due)
        elif op == Op.HAND_OVER:
            for key in [k for k in self.parts if k[1] == clock]:
                self.judge(self.parts.pop(key), CLOCK_FACT[clock], key[0])
        elif op == Op.LATE and clock in data.get("clocks", []):
            running = self.parts.get((data.get("unit_id"), clock))
            if running is not None and not running.counted:
                self.fact(CLOCK_FACT[clock], unit=data["unit_id"], ok=False)
                running.counted = True

    def clock(self, clock: Clock, op: Op, data: dict[str, Any]) -> None:
        if clock in PART_CLOCKS:
            self.part_clock(clock, op, data)
            return
        if clock == Clock.HANDED:
            if self.handed is not None and op in (Op.STOP, Op.HAND_OVER):
                self.judge(self.handed[1], FactKind.DEADLINE, self.handed[0])
                self.handed = None
            return
        running = self.clocks[clock]
        at = self.event["created_at"]
        if op == Op.HAND_OVER:
            self.judge(running, CLOCK_FACT[clock], self.holder)
            self.clocks[clock] = None
        elif op == Op.CARRY:
            if running is not None and not running.counted:
                self.handed = (self.holder, running)
            self.clocks[clock] = _due(data, f"{clock}_due_at")
        elif op == Op.STOP:  # on time or late, unless the overdue sweep already counted it late
            if running is not None and not running.counted and running.due is not None:
                self.fact(CLOCK_FACT[clock], unit=self.holder, ok=(running.held_at or at) <= running.due)
            self.clocks[clock] = None
        elif op == Op.HOLD:
            if running is not None:
                running.held_at = at
        elif op == Op.UNHOLD:
            if running is not None:
                running.held_at = None
        elif op == Op.DROP:
            self.clocks[clock] = None
        elif op == Op.MET:
            self.fact(CLOCK_FACT[clock], unit=self.holder, ok=True)
            self.clocks[clock] = None
        elif op == Op.START:
            self.judge(running, CLOCK_FACT[clock], self.holder)
            self.clocks[clock] = _due(data, f"{clock}_due_at")
        elif op == Op.PAUSE:
            self.late_before_pause = running is not None and running.counted
            self.clocks[clock] = None
        elif op == Op.RESUME:  # with the time that was left; one already counted late stays counted
            resumed = _due(data, f"{clock}_due_at")
            if resumed is not None:
                resumed.counted = self.late_before_pause
            self.clocks[clock] = resumed
        elif op == Op.EXTEND:
            if running is not None and data.get("new_due_at"):
                running.due = dt.datetime.fromisoformat(data["new_due_at"])
        elif op == Op.RELIMIT:  # a corrected category: the new due time; a clock already counted late stays so
            if running is not None and data.get(f"{clock}_due_at"):
                running.due = dt.datetime.fromisoformat(data[f"{clock}_due_at"])
        elif op == Op.LATE and clock in data.get("clocks", []) and running is not None and not running.counted:
            self.fact(CLOCK_FACT[clock], unit=self.holder, ok=False)
            running.counted = True

    def step(self, e: dict[str, Any]) -> None:
        step = STEPS.get(e["action"])
        if step is None:
            return
        self.event = e
        data = e["data"] or {}
        before, after = self.holder, e["to_unit_id"] or self.holder
        if e["action"] == "create":
            before = after
        for clock, op in step.clocks.items():
            if clock in self.clocks or clock in PART_CLOCKS or clock == Clock.HANDED:
                self.clock(clock, op, data)
        for count in step.counts:
            if count.only_from is not None and e["from_status"] not in count.only_from:
                continue
            unit = {"after": after, "part": data.get("unit_id")}.get(count.unit, before)
            if count.kind == FactKind.RESOLVED:
                self.fact(count.kind, unit=unit, minutes=(e["created_at"] - self.created_at).total_seconds() / 60)
            elif count.kind == FactKind.CALLBACK:
                if data.get("contacted"):
                    self.fact(count.kind, unit=unit, ok=bool(data.get("solved")), grade=data.get("satisfaction", ""))
            elif count.kind == FactKind.CONTACTED:  # 是否联系您, when the resident was asked
                if data.get("unit_contacted") is not None:
                    self.fact(count.kind, unit=unit, ok=bool(data["unit_contacted"]))
            elif count.kind == FactKind.REPORT_RATING:
                self.fact(count.kind, unit=unit, minutes=float(data.get("rating") or 0))
            elif count.kind == FactKind.RECHECK:
                self.fact(count.kind, unit=unit, ok=bool(data.get("consistent")))
            else:
                self.fact(count.kind, unit=unit)
        self.holder = after


def ticket_facts(ticket: dict[str, Any], events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The facts of one request. `ticket` has created_at (and the DIMS, which the caller adds to each
    fact); events are dicts with EVENT_FIELDS, in log order. Each fact is a dict with event_id, kind,
    day, unit_id (the unit holding the request then), ok, grade and minutes."""
    replay = _Replay(ticket["created_at"])
    for e in events:
        replay.step(e)
    return replay.out


# --- counters --------------------------------------------------------------------------------
def deltas(fact: dict[str, Any]) -> dict[str, float]:
    """What one fact adds to a rollup row: COUNTERS read in Python (aggregates() is the same in SQL)."""
    out: dict[str, float] = {}
    for name, kind, cond in COUNTERS:
        if fact["kind"] != kind:
            continue
        if cond is None:
            out[name] = 1
        elif cond == "minutes":
            out[name] = fact["minutes"] or 0.0
        elif fact[cond[0]] == cond[1]:
            out[name] = 1
    return out


def aggregates() -> dict[str, Any]:
    """COUNTERS as SQL aggregates over facts."""
    out: dict[str, Any] = {}
    for name, kind, cond in COUNTERS:
        if cond == "minutes":
            out[name] = Sum("minutes", filter=Q(kind=kind), default=0.0)
        elif cond is None:
            out[name] = Count("id", filter=Q(kind=kind))
        else:
            out[name] = Count("id", filter=Q(kind=kind, **{cond[0]: cond[1]}))
    return out


def _keys(fact: dict[str, Any]) -> list[tuple]:
    """The two rollup rows a fact counts in: its month's and its year's."""
    day = fact["day"]
    rest = (fact["street_id"], fact["community_id"], fact["category_id"], fact["unit_id"])
    return [(Grain.MONTH, day.replace(day=1), *rest), (Grain.YEAR, day.replace(month=1, day=1), *rest)]


# --- keeping them current ----------------------------------------------------------------------
def record_event(event: TicketEvent) -> int:
    """Facts of one event, read from its request's log up to it. Returns how many."""
    ticket = Ticket.objects.values("created_at", *DIMS).get(pk=event.ticket_id)
    events = TicketEvent.objects.filter(ticket_id=event.ticket_id, created_at__lte=event.created_at).order_by(
        "created_at", "id").values(*EVENT_FIELDS)
    mine = [f for f in ticket_facts(ticket, events) if f["event_id"] == event.pk]
    return _store([(ticket, event.ticket_id, f) for f in mine])


def record_events(events: list[TicketEvent]) -> int:
    """Facts of a batch of events (the facts consumer). A `create` event is its request's whole log so far,
    so nothing is read back for it (an import batch costs one insert)."""
    rows, n = [], 0
    for event in events:
        if event.action != "create":
            n += record_event(event)
            continue
        t = event.ticket
        ticket = {"created_at": t.created_at, **{d: getattr(t, d) for d in DIMS}}
        row = {f: getattr(event, f) for f in EVENT_FIELDS}
        rows += [(ticket, event.ticket_id, f) for f in ticket_facts(ticket, [row])]
    return n + _store(rows)


def _store(rows: list[tuple[dict[str, Any], int, dict[str, Any]]]) -> int:
    """Insert only: the request's transaction takes no lock that another request's could want."""
    if rows:
        Fact.objects.bulk_create([Fact(ticket_id=pk, **f, **{d: ticket[d] for d in DIMS})
                                  for ticket, pk, f in rows], batch_size=2000)
    return len(rows)


def fold(limit: int = 20000) -> int:
    """Sum facts not yet rolled up into their Rollup rows; returns how many. Called by every sweep pass.
    Several sweeps may fold at once: each takes its own facts (SKIP LOCKED on PostgreSQL) and updates
    rollup rows in one global order, so they never wait on each other in a circle."""
    from django.db import connection

    total = 0
    while True:
        with transaction.atomic():
            qs = Fact.objects.filter(rolled=False).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            batch = list(qs.values("id", "kind", "day", "unit_id", "street_id", "community_id", "category_id",
                                   "ok", "grade", "minutes")[:limit])
            if not batch:
                return total
            sums: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
            for f in batch:
                changes = deltas(f)
                for key in _keys(f):
                    for name, value in changes.items():
                        sums[key][name] += value
            for key in sorted(sums):
                _add(key, sums[key])
            ids = [f["id"] for f in batch]
            for start in range(0, len(ids), 5000):
                Fact.objects.filter(id__in=ids[start:start + 5000]).update(rolled=True)
        total += len(batch)
        if len(batch) < limit:
            return total


def _add(key: tuple, values: dict[str, float]) -> None:
    where = dict(zip(ROLLUP_KEY, key, strict=True))
    update = {name: F(name) + value for name, value in values.items()}
    if Rollup.objects.filter(**where).update(**update):
        return
    try:
        with transaction.atomic():
            Rollup.objects.create(**where, **values)
    except IntegrityError:  # another transaction created the row first
        Rollup.objects.filter(**where).update(**update)


# --- recomputing from the log ----------------------------------------------------------------
def replay(ticket_ids: list[int] | None = None, chunk: int = 2000) -> Iterator[list[Fact]]:
    """All facts, recomputed from the events, a chunk of requests at a time."""
    tickets = Ticket.objects.order_by("pk")
    if ticket_ids is not None:
        tickets = tickets.filter(pk__in=ticket_ids)
    last = 0
    while True:
        batch = {t["pk"]: t for t in tickets.filter(pk__gt=last).values("pk", "created_at", *DIMS)[:chunk]}
        if not batch:
            return
        last = max(batch)
        by_ticket: dict[int, list[dict]] = defaultdict(list)
        for e in TicketEvent.objects.filter(ticket_id__in=list(batch)).order_by("ticket_id", "created_at", "id").values(
                *EVENT_FIELDS).iterator(chunk_size=10000):
            by_ticket[e["ticket_id"]].append(e)
        facts = []
        for pk, events in by_ticket.items():
            t = batch[pk]
            facts += [Fact(ticket_id=pk, **f, **{d: t[d] for d in DIMS}) for f in ticket_facts(t, events)]
        yield facts


def rollups_from_facts() -> list[Rollup]:
    """Monthly and yearly rollup rows summed from the stored facts that have been rolled up."""
    out = []
    for grain, trunc in ((Grain.MONTH, TruncMonth("day")), (Grain.YEAR, TruncYear("day"))):
        qs = Fact.objects.filter(rolled=True).annotate(month=trunc)
        rows = qs.values("month", "street_id", "community_id", "category_id", "unit_id").order_by().annotate(**aggregates())
        out += [Rollup(grain=grain, **r) for r in rows]
    return out


def rebuild() -> tuple[int, int]:
    """Throw the derived data away and compute it again from the events. Returns (facts, rollup rows).
    New events wait until it is done (on SQLite the first delete takes the write lock; on PostgreSQL the
    event table is locked), so none is counted twice or missed."""
    from django.db import connection

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {TicketEvent._meta.db_table} IN SHARE MODE")
        Rollup.objects.all().delete()
        Fact.objects.all().delete()
        PendingEvent.objects.filter(consumer="facts").delete()  # the replay below covers every event
        n = 0
        for facts in replay():
            for f in facts:
                f.rolled = True
            Fact.objects.bulk_create(facts, batch_size=5000)
            n += len(facts)
        rows = rollups_from_facts()
        Rollup.objects.bulk_create(rows, batch_size=5000)
    return n, len(rows)


FACT_COMPARE = ["event_id", "kind", "day", "unit_id", *DIMS, "ok", "grade"]


def _fact_key(f: Any) -> tuple:
    get = (lambda k: f[k]) if isinstance(f, dict) else (lambda k: getattr(f, k))
    minutes = get("minutes")
    return (*(get(k) for k in FACT_COMPARE), None if minutes is None else round(minutes, 3))


def _same(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)))  # sums of minutes: float rounding


def verify() -> list[str]:
    """Recompute everything from the events and compare with what is stored. Returns the differences.
    Events the facts consumer has not reached yet are consumed first: what is compared is the log's end."""
    while consumers.consume("facts"):
        pass
    problems: list[str] = []
    for facts in replay():
        ids = sorted({f.ticket_id for f in facts})
        expected = sorted(_fact_key(f) for f in facts)
        stored = sorted(_fact_key(f) for f in Fact.objects.filter(ticket_id__in=ids).values(*FACT_COMPARE, "minutes"))
        if expected != stored:
            missing = set(expected) - set(stored)
            extra = set(stored) - set(expected)
            problems.append(f"请求 {ids[0]}–{ids[-1]}：事实应有 {len(expected)} 条，实有 {len(stored)} 条；"
                            f"缺少 {len(missing)} 条，多出 {len(extra)} 条" + (f"（例如缺少 {sorted(missing)[0]}）" if missing else "")
                            + (f"（例如多出 {sorted(extra)[0]}）" if extra else ""))
    # Facts of requests that no longer produce them (none should exist: tickets are never deleted).
    expected_rows = {tuple(getattr(r, k) for k in ROLLUP_KEY): r for r in rollups_from_facts()}
    stored_rows = {tuple(getattr(r, k) for k in ROLLUP_KEY): r for r in Rollup.objects.all()}
    for key in sorted(set(expected_rows) | set(stored_rows)):
        a, b = expected_rows.get(key), stored_rows.get(key)
        diff = [name for name in COUNTER_NAMES if not _same(getattr(a, name, 0) if a else 0, getattr(b, name, 0) if b else 0)]
        if diff:
            grain = "年" if key[0] == Grain.YEAR else "月"
            problems.append(f"{grain}汇总 {key[1]:%Y-%m} 街道{key[2]} 社区{key[3]} 分类{key[4]} 单位{key[5]}："
                            + "、".join(f"{n} 应为 {getattr(a, n, 0) if a else 0}，实为 {getattr(b, n, 0) if b else 0}"
                                       for n in diff))
    return problems
