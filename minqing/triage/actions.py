"""Writes and reads of the triage: training, suggestions and their record, duplicates, hotspots."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold

from minqing.org.models import Area, AreaKind
from minqing.tickets.lifecycle import OPEN_STATUSES, Status
from minqing.tickets.models import Category, Ticket

from . import matter as mt
from .cluster import Location, groups
from .engine import TextClassifier
from .index import Entry, Hit, SimilarityIndex
from .models import KeywordRule, Suggestion, TriageModel
from .text import normalize

MIN_SAMPLES = 200


def digest(text: str) -> str:
    return hashlib.sha1(normalize(text).encode(), usedforsecurity=False).hexdigest()


# --- training ---------------------------------------------------------------------------------
def held_out_folds(texts: list[str], labels: np.ndarray, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds for the figures the model is judged by: copies of one text (after normalisation; a district's
    history repeats itself, and the demo's more so) always fall in the same fold, so no request is scored
    on a model that has seen its own words."""
    groups = [digest(t) for t in texts]
    return list(StratifiedGroupKFold(folds, shuffle=True, random_state=0).split(texts, labels, groups))


def model_train(*, min_samples: int = MIN_SAMPLES, folds: int = 3) -> TriageModel:
    """Retrain from the district's own closed requests (categories as finally decided)."""
    rows = list(Ticket.objects.filter(status__in=[Status.CLOSED, Status.RESOLVED]).order_by("-id")
                .values_list("title", "text", "category_id")[:200_000])
    distinct: dict[int, set[str]] = {}
    for title, text, c in rows:
        distinct.setdefault(c, set()).add(digest(f"{title} {text}"))
    rows = [r for r in rows if len(distinct[r[2]]) >= folds]  # a category needs a text for every fold
    if len(rows) < min_samples or len({c for _, _, c in rows}) < 2:
        raise ValueError(f"历史事项不足（{len(rows)} 条），继续使用关键词规则。至少需要 {min_samples} 条已结案事项。")
    texts = [f"{title} {text}" for title, text, _ in rows]
    labels = np.array([str(c) for _, _, c in rows])
    f1s, accs = [], []
    for train, test in held_out_folds(texts, labels, folds):
        model = TextClassifier().fit([texts[i] for i in train], labels[train])
        predicted = model.predict([texts[i] for i in test])
        f1s.append(f1_score(labels[test], predicted, average="macro", zero_division=0))
        accs.append(accuracy_score(labels[test], predicted))
    started = time.perf_counter()
    model = TextClassifier().fit(texts, list(labels))
    seconds = time.perf_counter() - started
    blob = model.dumps()
    with transaction.atomic():
        TriageModel.objects.filter(active=True).update(active=False)
        saved = TriageModel.objects.create(
            trained_at=timezone.now(), samples=len(texts), labels=model.labels, cv_macro_f1=float(np.mean(f1s)),
            cv_accuracy=float(np.mean(accs)), train_seconds=seconds, size_bytes=len(blob), blob=blob, active=True,
        )
    _loaded.clear()
    return saved


_loaded: dict[int, TextClassifier] = {}
_lock = threading.Lock()


def active_model() -> tuple[TriageModel | None, TextClassifier | None]:
    row = TriageModel.objects.filter(active=True).defer("blob").first()
    if row is None:
        return None, None
    with _lock:
        if row.pk not in _loaded:
            _loaded.clear()
            _loaded[row.pk] = TextClassifier.loads(bytes(TriageModel.objects.get(pk=row.pk).blob))
        return row, _loaded[row.pk]


# --- suggestions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Proposal:
    category: Category
    confidence: float
    method: str


