"""Who sees which need, resource, project, agreement and wish; the matching; the figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from minqing.accounts.scope import Scope
from minqing.lib.db import reporting
from minqing.org.models import Area, AreaKind, Unit

from .models import Agreement, Need, NeedStatus, Project, ProjectState, Resource, Wish, WishState


def _communities(scope: Scope) -> set[int]:
    ids = set(scope.community_ids)
    if scope.grid_ids:
        ids |= set(Area.objects.filter(pk__in=scope.grid_ids).values_list("parent_id", flat=True))
    return ids


def _unit_streets(scope: Scope) -> tuple[set[int], bool]:
    """The streets a unit person's units sit in, and whether one of them is district-wide."""
    streets, district = set(), False
    for unit in Unit.objects.filter(pk__in=scope.unit_ids).select_related("area"):
        if unit.area.kind == AreaKind.DISTRICT:
            district = True
        elif unit.area.kind == AreaKind.STREET:
            streets.add(unit.area_id)
        else:
            streets.add(unit.area.ancestors()[AreaKind.STREET].pk)
    return streets, district


def needs_for(scope: Scope) -> QuerySet[Need]:
    """Communities see their own needs; streets their communities'; units the needs of the streets they
    sit in (to volunteer, 揭榜); the district all."""
    qs = Need.objects.select_related("community", "community__parent", "area")
    if scope.district:
        return qs
    streets, district_unit = _unit_streets(scope)
    if district_unit:
        return qs
    rule = Q(community_id__in=_communities(scope)) | Q(community__parent_id__in=scope.street_ids | streets)
    return qs.filter(rule) if scope.is_staff else qs.none()


def may_edit_need(scope: Scope, need: Need) -> bool:
    return need.community_id in _communities(scope)


def may_coordinate(scope: Scope, need: Need) -> bool:
    """Propose a match, agree a project, evaluate it: the need's community, its street, the district."""
    return scope.district or need.community_id in scope.community_ids or need.community.parent_id in scope.street_ids


def resources_for(scope: Scope) -> QuerySet[Resource]:
    """Units see their own offers; communities and streets the offers covering them; the district all."""
    qs = Resource.objects.select_related("unit")
    if scope.district:
        return qs
    if not scope.is_staff:
        return qs.none()
    communities = _communities(scope)
    streets = set(scope.street_ids) | set(Area.objects.filter(pk__in=communities).values_list("parent_id", flat=True))
    covered = Resource.objects.filter(
        Q(areas__in=communities) | Q(areas__in=streets) | Q(areas__parent__in=scope.street_ids)).values("pk")
    return qs.filter(Q(unit_id__in=scope.unit_ids) | Q(pk__in=covered))


def projects_for(scope: Scope) -> QuerySet[Project]:
    """A unit sees its own projects (not other units' projects for the needs it may volunteer for); the
    need's community and street see theirs; the district all."""
    qs = Project.objects.select_related("need", "need__community", "unit", "resource")
    if scope.district:
        return qs
    coordinating = Q(need__community_id__in=_communities(scope)) | Q(need__community__parent_id__in=scope.street_ids)
    return qs.filter(coordinating | Q(unit_id__in=scope.unit_ids)) if scope.is_staff else qs.none()


def agreements_for(scope: Scope) -> QuerySet[Agreement]:
    qs = Agreement.objects.select_related("community", "unit")
    if scope.district:
        return qs
    communities = _communities(scope)
    return qs.filter(Q(community_id__in=communities) | Q(community__parent_id__in=scope.street_ids)
                     | Q(unit_id__in=scope.unit_ids))


def wishes_for(scope: Scope) -> QuerySet[Wish]:
    qs = Wish.objects.select_related("community", "member")
    if scope.district:
        return qs
    return qs.filter(Q(community_id__in=_communities(scope)) | Q(community__parent_id__in=scope.street_ids))


def remaining(resource: Resource) -> int:
    used = resource.projects.aggregate(n=Sum("quantity"))["n"] or 0
    return resource.capacity - used


@dataclass
class Proposal:
    resource: Resource
    score: int
    remaining: int
    reasons: list[str]


def proposals(need: Need, *, today: dt.date | None = None, limit: int = 10) -> list[Proposal]:
    """Resources for a need, best first: same service brand, covering the need's community (its own
    community before its street before the whole district), available now, with capacity left."""
    today = today or timezone.localdate()
    street_id = need.community.parent_id
    district_id = Area.objects.filter(pk=street_id).values_list("parent_id", flat=True).first()
    covering = Resource.objects.filter(areas__in=[need.community_id, street_id, district_id]).values("pk")
    used = Project.objects.filter(resource=OuterRef("pk")).values("resource").annotate(s=Sum("quantity")).values("s")
    candidates = (Resource.objects.filter(active=True, available_from__lte=today, pk__in=covering)
                  .filter(Q(available_until=None) | Q(available_until__gte=today))
                  .select_related("unit").prefetch_related("areas")
                  .annotate(used=Coalesce(Subquery(used), 0)))
    out = []
    for r in candidates:
        left = r.capacity - r.used
        if left <= 0 or not r.unit.active:
            continue
        covered = {a.pk for a in r.areas.all()}
        reasons, score = [], 0
        if r.brand == need.brand:
            score += 100
            reasons.append(f"同属“{r.get_brand_display()}”")
        if need.community_id in covered:
            score += 30
            reasons.append("覆盖本社区")
        elif street_id in covered:
            score += 20
            reasons.append("覆盖本街道")
        else:
            score += 10
            reasons.append("全区可用")
        if r.unit.area_id in {need.community_id, street_id}:
            score += 10
            reasons.append("单位就在附近")
        score += min(left, 20)
        out.append(Proposal(resource=r, score=score, remaining=left, reasons=reasons))
    out.sort(key=lambda p: (-p.score, p.resource.pk))
    return out[:limit]


def figures(*, areas: list[int] | None, start: dt.date, end: dt.date) -> dict:
    """The numbers districts report: needs and resources listed, projects by state, matched rate,
    wishes fulfilled, service hours — for communities `areas` (None: the whole district)."""
    def within(qs: QuerySet, field: str = "created_at") -> QuerySet:
        return qs.filter(**{f"{field}__date__gte": start, f"{field}__date__lte": end})

    db = reporting()  # statistics may read from the replica
    needs = within(Need.objects.using(db).all())
    projects = within(Project.objects.using(db).all())
    wishes = within(Wish.objects.using(db).all())
    resources = within(Resource.objects.using(db).all())
    if areas is not None:
        needs = needs.filter(community_id__in=areas)
        projects = projects.filter(need__community_id__in=areas)
        wishes = wishes.filter(community_id__in=areas)
        resources = resources.filter(Q(areas__in=areas) | Q(unit__area_id__in=areas)).distinct()
    by_state = dict(projects.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    listed = needs.count()
    matched = needs.exclude(status=NeedStatus.OPEN).count()
    fulfilled = wishes.filter(state__in=[WishState.FULFILLED, WishState.CONFIRMED])
    hours = (projects.aggregate(h=Sum("hours"))["h"] or Decimal(0)) + (fulfilled.aggregate(h=Sum("hours"))["h"] or Decimal(0))
    return {
        "needs": listed, "resources": resources.count(), "projects": sum(by_state.values()),
        "by_state": {s: by_state.get(s, 0) for s in ProjectState.values},
        "matched": matched, "matched_rate": round(100 * matched / listed, 1) if listed else None,
        "wishes": wishes.count(), "wishes_fulfilled": fulfilled.count(), "hours": hours,
    }
