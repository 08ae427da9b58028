"""Same-matter grouping: the engine behind duplicates and hotspots.

Two messages are one matter when they speak of the same place and the same problem (`matter.py`
reads both out of the text; a request's registered compound and community are places too):

- different places — two compounds, 3栋 and 7栋 of one compound, two districts — are never one
  matter, however alike the words (the same complaint about another compound is another matter);
- near copies (text similarity ≥ COPY) are otherwise always one matter;
- two messages that each name problems of `problems.PROBLEMS` and share none are two matters;
- at one place, the problem must agree: similarity ≥ SAME_PLACE, or ≥ FLOOR when both name one of
  the problems that is not a generic one (噪音 alone is not enough), or any similarity when they
  also name the same building;
- when either names no place at all, only similarity ≥ NO_PLACE joins them.

Similarity is the cosine of character 2–3-gram TF-IDF vectors of what the messages say once their
places are taken out (`Matter.rest`): in a short message a compound's name alone would make two
reports of different problems there look alike. Groups are then made coherent: a
group keeps the members that name its most common place (however spelled), its most reported
building, and its main problems; the rest are grouped again among themselves. So a chain A–B–C never puts a matter of one compound into a
group of another, and every group has a place and a problem to show.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.pipeline import Pipeline, make_pipeline

from . import matter as mt
from .matter import DIFFERENT, EMPTY, SAME, UNKNOWN, Gazetteer, Matter, Reason
from .problems import PROBLEMS, strong
from .text import normalize

COPY = 0.85
SAME_PLACE = 0.15
FLOOR = 0.07
NO_PLACE = 0.5


@dataclass(frozen=True)
class Thresholds:
    copy: float = COPY
    same_place: float = SAME_PLACE
    floor: float = FLOOR
    no_place: float = NO_PLACE


DEFAULT = Thresholds()


@dataclass(frozen=True)
class Location:
    """Where a request was registered: its compound and community (ids and names)."""

    community: int | None = None
    compound: int | None = None
    community_name: str = ""
    compound_name: str = ""


@dataclass(frozen=True)
class Reading:
    """A message read once for grouping."""

    matter: Matter
    location: Location | None = None

    @property
    def strong(self) -> frozenset[str]:
        return frozenset(strong(self.matter.problems))

    def filed_under(self) -> set[str]:
        """Where it is filed: its names' keys, its registered compound and its community."""
        return self._keys(community_too=True)

    def lookup(self) -> set[str]:
        """Where to look for it: its names' keys and its compound or, without one, its community."""
        return self._keys(community_too=False)

    def _keys(self, *, community_too: bool) -> set[str]:
        keys = {k for m in self.matter.places for k in mt.name_keys(m.name)}
        loc = self.location
        if loc is not None and loc.compound:
            keys.add(f"#c{loc.compound}")
        if loc is not None and loc.community and (community_too or not loc.compound):
            keys.add(f"#m{loc.community}")
        return keys


def read(text: str, location: Location | None = None, gazetteer: Gazetteer = EMPTY) -> Reading:
    return Reading(mt.read(text, gazetteer), location)


_ACROSS = {mt.ROAD, mt.LANDMARK, mt.VILLAGE, mt.QUARTER}


def _coarse_shared(a: Matter, b: Matter) -> bool:
    """They share a road, landmark, village or quarter: a place that lies across compounds and communities."""
    return any(x.kind in _ACROSS and y.kind in _ACROSS and mt.same_name(x.name, y.name)
               for x in a.places for y in b.places)


def relation(a: Reading, b: Reading) -> str:
    """SAME, DIFFERENT or UNKNOWN place, from the texts and the registered compounds and communities."""
    text = mt.place_relation(a.matter, b.matter)
    la, lb = a.location, b.location
    if la is None or lb is None:
        return text
    if la.compound and lb.compound:
        if la.compound != lb.compound:
            return SAME if text == SAME and _coarse_shared(a.matter, b.matter) else DIFFERENT
        return DIFFERENT if text == DIFFERENT else mt.units_relation(a.matter, b.matter)
    if la.community and lb.community:
        if la.community != lb.community:
            return SAME if text == SAME and _coarse_shared(a.matter, b.matter) else DIFFERENT
        return mt.units_relation(a.matter, b.matter) if text == UNKNOWN else text
    return text


def same_matter(similarity: float, a: Reading, b: Reading, t: Thresholds = DEFAULT) -> bool:
    place = relation(a, b)
    if place == DIFFERENT:
        return False
    if similarity >= t.copy:
        return True
    if a.matter.problems and b.matter.problems and not a.matter.problems & b.matter.problems:
        return False  # both say what is wrong, and it is not the same thing
    if place == SAME:
        if a.strong & b.strong and any(u.endswith("栋") for u in a.matter.units & b.matter.units):
            return True  # one building, one named problem: 3号楼的路灯
        return similarity >= t.same_place or (similarity >= t.floor and bool(a.strong & b.strong))
    return similarity >= t.no_place


