"""Reads of 主动治理: which requests a project's definition matches, its before/after figures, and the
knowledge-base entries that fit a request being taken in.

The figures are counted from evaluation's fact table (evaluation.facts) with evaluation's own counters
and formulas (figures.Figures), restricted to the project's requests: a project defined by a category
alone shows the numbers the 考核评价 dashboards show for that category."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import jieba
from django.db.models import Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from minqing.evaluation.facts import aggregates
from minqing.evaluation.figures import Figures, Period
from minqing.evaluation.models import Fact
from minqing.lib.db import reporting
from minqing.org.models import Area, AreaKind
from minqing.tickets.models import Category, Ticket

from .models import KnowledgeEntry, Project, ProjectTicket, TargetKind

_SPLIT = re.compile(r"[\s、，,;；/|]+")
AREA_COLUMN: dict[str, str] = {AreaKind.STREET: "street_id", AreaKind.COMMUNITY: "community_id", AreaKind.GRID: "grid_id",
               AreaKind.COMPOUND: "compound_id"}
EXCLUDED = ("rejected", "merged")  # as the hotspots count: not rejected requests, not duplicates merged away


def _add_months(day: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months after `day`'s."""
    y, m = divmod(day.year * 12 + day.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


def words(text: str) -> list[str]:
    return list(dict.fromkeys(w for w in _SPLIT.split(text or "") if w))


def window_start(project: Project) -> dt.date:
    """The first day of the 治理前 period: `baseline_months` whole months before the start date."""
    d = project.start_date
    y, m = divmod(d.year * 12 + d.month - 1 - project.baseline_months, 12)
    return dt.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def definition_q(*, category: Category | None, area: Area | None, place: str, keywords: str) -> Q:
    q = Q()
    if category is not None:
        q &= Q(category=category) | Q(category__parent=category) if category.parent_id is None else Q(category=category)
    if area is not None and area.kind in AREA_COLUMN:
        q &= Q(**{AREA_COLUMN[area.kind]: area.pk})
    if place.strip():
        p = place.strip()
        q &= Q(title__icontains=p) | Q(text__icontains=p) | Q(compound__name__icontains=p) | Q(community__name=p)
    any_word = Q()
    for w in words(keywords):
        any_word |= Q(title__icontains=w) | Q(text__icontains=w)
    return q & any_word


def matching(project: Project) -> QuerySet[Ticket]:
    """Requests the definition matches, registered since the start of the 治理前 period."""
    return Ticket.objects.filter(
        definition_q(category=project.category, area=project.area, place=project.place, keywords=project.keywords),
        created_at__gte=_midnight(window_start(project)),
    ).exclude(status__in=EXCLUDED)


# --- figures ------------------------------------------------------------------------------------
@dataclass
class Side:
    """治理前 or 治理后: the period and its figures."""

    label: str
    period: Period | None
    figures: Figures = field(default_factory=Figures)

    @property
    def days(self) -> int:
        return self.period.days if self.period else 0

    @property
    def volume(self) -> int:
        return int(self.figures.received)

    @property
    def per_month(self) -> float | None:
        """Requests per 30 days, so a short 治理后 compares with a longer 治理前."""
        return self.volume * 30 / self.days if self.days else None

    @property
    def satisfaction(self) -> float | None:
        return self.figures.satisfaction_rate


@dataclass
class AreaRow:
    area: str
    before: Figures
    after: Figures


@dataclass
class Report:
    project: Project
    before: Side
    after: Side
    # (YYYY-MM, figures of the month's days before the start, of its days from the start on, of the whole
    # month): the start's month has both parts.
    months: list[tuple[str, Figures, Figures, Figures]]
    areas: list[AreaRow]
    linked: int

    @property
    def volume_change(self) -> float | None:
        """月均诉求量 after ÷ before − 1 (−0.3 is 30 % fewer)."""
        b, a = self.before.per_month, self.after.per_month
        return a / b - 1 if b and a is not None else None

    @property
    def satisfaction_change(self) -> float | None:
        """满意率 after − before, in percentage points."""
        b, a = self.before.satisfaction, self.after.satisfaction
        return (a - b) * 100 if a is not None and b is not None else None

    @property
    def progress(self) -> float | None:
        """How much of the target is reached, 0–1 (None without figures on both sides)."""
        target = self.project.target_value or 0
        if not target:
            return None
        if self.project.target_kind == TargetKind.VOLUME:
            change = self.volume_change
            return None if change is None else max(0.0, min(1.0, -change * 100 / target))
        points = self.satisfaction_change
        return None if points is None else max(0.0, min(1.0, points / target))

    @property
    def reached(self) -> bool:
        return self.progress is not None and self.progress >= 1


def periods(project: Project, *, today: dt.date) -> tuple[Period, Period | None]:
    before = Period(window_start(project), project.start_date - dt.timedelta(days=1))
    after = Period(project.start_date, today) if today >= project.start_date else None
    return before, after


def report(project: Project, *, today: dt.date | None = None) -> Report:
    """The project's figures: 治理前 and 治理后, month by month, and by community."""
    today = today or timezone.localdate()
    before, after = periods(project, today=today)
    ids = list(ProjectTicket.objects.filter(project=project).values_list("ticket_id", flat=True))
    end = after.end if after else before.end
    facts = Fact.objects.using(reporting()).filter(ticket_id__in=ids, day__gte=before.start, day__lte=end)
    sums = aggregates()
    sides = {"before": Side("治理前", before), "after": Side("治理后", after)}
    by_month: dict[tuple[dt.date, bool], Figures] = {}
    for row in facts.annotate(month=TruncMonth("day")).values("month", "day").order_by().annotate(**sums):
        after_start = row["day"] >= project.start_date
        sides["after" if after_start else "before"].figures.add(row)
        month = row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]
        by_month.setdefault((month, after_start), Figures()).add(row)
    # Split by community, each side on its own.
    areas: dict[int, AreaRow] = {}
    for row in facts.values("community_id", "day").order_by().annotate(**sums):
        cid = row["community_id"]
        if cid not in areas:
            areas[cid] = AreaRow("", Figures(), Figures())
        (areas[cid].after if row["day"] >= project.start_date else areas[cid].before).add(row)
    names = dict(Area.objects.filter(pk__in=list(areas)).values_list("pk", "name"))
    for cid, r in areas.items():
        r.area = names.get(cid, "—")
    months = []
    m = before.start.replace(day=1)
    while m <= end:
        b, a, whole = by_month.get((m, False), Figures()), by_month.get((m, True), Figures()), Figures()
        whole.add(b.counters)
        whole.add(a.counters)
        months.append((m.strftime("%Y-%m"), b, a, whole))
        m = _add_months(m, 1)
    rows = sorted(areas.values(), key=lambda r: (-(r.before.received + r.after.received), r.area))
    return Report(project, sides["before"], sides["after"], months, rows, len(ids))


