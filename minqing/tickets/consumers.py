"""What follows a step happens after it has committed: consumers of the append-only event log.

Each consumer (the notices, the evaluation's facts, webhooks, meeting resolutions, triage) registers
here with the events it wants. Writing an event also writes one `PendingEvent` row per consumer that
wants it (one insert, in the step's own transaction: the row exists exactly when the event does).
`consume` takes a consumer's pending rows in event order (SKIP LOCKED on PostgreSQL, so several loops
may run), hands their events to the consumer, and deletes the rows in the same transaction as the
consumer's own writes: an event is handled once, a loop killed mid-batch leaves its batch pending and
the next pass does it, and nothing is doubled. A batch that fails is retried event by event, so one
bad event waits (with growing back-off, its error kept) and never blocks the others or the request
that wrote it. `manage.py loop` runs the consumers (and the deadline sweep); `lag()` is its figure.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from minqing.lib.bulk import db_datetime

from .lifecycle import STEPS
from .models import PendingEvent, TicketEvent

log = logging.getLogger("minqing.consumers")
BATCH = 200


@dataclass(frozen=True)
class Consumer:
    name: str
    label: str
    handle: Callable[[list[TicketEvent]], object]  # must only write to the database
    wants: Callable[[TicketEvent], bool]


REGISTRY: dict[str, Consumer] = {}


def register(name: str, label: str, *, wants: Callable[[TicketEvent], bool] = lambda e: True,
             ) -> Callable[[Callable[[list[TicketEvent]], object]], Callable[[list[TicketEvent]], object]]:
    """Decorator: `handle(events)` consumes a batch of events in log order (AppConfig.ready imports it)."""
    def wrap(handle: Callable[[list[TicketEvent]], object]) -> Callable[[list[TicketEvent]], object]:
        REGISTRY[name] = Consumer(name, label, handle, wants)
        return handle
    return wrap


def status_changed(event: TicketEvent) -> bool:
    return event.from_status != event.to_status


def step_has(*parts: str) -> Callable[[TicketEvent], bool]:
    """Events whose step declares any of these (clocks, counts, notices, sms) in lifecycle.STEPS."""
    def wants(event: TicketEvent) -> bool:
        step = STEPS.get(event.action)
        return step is not None and any(getattr(step, p) for p in parts)
    return wants


def enqueue(events: list[TicketEvent]) -> int:
    """In the writer's transaction: one pending row per event and consumer that wants it. Plain tuples through
    executemany, not model instances: an import batch of 500 requests writes 2,000 of these rows, and the
    ORM's per-object work was a fifth of the import's time."""
    ops = connection.ops
    when = db_datetime()
    rows = [(c.name, e.pk, when(e.created_at), 0, "")
            for e in events for c in REGISTRY.values() if c.wants(e)]
    if rows:
        meta = PendingEvent._meta
        columns = ", ".join(ops.quote_name(f.column) for f in meta.concrete_fields
                            if f.name in ("consumer", "event", "created_at", "attempts", "last_error"))
        sql = f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    return len(rows)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 5 * 2 ** min(attempts, 10)))


def consume(name: str, *, limit: int = BATCH, now: dt.datetime | None = None) -> int:
    """One batch of a consumer's pending events; returns how many were handled."""
    consumer = REGISTRY[name]
    now = now or timezone.now()
    with transaction.atomic():
        qs = PendingEvent.objects.filter(Q(next_try_at=None) | Q(next_try_at__lte=now), consumer=name).order_by("event_id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        rows = list(qs[:limit])
        if not rows:
            return 0
        events = TicketEvent.objects.filter(pk__in=[r.event_id for r in rows]).select_related(
            "ticket", "ticket__handling_unit", "actor", "to_unit", "from_unit").in_bulk()
        done = []
        try:
            with transaction.atomic():
                consumer.handle([events[r.event_id] for r in rows])
            done = rows
        except Exception:  # a consumer's failure must not stop the loop: retry one by one
            for row in rows:
                try:
                    with transaction.atomic():
                        consumer.handle([events[row.event_id]])
                    done.append(row)
                except Exception as exc:  # kept on the row, retried later
                    log.exception("consumer %s failed on event %s", name, row.event_id)
                    PendingEvent.objects.filter(pk=row.pk).update(
                        attempts=row.attempts + 1, next_try_at=now + _backoff(row.attempts + 1),
                        last_error=f"{type(exc).__name__}: {exc}"[:1000])
        PendingEvent.objects.filter(pk__in=[r.pk for r in done]).delete()
        return len(done)


def consume_all(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every consumer until nothing is due; returns how many events each handled."""
    out = {}
    for name in REGISTRY:
        total = 0
        while n := consume(name, now=now):
            total += n
        out[name] = total
    return out


@dataclass(frozen=True)
class Lag:
    consumer: str
    label: str
    pending: int
    oldest_seconds: float  # age of the oldest pending event: how far behind the log this consumer is
    failing: int  # pending events that have failed at least once


def lag(*, now: dt.datetime | None = None) -> list[Lag]:
    now = now or timezone.now()
    rows = {r["consumer"]: r for r in PendingEvent.objects.values("consumer").annotate(
        n=Count("id"), oldest=Min("created_at"))}
    failing = dict(PendingEvent.objects.filter(attempts__gt=0).values("consumer").annotate(
        n=Count("id")).values_list("consumer", "n"))
    out = []
    for c in REGISTRY.values():
        r = rows.get(c.name)
        out.append(Lag(c.name, c.label, r["n"] if r else 0,
                       (now - r["oldest"]).total_seconds() if r else 0.0, failing.get(c.name, 0)))
    return out
