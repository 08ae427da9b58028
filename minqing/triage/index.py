"""An in-memory similarity index over open requests, for duplicate search at intake.

Vectors are character 2–3-gram TF-IDF; the index keeps the transposed matrix (feature → requests),
so a query touches only the posting lists of its own n-grams, not every stored request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from .cluster import DEFAULT, Thresholds, same_matter, vectorizer
from .text import normalize, places


@dataclass(frozen=True)
class Entry:
    id: int
    text: str
    street_id: int
    community_id: int
    compound_id: int | None
    created_at: dt.datetime


@dataclass(frozen=True)
class Hit:
    id: int
    score: float


class SimilarityIndex:
    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = list(entries)
        self.places = [places(e.text) for e in self.entries]
        self.vectorizer = vectorizer(len(self.entries))
        if len(self.entries) >= 1:
            matrix = self.vectorizer.fit_transform([normalize(e.text) for e in self.entries])
            self.postings = matrix.T.tocsr()
        else:
            self.postings = None

    def search(self, text: str, *, street_id: int | None = None, community_id: int | None = None,
               compound_id: int | None = None, exclude: int | None = None, since: dt.datetime | None = None,
               limit: int = 5, t: Thresholds = DEFAULT) -> list[Hit]:
        """Requests probably about the same matter: same street (neighbouring communities), same place."""
        if self.postings is None or not normalize(text):
            return []
        query = self.vectorizer.transform([normalize(text)])
        scores = (query @ self.postings).tocoo()
        mine = places(text)
        hits = []
        for i, score in zip(scores.col, scores.data, strict=True):
            if score < min(t.same_place, t.no_place):
                continue
            e = self.entries[i]
            if e.id == exclude or (street_id is not None and e.street_id != street_id):
                continue
            if since is not None and e.created_at < since:
                continue
            theirs = set(self.places[i])
            # The structured location counts as a place too: two compounds are two places.
            if compound_id and e.compound_id:
                if compound_id != e.compound_id:
                    continue
                theirs.add(f"#compound{e.compound_id}")
                ours = mine | {f"#compound{compound_id}"}
            else:
                ours = mine
            if community_id and e.community_id == community_id and not (ours & theirs):
                ours = ours | {f"#community{community_id}"}
                theirs = theirs | {f"#community{community_id}"}
            if same_matter(float(score), ours, theirs, t):
                hits.append(Hit(e.id, float(score)))
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]

    def __len__(self) -> int:
        return len(self.entries)