def chart(rep: Report) -> dict[str, Any]:
    """The before/after chart's data (static/js/governance.js draws it)."""
    def pct(value: float | None) -> float | None:
        return round(value * 100, 1) if value is not None else None
    start = rep.project.start_date.replace(day=1)
    return {
        "labels": [label for label, _, _, _ in rep.months],
        # A month after the start has no 治理前 bar, one before it no 治理后 bar; the start's month has both.
        "before": [int(b.received) if label < f"{start:%Y-%m}" or b.received else None for label, b, _, _ in rep.months],
        "after": [int(a.received) if label >= f"{start:%Y-%m}" else None for label, _, a, _ in rep.months],
        "satisfaction": [pct(whole.satisfaction_rate) for _, _, _, whole in rep.months],
        "start": f"{start:%Y-%m}",
    }


# --- knowledge base -----------------------------------------------------------------------------
_STOP = set("的了是在我们你他她它这那和与及或也都就还又很太吗呢吧啊呀请问怎么如何什么哪里可以能不要想需要一个有没有")
jieba.setLogLevel(60)


def terms(text: str) -> set[str]:
    """jieba words of a text that can carry meaning (two characters or more, not function words)."""
    return {w for w in jieba.lcut_for_search((text or "").lower()) if len(w.strip()) >= 2 and not set(w) <= _STOP}


@dataclass
class Hit:
    entry: KnowledgeEntry
    score: float


def suggest_entries(*, text: str, category: Category | None, limit: int = 5) -> list[Hit]:
    """Entries that fit a request: by the words it shares with the question and keywords, and by category
    (an entry of the same category first; of the same first-level category next)."""
    wanted = terms(text)
    hits = []
    for entry in KnowledgeEntry.objects.filter(active=True).select_related("category"):
        own = terms(entry.question) | {w.lower() for w in words(entry.keywords)}
        shared = len(wanted & own) + sum(1 for w in words(entry.keywords) if len(w) >= 2 and w in (text or ""))
        if not shared:
            continue
        score = float(shared)
        if category is not None and entry.category_id is not None:
            if entry.category_id == category.pk:
                score += 2
            elif (entry.category is not None and category.parent_id is not None
                  and entry.category.parent_id == category.parent_id):
                score += 1
        hits.append(Hit(entry, score))
    hits.sort(key=lambda h: (-h.score, -h.entry.uses, h.entry.pk))
    return hits[:limit]
