"""Figures for any period and scope, read from the monthly rollups plus the facts of partial months.

A period's whole calendar years come from yearly Rollup rows, its other whole months from monthly
ones (plus, for both, the few facts the sweep has not folded in yet);
its first and last partial months, and any scope the rollups do not keep (a grid, a channel, daily
series), come straight from the facts. Both hold the
same counters (models.COUNTERS), so the sums are the same either way — tests/test_metrics.py checks it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from minqing.lib.db import reporting
from minqing.tickets.models import Ticket
from minqing.tickets.queries import overdue_rule

from .facts import aggregates
from .models import COUNTER_NAMES, Fact, FactKind, Grain, Rollup

# Scope filters a figure can be asked for, and the column each reads in facts and rollups.
FILTERS = {
    "street": "street_id", "community": "community_id", "grid": "grid_id", "unit": "unit_id",
    "category": "category_id", "parent": "category__parent_id", "brand": "category__brand", "channel": "channel",
}
FACT_ONLY = {"grid", "channel"}  # the rollups do not keep these
UNROLLED_BY_ID = 5000
GROUPS = {
    "street": "street_id", "community": "community_id", "grid": "grid_id", "unit": "unit_id",
    "category": "category_id", "parent": "category__parent_id", "brand": "category__brand", "channel": "channel",
}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    kind: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.start.year}年"
        if self.kind == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "day":
            return f"{self.start:%Y-%m-%d}"
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def previous(self) -> Period:
        """The period before, of the same kind (last month, last quarter, last year; else as many days)."""
        if self.kind in {"month", "quarter", "year"}:
            months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            return period_of(self.kind, _add_months(self.start, -months))
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1), self.kind)


def _add_months(day: dt.date, n: int) -> dt.date:
    m = day.year * 12 + day.month - 1 + n
    return dt.date(m // 12, m % 12 + 1, 1)


def period_of(kind: str, anchor: dt.date) -> Period:
    """The day, week (Monday–Sunday), month, quarter or year containing `anchor`."""
    if kind == "day":
        return Period(anchor, anchor, kind)
    if kind == "week":
        start = anchor - dt.timedelta(days=anchor.weekday())
        return Period(start, start + dt.timedelta(days=6), kind)
    if kind == "month":
        start = anchor.replace(day=1)
    elif kind == "quarter":
        start = dt.date(anchor.year, (anchor.month - 1) // 3 * 3 + 1, 1)
    elif kind == "year":
        start = dt.date(anchor.year, 1, 1)
    else:
        raise ValueError(kind)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    return Period(start, _add_months(start, months) - dt.timedelta(days=1), kind)


PERIOD_KINDS = {"day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年", "custom": "自定义"}


def parse_period(params: Any, *, today: dt.date) -> tuple[Period, str]:
    """A period from a query string: kind (day/week/month/quarter/year/custom) and a date, or start and
    end for custom. This year by default. Returns the period and a Chinese message for bad input."""
    kind = params.get("period") or "year"
    if kind not in PERIOD_KINDS:
        return period_of("year", today), "统计周期只能是日、周、月、季度、年或自定义。"
    try:
        if kind == "custom":
            start = dt.date.fromisoformat(params.get("start") or f"{today.year}-01-01")
            end = dt.date.fromisoformat(params.get("end") or today.isoformat())
            if not (dt.date(2000, 1, 1) <= start <= dt.date(2100, 12, 31) and dt.date(2000, 1, 1) <= end <= dt.date(2100, 12, 31)):
                return period_of("year", today), "日期超出范围（2000 年至 2100 年）。"
            if end < start:
                return period_of("year", today), "结束日期不能早于开始日期。"
            if (end - start).days > 366 * 20:
                return period_of("year", today), "自定义周期不能超过二十年。"
            return Period(start, end, "custom"), ""
        anchor = dt.date.fromisoformat(params.get("date") or today.isoformat())
    except ValueError:
        return period_of("year", today), "日期格式不对，例如 2026-01-01。"
    if not dt.date(2000, 1, 1) <= anchor <= dt.date(2100, 12, 31):
        return period_of("year", today), "日期超出范围。"
    return period_of(kind, anchor), ""


def split(period: Period) -> tuple[list[dt.date], list[tuple[dt.date, dt.date]]]:
    """The whole months inside a period, and the partial stretches at its ends."""
    first_full = period.start if period.start.day == 1 else _add_months(period.start, 1)
    after_end = period.end + dt.timedelta(days=1)
    last_full_end = after_end.replace(day=1)  # the first day of the month after the last whole month
    if first_full >= last_full_end:
        return [], [(period.start, period.end)]
    months = []
    m = first_full
    while m < last_full_end:
        months.append(m)
        m = _add_months(m, 1)
    edges = []
    if period.start < first_full:
        edges.append((period.start, first_full - dt.timedelta(days=1)))
    if last_full_end <= period.end:
        edges.append((last_full_end, period.end))
    return months, edges


@dataclass
class Figures:
    """Counters for one scope and period, and the metrics computed from them."""

    counters: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTER_NAMES, 0))
    median_minutes: float | None = None

    def __getattr__(self, name: str) -> float:
        counters = self.__dict__.get("counters", {})
        if name in counters:
            return counters[name]
        raise AttributeError(name)

    def add(self, row: dict[str, Any]) -> None:
        for name in COUNTER_NAMES:
            self.counters[name] += row.get(name) or 0

    @staticmethod
    def _rate(part: float, whole: float) -> float | None:
        return part / whole if whole else None

    @property
    def sign_rate(self) -> float | None:
        """按时响应率: clocks met (accepted, signed) ÷ clocks due."""
        return self._rate(self.response_ok, self.response_due)

    @property
    def contact_rate(self) -> float | None:
        """联系率 (Beijing's 响应率): callbacks where the resident said the unit contacted them ÷ callbacks asked."""
        return self._rate(self.contacted, self.contacted_asked)

    @property
    def response_rate(self) -> float | None:
        """响应率, as MINQING_RESPONSE_RATE says: "contact" (是否联系, Beijing), "sign" (签收速度) or "mixed" (the
        mean of the two that have data)."""
        mode = settings.MINQING["RESPONSE_RATE"]
        if mode == "sign":
            return self.sign_rate
        if mode == "contact":
            return self.contact_rate
        parts = [p for p in (self.contact_rate, self.sign_rate) if p is not None]
        return sum(parts) / len(parts) if parts else None

    @property
    def first_contact_rate(self) -> float | None:
        """先行联系按时率: contacts with the reporter made within the limit ÷ contacts due."""
        return self._rate(self.contact_ok, self.contact_due)

    @property
    def ontime_rate(self) -> float | None:
        return self._rate(self.resolve_ok, self.resolve_due)

    @property
    def solve_rate(self) -> float | None:
        return self._rate(self.solved, self.callbacks)

    @property
    def satisfaction_rate(self) -> float | None:
        weight = settings.MINQING["BASIC_SATISFIED_WEIGHT"]
        return self._rate(self.satisfied + weight * self.basic, self.callbacks)

    @property
    def rework_rate(self) -> float | None:
        return self._rate(self.dissatisfied, self.callbacks)

    @property
    def extension_rate(self) -> float | None:
        return self._rate(self.extensions, self.resolve_due)

    @property
    def return_rate(self) -> float | None:
        """退回率: approved returns ÷ dispatches received."""
        return self._rate(self.returned, self.dispatched)

    @property
    def return_request_rate(self) -> float | None:
        """退单率: return applications ÷ dispatches received."""
        return self._rate(self.return_requests, self.dispatched)

    @property
    def return_refusal_rate(self) -> float | None:
        """退单驳回率: refused return applications ÷ decided ones."""
        return self._rate(self.returns_refused, self.returned + self.returns_refused)

    @property
    def invalid_callback_rate(self) -> float | None:
        """无效回访率: callbacks closed as 无效回访 ÷ (valid callbacks + 无效回访)."""
        return self._rate(self.callbacks_invalid, self.callbacks + self.callbacks_invalid)

    @property
    def recheck_rate(self) -> float | None:
        """复核一致率: re-checks agreeing with the callback ÷ re-checks."""
        return self._rate(self.recheck_ok, self.rechecks)

    @property
    def report_rating(self) -> float | None:
        """报到评价: the street's mean rating (1–5) of summoned departments' 报到."""
        return self.report_score / self.report_ratings if self.report_ratings else None

    @property
    def avg_hours(self) -> float | None:
        return self.handle_minutes / self.resolved / 60 if self.resolved else None

    @property
    def median_hours(self) -> float | None:
        return self.median_minutes / 60 if self.median_minutes is not None else None

    @property
    def composite(self) -> float | None:
        """0.1 × 响应率 + 0.5 × 解决率 + 0.4 × 满意率, in points out of 100 (weights in settings). A part with
        nothing to measure is left out and the other weights renormalised: no data is not full marks."""
        parts = (self.response_rate, self.solve_rate, self.satisfaction_rate)
        weights = settings.MINQING["SCORE_WEIGHTS"]
        present = [(w, p) for w, p in zip(weights, parts, strict=True) if p is not None]
        total = sum(w for w, _ in present)
        if not present or total <= 0:
            return None
        return 100 * sum(w * p for w, p in present) / total

    def metric(self, name: str) -> float | None:
        return getattr(self, name)


def scope_q(filters: dict[str, Any]) -> Q:
    q = Q()
    for key, value in filters.items():
        if value in (None, ""):
            continue
        column = FILTERS[key]
        q &= Q(**{f"{column}__in" if isinstance(value, list | set | tuple) else column: value})
    return q


def _db() -> str:
    return reporting()


def _keys(by: str | tuple[str, ...] | None, *, month_column: str) -> list[str]:
    names = (by,) if isinstance(by, str) else (by or ())
    return [month_column if n == "month" else "day" if n == "day" else GROUPS[n] for n in names]


def totals(filters: dict[str, Any], period: Period, by: str | tuple[str, ...] | None = None) -> dict[Any, Figures]:
    """Counters for each value of `by` (a name of GROUPS, "month" or "day", or a tuple of them for
    keys that are tuples), or for the whole scope under the key None."""
    out: dict[Any, Figures] = defaultdict(Figures)
    names = set((by,) if isinstance(by, str) else (by or ()))
    active = {k for k, v in filters.items() if v not in (None, "")}
    facts_only = bool((active | names) & FACT_ONLY) or "day" in names
    months, edges = ([], [(period.start, period.end)]) if facts_only else split(period)
    q = scope_q(filters)

    def collect(rows: Any, keys: list[str]) -> None:
        for r in rows:
            key = None if not keys else r[keys[0]] if isinstance(by, str) else tuple(r[k] for k in keys)
            out[key].add(r)

    fact_parts = [Q(day__gte=start, day__lte=end) for start, end in edges]
    if months:
        keys = _keys(by, month_column="month")
        sums = {n: Sum(n) for n in COUNTER_NAMES}
        # Whole calendar years come from the yearly rows (unless the series is by month).
        years = [] if "month" in names else sorted({m.year for m in months if sum(x.year == m.year for x in months) == 12})
        for grain, starts in ((Grain.YEAR, [dt.date(y, 1, 1) for y in years]),
                              (Grain.MONTH, [m for m in months if m.year not in years])):
            if starts:
                qs = Rollup.objects.using(_db()).filter(q, grain=grain, month__in=starts)
                collect(qs.values(*keys).order_by().annotate(**sums) if keys else [qs.aggregate(**sums)], keys)
        # Facts the sweep has not folded into the rollups yet (seconds' worth): found through their partial
        # index first, so the query with the scope's joins only ever looks at those few.
        within = Q(rolled=False, day__gte=months[0], day__lt=_add_months(months[-1], 1))
        unrolled = list(Fact.objects.using(_db()).filter(within).values_list("id", flat=True)[:UNROLLED_BY_ID + 1])
        if len(unrolled) > UNROLLED_BY_ID:  # a backlog (the sweep has been down): by condition, not by id
            fact_parts.append(within)
        elif unrolled:
            fact_parts.append(Q(id__in=unrolled))
    for part in fact_parts:
        keys = _keys(by, month_column="bucket")
        qs = Fact.objects.using(_db()).filter(q, part)
        if "month" in names:
            qs = qs.annotate(bucket=TruncMonth("day"))
        collect(qs.values(*keys).order_by().annotate(**aggregates()) if keys else [qs.aggregate(**aggregates())], keys)
    return dict(out)


def figures(filters: dict[str, Any], period: Period, *, median: bool = True) -> Figures:
    """The figures of one scope; with the median handling time if asked. The median is read in SQL
    from the period's resolution facts: the middle one or two in order, so no list comes back."""
    result = totals(filters, period).get(None, Figures())
    n = int(result.resolved)
    if median and n:
        qs = Fact.objects.using(_db()).filter(scope_q(filters), kind=FactKind.RESOLVED, day__gte=period.start,
                                              day__lte=period.end).order_by("minutes").values_list("minutes", flat=True)
        middle = list(qs[(n - 1) // 2:n // 2 + 1])
        result.median_minutes = statistics.mean(middle) if middle else None
    return result


def with_medians(groups: dict[Any, Figures], filters: dict[str, Any], period: Period, by: str) -> dict[Any, Figures]:
    """Each group's median handling time too (one query over the period's resolution facts), so a table's
    median column shows a value wherever something was resolved."""
    minutes: dict[Any, list[float]] = defaultdict(list)
    qs = Fact.objects.using(_db()).filter(scope_q(filters), kind=FactKind.RESOLVED, day__gte=period.start,
                                          day__lte=period.end)
    for key, value in qs.values_list(GROUPS[by], "minutes").iterator():
        if value is not None:
            minutes[key].append(value)
    for key, f in groups.items():
        if minutes.get(key):
            f.median_minutes = statistics.median(minutes[key])
    return groups


# The funnel's stages: the requests received in the period, and of those, each stage the ones that also got
# this far (whenever it happened), so every stage is a part of the one before.
FUNNEL = [("收到", (FactKind.RECEIVED,)), ("受理", (FactKind.ACCEPTED,)),
          ("交办或即办", (FactKind.DISPATCHED, FactKind.RESOLVED)), ("办结", (FactKind.RESOLVED,)),
          ("回访", (FactKind.CALLBACK,))]


def funnel(filters: dict[str, Any], period: Period) -> list[tuple[str, int, str]]:
    """(label, requests, fact kind) per stage; counted in SQL, each stage a subquery of the one before."""
    first_kinds = FUNNEL[0][1]
    stage = (Fact.objects.using(_db()).filter(scope_q(filters), kind__in=first_kinds, day__gte=period.start,
                                              day__lte=period.end).values("ticket_id"))
    out = []
    for i, (label, kinds) in enumerate(FUNNEL):
        if i:
            stage = Fact.objects.using(_db()).filter(kind__in=kinds, ticket_id__in=stage).values("ticket_id")
        out.append((label, stage.order_by().distinct().count(), kinds[0]))
    return out


def trend(filters: dict[str, Any], period: Period) -> list[tuple[str, Figures]]:
    """The period day by day (up to two months) or month by month, every bucket present (empty ones as zeros)."""
    by = "month" if period.days > 62 else "day"
    data = totals(filters, period, by=by)
    if by == "day":
        buckets = [period.start + dt.timedelta(days=i) for i in range(period.days)]
    else:
        buckets, m = [], period.start.replace(day=1)
        while m <= period.end:
            buckets.append(m)
            m = _add_months(m, 1)
    return [(b.strftime("%Y-%m" if by == "month" else "%m-%d"), data.get(b, Figures())) for b in buckets]


# The same scope filters on the requests themselves, for what is true now rather than in a period.
TICKET_COLUMNS = {**FILTERS, "unit": "handling_unit_id"}


def overdue_now(filters: dict[str, Any]) -> int:
    """Requests in scope past a deadline now: tickets.queries.overdue_rule, the one definition the queues use."""
    cond = Q()
    for key, value in filters.items():
        column = TICKET_COLUMNS[key]
        cond &= Q(**{f"{column}__in" if isinstance(value, list | set | tuple) else column: value})
    return Ticket.objects.using(_db()).filter(cond).filter(overdue_rule(timezone.now())).count()