def reason(a: Reading, b: Reading, similarity: float, t: Thresholds = DEFAULT) -> Reason:
    """Why two readings were taken for one matter: shared places (the registered compound or
    community when the texts name none) and shared problem words."""
    extra: list[str] = []
    la, lb = a.location, b.location
    if la and lb and la.compound and la.compound == lb.compound and (la.compound_name or lb.compound_name):
        extra.append(la.compound_name or lb.compound_name)
    elif la and lb and la.community and la.community == lb.community and (la.community_name or lb.community_name) \
            and not a.matter.shared_places(b.matter):
        extra.append(la.community_name or lb.community_name)
    return mt.explain(a.matter, b.matter, copy=similarity >= t.copy, extra_places=extra)


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


@dataclass
class Group:
    """Messages of one matter, with the place and the problem they share."""

    members: list[int]
    place: str = ""
    problem: str = ""
    words: list[str] = field(default_factory=list)


def _edges(readings: Sequence[Reading], clean: Sequence[str], t: Thresholds, chunk: int) -> dict[tuple[int, int], float]:
    """Pairs taken for one matter, with their similarity. Pairs at one place are found through the
    places' keys (their similarity may be low); all others must be alike enough to be found by the
    similarity search itself (≥ NO_PLACE)."""
    n = len(readings)
    nonempty = [i for i in range(n) if clean[i]]
    edges: dict[tuple[int, int], float] = {}
    if len(nonempty) < 2:
        return edges
    matrix = vectorizer(len(nonempty)).fit_transform([clean[i] for i in nonempty]).tocsr()
    row = {i: r for r, i in enumerate(nonempty)}
    strong = np.array([_mask(r.strong) for r in readings], dtype=np.int64)
    building = np.array([_building(r) for r in readings], dtype=np.int64)
    # Registered places, to drop at once the pairs of two compounds (or two communities) that share
    # no road or landmark in their texts: most pairs of a district's templated reports.
    compound = np.array([(r.location.compound or 0) if r.location else 0 for r in readings], dtype=np.int64)
    community = np.array([(r.location.community or 0) if r.location else 0 for r in readings], dtype=np.int64)
    across = np.array([any(m.kind in _ACROSS for m in r.matter.places) for r in readings], dtype=bool)

    def apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        two = ((compound[a] != compound[b]) & (compound[a] > 0) & (compound[b] > 0)) | \
            ((community[a] != community[b]) & (community[a] > 0) & (community[b] > 0))
        return two & ~(across[a] & across[b])

    seen: set[tuple[int, int]] = set(edges)

    def consider(a: int, b: int, s: float) -> None:
        key = (a, b) if a < b else (b, a)
        if key in seen:
            return
        seen.add(key)
        if same_matter(s, readings[a], readings[b], t):
            edges[key] = s

    # At one place: every pair filed under a shared key, scored block by block.
    blocks: dict[str, list[int]] = defaultdict(list)
    for i in nonempty:
        for k in readings[i].filed_under():
            blocks[k].append(i)
    for key, members in sorted(blocks.items()):  # a fixed order: the same groups in every process
        if key.startswith("#m"):  # a community: only for requests with no compound of their own
            members = [i for i in members if not compound[i]] + [i for i in members if compound[i]]
            if not members or compound[members[0]]:
                continue
        if len(members) < 2 or len(members) > 3000:
            continue  # a key shared by thousands is not a place (the similarity search still runs)
        if len(members) == 2:
            a, b = members
            if (min(a, b), max(a, b)) in seen:
                continue
            s = _dot(matrix, row[a], row[b])
            if s >= t.same_place or (strong[a] & strong[b] and (s >= t.floor or building[a] == building[b] >= 0)):
                consider(a, b, s)
            continue
        sub = _compact(matrix[[row[i] for i in members]])
        sims = (sub @ sub.T).toarray()
        masks = strong[members]
        shared = (masks[:, None] & masks[None, :]) != 0
        buildings = building[members]
        one_building = (buildings[:, None] == buildings[None, :]) & (buildings[:, None] >= 0)
        ok = (sims >= t.same_place) | (((sims >= t.floor) | one_building) & shared)
        index = np.array(members, dtype=np.int64)
        ok &= ~apart(index[:, None], index[None, :])
        ai, bi = np.nonzero(np.triu(ok, 1))
        for x, y in zip(ai.tolist(), bi.tolist(), strict=True):
            consider(members[x], members[y], float(sims[x, y]))
    # Anywhere: alike enough to need no place.
    floor = min(t.no_place, t.copy)
    for start in range(0, len(nonempty), chunk):
        block = (matrix[start:start + chunk] @ matrix.T).tocoo()
        keep = block.data >= floor
        rows_a = np.asarray(nonempty, dtype=np.int64)[block.row[keep] + start]
        rows_b = np.asarray(nonempty, dtype=np.int64)[block.col[keep]]
        near = (rows_a < rows_b) & ~apart(rows_a, rows_b)
        for a, b, s in zip(rows_a[near].tolist(), rows_b[near].tolist(), block.data[keep][near].tolist(), strict=True):
            consider(a, b, float(s))
    return edges


