"""Same-matter grouping: the engine behind duplicates and hotspots.

Two messages concern the same matter when they speak of the same place and the same problem.
Text similarity is the cosine of character 2–3-gram TF-IDF vectors; places are the names
`text.places` finds. The rule, tuned on the public data (see README, 智能分拨):

- two messages that both name places, none in common, are different matters, however alike;
- near copies (similarity ≥ COPY) are otherwise the same matter;
- sharing a place, similarity ≥ SAME_PLACE is enough (different words for one problem);
- otherwise (a place named by one side only, or none) similarity ≥ NO_PLACE is needed.

Groups are the connected components of these pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.pipeline import Pipeline, make_pipeline

from .text import normalize, places

COPY = 0.85
SAME_PLACE = 0.22
NO_PLACE = 0.5


@dataclass(frozen=True)
class Thresholds:
    copy: float = COPY
    same_place: float = SAME_PLACE
    no_place: float = NO_PLACE


DEFAULT = Thresholds()


def same_matter(similarity: float, places_a: set[str], places_b: set[str], t: Thresholds = DEFAULT) -> bool:
    if places_a and places_b:
        return bool(places_a & places_b) and similarity >= t.same_place
    return similarity >= min(t.no_place, t.copy)


IDF_MIN_DOCS = 200


def vectorizer(documents: int) -> Pipeline:
    """Character 2–3-grams, hashed, weighted by TF-IDF. Inverse document frequency needs a corpus
    to mean anything: below IDF_MIN_DOCS texts it would punish exactly the words two reports share,
    so plain (sublinear) TF is used then."""
    return make_pipeline(
        HashingVectorizer(analyzer="char", ngram_range=(2, 3), n_features=2**20, alternate_sign=False, norm=None,
                          dtype=np.float32),
        TfidfTransformer(sublinear_tf=True, use_idf=documents >= IDF_MIN_DOCS),
    )


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def cluster(texts: Sequence[str], t: Thresholds = DEFAULT, chunk: int = 2000) -> list[int | None]:
    """A group number for every text, or None for a text that stands alone."""
    n = len(texts)
    if n == 0:
        return []
    clean = [normalize(x) for x in texts]
    found = [places(x) for x in texts]
    nonempty = [i for i, x in enumerate(clean) if x]
    union = _Union(n)
    if len(nonempty) > 1:
        matrix = vectorizer(len(nonempty)).fit_transform([clean[i] for i in nonempty])
        floor = min(t.same_place, t.no_place, t.copy)
        for start in range(0, len(nonempty), chunk):
            block = (matrix[start:start + chunk] @ matrix.T).tocoo()
            for r, c, s in zip(block.row, block.col, block.data, strict=True):
                a, b = nonempty[start + r], nonempty[c]
                if a < b and s >= floor and same_matter(float(s), found[a], found[b], t):
                    union.join(a, b)
    roots = [union.find(i) for i in range(n)]
    sizes: dict[int, int] = {}
    for r in roots:
        sizes[r] = sizes.get(r, 0) + 1
    numbering: dict[int, int] = {}
    result: list[int | None] = []
    for r in roots:
        if sizes[r] < 2:
            result.append(None)
        else:
            result.append(numbering.setdefault(r, len(numbering) + 1))
    return result