def suggest(text: str, *, top: int = 3) -> list[Proposal]:
    text = (text or "").strip()
    if len(normalize(text)) < 4:
        return []
    _, model = active_model()
    if model is not None:
        ranked = model.rank(text[:5000], top=top)
        categories = Category.objects.select_related("parent").in_bulk([int(r.label) for r in ranked])
        return [Proposal(categories[int(r.label)], r.confidence, "model") for r in ranked if int(r.label) in categories]
    # Cold start: keyword rules per category, edited by admins.
    scores = []
    for rule in KeywordRule.objects.filter(active=True, category__active=True).select_related("category__parent"):
        hits = sum(1 for w in rule.words() if w in text)
        if hits:
            scores.append((hits, rule.category))
    scores.sort(key=lambda x: -x[0])
    total = sum(h for h, _ in scores) or 1
    return [Proposal(c, h / total, "keywords") for h, c in scores[:top]]


def suggestion_record(text: str, proposals: list[Proposal]) -> Suggestion | None:
    if not proposals:
        return None
    best = proposals[0]
    return Suggestion.objects.create(digest=digest(text), suggested=best.category, confidence=best.confidence,
                                     method=best.method)


def suggestion_link(ticket: Ticket) -> Suggestion | None:
    """When a request is registered, record whether the suggestion shown for its text was taken."""
    since = ticket.created_at - dt.timedelta(hours=6)
    s = (Suggestion.objects.filter(digest=digest(ticket.text), ticket=None, created_at__gte=since)
         .order_by("-created_at").first())
    if s is None:
        return None
    Suggestion.objects.filter(pk=s.pk).update(ticket=ticket, final=ticket.category_id,
                                              accepted=s.suggested_id == ticket.category_id)
    return s


# --- duplicates ---------------------------------------------------------------------------------
_index: tuple[float, dt.datetime, SimilarityIndex] | None = None
_gazetteer: tuple[float, mt.Gazetteer] | None = None
REBUILD_SECONDS = 300


def window_days() -> int:
    return int(settings.MINQING.get("DUPLICATE_WINDOW_DAYS", 60))


def gazetteer() -> mt.Gazetteer:
    """The district's own place names (streets, communities, compounds), read every few minutes."""
    global _gazetteer
    with _lock:
        if _gazetteer is None or time.monotonic() - _gazetteer[0] > REBUILD_SECONDS:
            kinds = {AreaKind.STREET: mt.STREET, AreaKind.COMMUNITY: mt.COMMUNITY, AreaKind.COMPOUND: mt.COMPOUND}
            names = [(name, kinds[kind]) for name, kind in
                     Area.objects.filter(kind__in=list(kinds)).values_list("name", "kind")]
            _gazetteer = (time.monotonic(), mt.Gazetteer.of(names))
        return _gazetteer[1]


def _candidates():
    since = timezone.now() - dt.timedelta(days=window_days())
    return Ticket.objects.filter(status__in=[*OPEN_STATUSES, Status.RESOLVED], created_at__gte=since)


def _entries(qs) -> list[Entry]:
    # Titles add little; the resident's own words carry the matter.
    return [Entry(*row) for row in qs.values_list("id", "text", "street_id", "community_id", "compound_id",
                                                  "created_at", "community__name", "compound__name")]


_building = threading.Event()


def _build(places: mt.Gazetteer, previous: SimilarityIndex | None) -> tuple[float, dt.datetime, SimilarityIndex]:
    built_at = timezone.now()
    entries = _entries(_candidates().filter(created_at__lte=built_at))
    return time.monotonic(), built_at, SimilarityIndex(entries, places, previous=previous)


def _build_in_background(places: mt.Gazetteer, previous: SimilarityIndex) -> None:
    global _index
    try:
        built = _build(places, previous)
        with _lock:
            _index = built
    finally:
        _building.clear()
        connection.close()  # this thread's own database connection


