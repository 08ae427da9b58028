"""An in-memory index of open requests, for duplicate search at intake.

A request is filed under its places (the keys of the names its text gives, its registered compound
and its community), and the character 2–3-gram TF-IDF vector of what it says about them is kept. A
query looks up the requests filed under its own places and scores only those, so a search costs
what its places hold, not what the whole district holds; only a query that names no place at all
and has no registered location is compared with every request (for near copies).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .cluster import DEFAULT, Location, Reading, Thresholds, read, reason, same_matter, vectorizer
from .matter import EMPTY, Gazetteer, Reason
from .text import normalize

MAX_CHECKED = 500  # candidates checked one by one per search, most alike first


@dataclass(frozen=True)
class Entry:
    id: int
    text: str
    street_id: int
    community_id: int
    compound_id: int | None
    created_at: dt.datetime
    community_name: str = ""
    compound_name: str = ""


@dataclass(frozen=True)
class Hit:
    id: int
    score: float
    reason: Reason | None = None


def _location(community_id: int | None, compound_id: int | None, community_name: str = "",
              compound_name: str = "") -> Location | None:
    if not community_id and not compound_id:
        return None
    return Location(community_id or None, compound_id or None, community_name, compound_name)


REFIT_SHARE = 0.25  # rebuild the weights from scratch when this share of the requests is new


class SimilarityIndex:
    """`previous`: the index this one replaces. Requests it already held with the same text keep their
    reading and their vector (read once, not every few minutes); the term weights are refitted only
    when more than REFIT_SHARE of the requests are new."""

    matrix: sparse.csr_matrix | None
    postings: sparse.csr_matrix | None

    def __init__(self, entries: Sequence[Entry], gazetteer: Gazetteer = EMPTY,
                 readings: Sequence[Reading] | None = None, previous: SimilarityIndex | None = None) -> None:
        self.entries = list(entries)
        self.gazetteer = gazetteer
        n = len(self.entries)
        kept: dict[int, int] = {}  # entry → its row in `previous`
        if previous is not None and previous.matrix is not None and previous.gazetteer == gazetteer:
            rows = {e.id: (k, e.text) for k, e in enumerate(previous.entries)}
            for i, e in enumerate(self.entries):
                was = rows.get(e.id)
                if was is not None and was[1] == e.text:
                    kept[i] = was[0]
        if readings is not None:
            self.readings = list(readings)
        else:
            self.readings = [previous.readings[kept[i]] if previous is not None and i in kept else
                             read(e.text, _location(e.community_id, e.compound_id, e.community_name, e.compound_name),
                                  gazetteer)
                             for i, e in enumerate(self.entries)]
        self.street = np.array([e.street_id for e in self.entries], dtype=np.int64)
        self.created = np.array([e.created_at.timestamp() for e in self.entries], dtype=np.float64)
        self.ids = np.array([e.id for e in self.entries], dtype=np.int64)
        postings: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(self.readings):
            for key in r.filed_under():
                postings[key].append(i)
        self.places = {k: np.array(v, dtype=np.int64) for k, v in postings.items()}
        if not self.entries:
            self.vectorizer = vectorizer(0)
            self.matrix = self.postings = None
            return
        fresh = [i for i in range(n) if i not in kept]
        if previous is None or not kept or len(fresh) > REFIT_SHARE * n:
            self.vectorizer = vectorizer(n)
            self.matrix = self.vectorizer.fit_transform([normalize(r.matter.rest) for r in self.readings]).tocsr()
        else:
            assert previous.matrix is not None
            self.vectorizer = previous.vectorizer
            old = [i for i in range(n) if i in kept]
            parts = [previous.matrix[[kept[i] for i in old]]]
            if fresh:
                parts.append(self.vectorizer.transform([normalize(self.readings[i].matter.rest) for i in fresh]))
            order = np.argsort(np.array(old + fresh, dtype=np.int64), kind="stable")
            self.matrix = sparse.vstack(parts, format="csr")[order]
        self.postings = self.matrix.T.tocsr()

    def search(self, text: str, *, street_id: int | None = None, community_id: int | None = None,
               compound_id: int | None = None, exclude: int | None = None, since: dt.datetime | None = None,
               limit: int = 5, t: Thresholds = DEFAULT) -> list[Hit]:
        """Requests probably about the same matter: same place and same problem, or a near copy.
        With `street_id`, only that street's requests (a community and its neighbours)."""
        if self.matrix is None or not normalize(text):
            return []
        query = read(text, _location(community_id, compound_id), self.gazetteer)
        vector = self.vectorizer.transform([normalize(query.matter.rest)]).tocsr()
        keys = query.lookup()
        if keys:
            found = [self.places[k] for k in keys if k in self.places]
            candidates = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
            scores = np.asarray((self.matrix[candidates] @ vector.T).todense()).ravel() if len(candidates) else \
                np.zeros(0)
        else:  # no place to look under: near copies only, from the whole index
            product = (vector @ self.postings).tocoo()
            candidates, scores = product.col.astype(np.int64), product.data
        # Filed under the same place: even a low similarity may be the same matter (one building, one
        # named problem); found by similarity alone: a near copy only.
        keep = scores >= (0.0 if keys else min(t.no_place, t.copy))
        if street_id is not None:
            keep &= self.street[candidates] == street_id
        if since is not None:
            keep &= self.created[candidates] >= since.timestamp()
        if exclude is not None:
            keep &= self.ids[candidates] != exclude
        candidates, scores = candidates[keep], scores[keep]
        # Best first, and only as many as it takes: a popular road may hold thousands of requests.
        order = np.argsort(-scores, kind="stable")[:MAX_CHECKED]
        hits = []
        for i, score in zip(candidates[order].tolist(), scores[order].tolist(), strict=True):
            other = self.readings[i]
            if same_matter(score, query, other, t):
                hits.append(Hit(self.entries[i].id, float(score), reason(query, other, score, t)))
                if len(hits) == limit:
                    break
        return hits

    def __len__(self) -> int:
        return len(self.entries)