def _dot(matrix, a: int, b: int) -> float:
    sa, sb = slice(matrix.indptr[a], matrix.indptr[a + 1]), slice(matrix.indptr[b], matrix.indptr[b + 1])
    _, ia, ib = np.intersect1d(matrix.indices[sa], matrix.indices[sb], assume_unique=True, return_indices=True)
    return float(np.dot(matrix.data[sa][ia], matrix.data[sb][ib]))


def _compact(matrix):
    """The same rows over only the columns in use: 2**20 hashed columns make every product slow."""
    used, inverse = np.unique(matrix.indices, return_inverse=True)
    from scipy.sparse import csr_matrix

    return csr_matrix((matrix.data, inverse.astype(np.int32), matrix.indptr), shape=(matrix.shape[0], len(used)))


def _top(counter: Counter[str], n: int) -> list[tuple[str, int]]:
    """The n most counted, ties broken by name: the same answer in every process."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def _building(r: Reading) -> int:
    """A number for the one building a message names, -1 if it names none or several."""
    units = [u for u in r.matter.units if u.endswith("栋")]
    return abs(hash(units[0])) % (1 << 62) if len(units) == 1 else -1


def _mask(problems: frozenset[str]) -> int:
    bits = 0
    for p in problems:
        bits |= 1 << _PROBLEM_BIT[p]
    return bits


_PROBLEM_BIT = {p: i for i, p in enumerate(PROBLEMS)}


def _problem_fits(core: list[int], readings: Sequence[Reading]) -> list[int]:
    """The members that speak of the group's main problems: its most named specific problems, or for
    a member naming only generic ones (物业, 噪音 ...), its most named problems of any kind."""
    strong = Counter(p for i in core for p in readings[i].strong)
    main = {p for p, votes in _top(strong, 3) if votes >= 2}
    every = Counter(p for i in core for p in readings[i].matter.problems)
    main_any = {p for p, votes in _top(every, 3) if votes >= 2}
    if not main and not main_any:
        return core
    fits = []
    for i in core:
        r = readings[i]
        if r.strong:
            ok = bool(r.strong & main) or not main
        else:
            ok = not r.matter.problems or bool(r.matter.problems & main_any)
        if ok:
            fits.append(i)
    return fits


def _place_classes(component: list[int], readings: Sequence[Reading]) -> dict[int, set[str]]:
    """For each member, the places it names as classes: spellings of one place (伊景园, 伊景园滨河苑,
    滨河苑 ...) are joined within the group, so each member names the class however it spells it.
    A registered compound is a class of its own; a community too, for members naming nothing."""
    names = sorted({m.name for i in component for m in readings[i].matter.places})
    index = {n: k for k, n in enumerate(names)}
    union = _Union(len(names))
    if len(names) <= 400:
        for x in range(len(names)):
            for y in range(x + 1, len(names)):
                if mt.same_name(names[x], names[y]):
                    union.join(x, y)
    classes: dict[int, set[str]] = {}
    for i in component:
        r = readings[i]
        own = {f"n{union.find(index[m.name])}" for m in r.matter.places}
        loc = r.location
        if loc is not None and loc.compound:
            own.add(f"#c{loc.compound}")
        elif loc is not None and loc.community and not own:
            own.add(f"#m{loc.community}")
        classes[i] = own
    return classes


def _anchor(component: list[int], readings: Sequence[Reading], classes: dict[int, set[str]]) -> str | None:
    """The place class most members name (a registered compound wins ties), if two or more do."""
    votes = Counter(c for i in component for c in classes[i])
    if not votes:
        return None
    best = max(votes, key=lambda c: (votes[c], c.startswith("#c"), c))
    return best if votes[best] >= 2 else None


def _coherent(members: list[int], readings: Sequence[Reading], adjacency: dict[int, dict[int, float]],
              depth: int = 0) -> list[Group]:
    """Split a connected set until every group shares one place and one problem."""
    result: list[Group] = []
    for component in _components(members, adjacency):
        if len(component) < 2:
            continue
        if len(component) == 2 or depth > 8:
            result.append(_describe(component, readings))
            continue
        core, rest = component, []
        classes = _place_classes(component, readings)
        key = _anchor(component, readings, classes)
        if key is not None:
            core = [i for i in component if key in classes[i]]
            inside = set(core)
            rest = [i for i in component if i not in inside]
            # A member that names no place, or is a near copy of one inside, stays with them.
            changed = True
            while changed:
                changed = False
                for i in list(rest):
                    linked = adjacency[i].keys() & inside
                    if (linked and not classes[i]) or any(adjacency[i][j] >= COPY for j in linked):
                        rest.remove(i)
                        core.append(i)
                        inside.add(i)
                        changed = True
        buildings = Counter(u for i in core for u in readings[i].matter.units if u.endswith("栋"))
        if len(buildings) > 1:  # 3栋 and 7栋 are two places: keep the most reported one
            building = _top(buildings, 1)[0][0]
            fits = [i for i in core if building in readings[i].matter.units
                    or not any(u.endswith("栋") for u in readings[i].matter.units)]
            rest += [i for i in core if i not in set(fits)]
            core = fits
        if len(core) > 2:
            fits = _problem_fits(core, readings)
            rest += [i for i in core if i not in set(fits)]
            core = fits
        if len(core) == len(component):
            result.append(_describe(component, readings))
        else:
            result += _coherent(sorted(core), readings, adjacency, depth + 1)
        if rest:
            result += _coherent(sorted(rest), readings, adjacency, depth + 1)
    return result


def _components(members: list[int], adjacency: dict[int, dict[int, float]]) -> list[list[int]]:
    inside = set(members)
    seen: set[int] = set()
    found = []
    for start in members:
        if start in seen:
            continue
        stack, component = [start], []
        seen.add(start)
        while stack:
            i = stack.pop()
            component.append(i)
            for j in adjacency.get(i, ()):
                if j in inside and j not in seen:
                    seen.add(j)
                    stack.append(j)
        found.append(sorted(component))
    return found


def _describe(members: list[int], readings: Sequence[Reading]) -> Group:
    """The place and the problem a group shares, in words."""
    places: Counter[str] = Counter()
    for i in members:
        r = readings[i]
        loc = r.location
        if loc is not None and loc.compound and loc.compound_name:
            places[loc.compound_name] += 1
        for m in r.matter.places:
            places[m.name] += 1
        if loc is not None and loc.community_name and not r.matter.places and not loc.compound:
            places[loc.community_name] += 1
    units = Counter(u for i in members for u in readings[i].matter.units if u.endswith("栋"))
    place = ""
    if places:
        name, votes = _top(places, 1)[0]
        if votes >= 2:
            place = name
            unit, unit_votes = _top(units, 1)[0] if units else ("", 0)
            if unit and unit_votes * 2 > len(members):
                place = f"{place} {unit}"
    problems = Counter(p for i in members for p in readings[i].strong) or \
        Counter(p for i in members for p in readings[i].matter.problems)
    top = [p for p, v in _top(problems, 2) if v * 2 >= len(members)]
    words = Counter(w for i in members for w in dict.fromkeys(readings[i].matter.terms))
    shown = [w for w, v in _top(words, 6) if v >= 2 and w not in top][:4]
    return Group(sorted(members), place, "、".join(top), shown)


def groups(texts: Sequence[str], *, locations: Sequence[Location | None] | None = None,
           gazetteer: Gazetteer = EMPTY, t: Thresholds = DEFAULT, chunk: int = 2000) -> list[Group]:
    """Groups of two or more texts about one matter, largest first."""
    n = len(texts)
    if n == 0:
        return []
    locs = list(locations) if locations is not None else [None] * n
    readings = [Reading(mt.read(x, gazetteer), locs[i]) for i, x in enumerate(texts)]
    clean = [normalize(r.matter.rest) for r in readings]
    edges = _edges(readings, clean, t, chunk)
    adjacency: dict[int, dict[int, float]] = defaultdict(dict)
    for (a, b), similarity in edges.items():
        adjacency[a][b] = similarity
        adjacency[b][a] = similarity
    union = _Union(n)
    for a, b in edges:
        union.join(a, b)
    by_root: dict[int, list[int]] = defaultdict(list)
    for i in adjacency:
        by_root[union.find(i)].append(i)
    found: list[Group] = []
    for members in by_root.values():
        found += _coherent(sorted(members), readings, adjacency)
    found.sort(key=lambda g: (-len(g.members), g.members[0]))
    return found


def cluster(texts: Sequence[str], t: Thresholds = DEFAULT, chunk: int = 2000, *,
            locations: Sequence[Location | None] | None = None, gazetteer: Gazetteer = EMPTY) -> list[int | None]:
    """A group number for every text, or None for a text that stands alone."""
    result: list[int | None] = [None] * len(texts)
    for number, group in enumerate(groups(texts, locations=locations, gazetteer=gazetteer, t=t, chunk=chunk),
                                   start=1):
        for i in group.members:
            result[i] = number
    return result