def open_index() -> tuple[SimilarityIndex, SimilarityIndex | None]:
    """The index of open requests, plus a small one of what came since it was built.

    Building the index of 100,000 open requests takes a minute or more (each text is read for its
    places and problems), so it is built once in the request that first needs it and then rebuilt
    every few minutes in a background thread, keeping what it read of unchanged requests
    (`SimilarityIndex(previous=...)`), while searches go on against the previous one; requests registered since the last build are searched
    in a second, small index built on the spot.
    """
    global _index
    places = gazetteer()
    with _lock:
        current = _index
    if current is None:
        current = _build(places, None)
        with _lock:
            _index = current
    elif time.monotonic() - current[0] > REBUILD_SECONDS and not _building.is_set():
        _building.set()
        threading.Thread(target=_build_in_background, args=(places, current[2]), name="triage-index",
                         daemon=True).start()
    _, built_at, index = current
    recent = _entries(_candidates().filter(created_at__gt=built_at))
    return index, SimilarityIndex(recent, places) if recent else None


def index_reset() -> None:
    global _index, _gazetteer
    with _lock:
        _index = None
        _gazetteer = None


@dataclass(frozen=True)
class Duplicate:
    ticket: Ticket
    score: float
    reason: str  # 同一地点：金城花园 3栋；同一问题：路灯、不亮


def duplicates_for(*, text: str, street_id: int | None, community_id: int | None = None,
                   compound_id: int | None = None, exclude: int | None = None, limit: int = 5) -> list[Duplicate]:
    since = timezone.now() - dt.timedelta(days=window_days())
    hits: list[Hit] = []
    for index in open_index():
        if index is not None:
            hits += index.search(text, street_id=street_id, community_id=community_id, compound_id=compound_id,
                                 exclude=exclude, since=since, limit=limit)
    hits.sort(key=lambda h: -h.score)
    hits = hits[:limit]
    open_now = set(_candidates().filter(pk__in=[h.id for h in hits]).values_list("pk", flat=True))
    hits = [h for h in hits if h.id in open_now]  # closed since the index was built
    tickets = Ticket.objects.select_related("community", "category").in_bulk([h.id for h in hits])
    return [Duplicate(tickets[h.id], h.score, str(h.reason or "")) for h in hits if h.id in tickets]


# --- hotspots ---------------------------------------------------------------------------------
@dataclass
class Hotspot:
    place: str
    problem: str
    words: list[str]
    count: int
    recent: int
    earlier: int
    first: dt.datetime
    last: dt.datetime
    communities: list[str]
    examples: list[Ticket]

    @property
    def title(self) -> str:
        """What the matter is, in a few words: the place and the problem (a meeting topic, a need)."""
        problem = self.problem or "、".join(self.words[:2])
        if self.place and problem:
            return f"{self.place}：{problem}"
        return self.place or problem or (self.examples[0].title if self.examples else "")

    @property
    def topic(self) -> str:
        """A meeting topic: the matter, then the latest request's own title."""
        example = self.examples[0].title if self.examples else ""
        return f"{self.title}——{example}" if example and example != self.title else self.title

    @property
    def trend(self) -> str:
        if self.recent > self.earlier:
            return "上升"
        return "下降" if self.recent < self.earlier else "持平"


def hotspots(tickets: list[Ticket], *, days: int, minimum: int = 3) -> list[Hotspot]:
    """Recurring matters among `tickets`: groups of one place and one problem with at least `minimum`
    requests."""
    locations = [Location(t.community_id, t.compound_id, t.community.name if t.community_id else "",
                          t.compound.name if t.compound_id else "") for t in tickets]
    found = groups([f"{t.title} {t.text}" for t in tickets], locations=locations, gazetteer=gazetteer())
    half = timezone.now() - dt.timedelta(days=days / 2)
    result = []
    for group in found:
        if len(group.members) < minimum:
            continue
        members = sorted((tickets[i] for i in group.members), key=lambda t: t.created_at, reverse=True)
        result.append(Hotspot(
            place=group.place, problem=group.problem, words=group.words, count=len(members),
            recent=sum(1 for t in members if t.created_at >= half), earlier=sum(1 for t in members if t.created_at < half),
            first=members[-1].created_at, last=members[0].created_at,
            communities=sorted({t.community.name for t in members}), examples=members[:3],
        ))
    result.sort(key=lambda h: (-h.count, -h.last.timestamp()))
    return result
