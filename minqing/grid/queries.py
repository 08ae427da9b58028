"""Reads of the grid work, scoped by the viewer: a grid worker sees their grid(s), community staff their
community's grids, a street officer the grids of their streets, the district all; residents, departments and
partner units none. The per-grid figures (走访覆盖率, 主动发现数, how fast those were solved) are here too."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from minqing.accounts.scope import Scope
from minqing.lib.masking import mask_name, mask_phone
from minqing.org.models import Area, AreaKind
from minqing.tickets import queries as tickets
from minqing.tickets.lifecycle import Status
from minqing.tickets.models import Ticket

from .models import Household, HouseholdKind, Patrol, Visit

SOLVED = {Status.RESOLVED, Status.CLOSED}


def grids_for(scope: Scope) -> QuerySet[Area]:
    grids = Area.objects.filter(kind=AreaKind.GRID)
    if scope.district or scope.admin:
        return grids
    return grids.filter(Q(pk__in=scope.grid_ids) | Q(parent_id__in=scope.community_ids)
                        | Q(parent__parent_id__in=scope.street_ids))


def sees_grid_work(scope: Scope) -> bool:
    return bool(scope.grid_ids or scope.community_ids or scope.street_ids or scope.district or scope.admin)


def works_grid(scope: Scope, grid: Area) -> bool:
    """Works the grid itself (its grid worker, its community's staff): sees residents' names and phones."""
    return grid.pk in scope.grid_ids or grid.parent_id in scope.community_ids


def visits_for(scope: Scope) -> QuerySet[Visit]:
    return Visit.objects.filter(grid__in=grids_for(scope)).select_related("household__building", "grid", "worker",
                                                                            "ticket")


def patrols_for(scope: Scope) -> QuerySet[Patrol]:
    return Patrol.objects.filter(grid__in=grids_for(scope)).select_related("grid", "worker")


def households_for(scope: Scope) -> QuerySet[Household]:
    return Household.objects.filter(grid__in=grids_for(scope)).select_related("building", "grid")


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    id_number: str
    masked: bool


def person_shown(*, scope: Scope, household: Household) -> Person:
    """The head of a household as this viewer may see them: in full for those who work the grid, masked
    (张**, 138****5678) for the others. The ID number is always masked: nobody needs it on a screen."""
    idn = household.id_number
    id_masked = f"{idn[:3]}{'*' * (len(idn) - 5)}{idn[-2:]}" if len(idn) > 5 else "*" * len(idn)
    if works_grid(scope, household.grid):
        return Person(household.head_name, household.head_phone, id_masked, False)
    return Person(mask_name(household.head_name), mask_phone(household.head_phone), id_masked, True)


def household_tickets(*, scope: Scope, household: Household, visits: list[Visit]) -> list[Ticket]:
    """The requests of a household the viewer may see: those made from its visits, and those its head reported
    by any channel (found by the keyed hash of the phone number, as the reporter's search does), newest first."""
    found = {v.ticket.pk: v.ticket for v in visits if v.ticket is not None}
    if household.head_phone_hash:
        for t in tickets.visible_tickets(scope).filter(reporter_phone_hash=household.head_phone_hash)[:50]:
            found[t.pk] = t
    return sorted(found.values(), key=lambda t: t.created_at, reverse=True)


# --- figures -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GridFigures:
    grid: Area
    households: int
    visited: int  # households visited at least once in the period
    patrols: int
    visits: int
    found: int  # 主动发现数: requests raised from visits in the period
    solved: int  # of those, resolved or closed
    solve_hours: float | None  # their average time from the request to its resolution

    @property
    def coverage(self) -> float | None:
        return self.visited / self.households if self.households else None

    @property
    def coverage_text(self) -> str:
        return "—" if self.coverage is None else f"{self.coverage * 100:.1f}%"

    @property
    def solve_text(self) -> str:
        if self.solve_hours is None:
            return "—"
        return f"{self.solve_hours:.1f} 小时" if self.solve_hours < 48 else f"{self.solve_hours / 24:.1f} 天"


def month_start(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return today.replace(day=1)


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def figures(grids: QuerySet[Area] | list[Area], *, start: dt.date, end: dt.date) -> list[GridFigures]:
    """Each grid's figures over [start, end] (dates, both included). 走访覆盖率 = households (住户, not units)
    visited in the period ÷ the grid's registered households; 主动发现数 = requests made from the period's
    visits; solved = those of them resolved or closed now, with the average hours from request to resolution."""
    grids = list(grids)
    ids = [g.pk for g in grids]
    since, until = _bounds(start, end)
    households = dict(Household.objects.filter(grid_id__in=ids, kind=HouseholdKind.HOUSEHOLD)
                      .values("grid_id").annotate(n=Count("pk")).values_list("grid_id", "n"))
    in_period = Visit.objects.filter(grid_id__in=ids, visited_at__gte=since, visited_at__lt=until)
    visited = dict(in_period.filter(household__kind=HouseholdKind.HOUSEHOLD).values("grid_id")
                   .annotate(n=Count("household_id", distinct=True)).values_list("grid_id", "n"))
    visits = dict(in_period.values("grid_id").annotate(n=Count("pk")).values_list("grid_id", "n"))
    patrols = dict(Patrol.objects.filter(grid_id__in=ids, started_at__gte=since, started_at__lt=until)
                   .values("grid_id").annotate(n=Count("pk")).values_list("grid_id", "n"))
    found: dict[int, int] = {}
    solved: dict[int, list[float]] = {}
    for grid_id, status, created, resolved in in_period.filter(ticket__isnull=False).values_list(
            "grid_id", "ticket__status", "ticket__created_at", "ticket__resolved_at"):
        found[grid_id] = found.get(grid_id, 0) + 1
        if status in SOLVED and resolved is not None:
            solved.setdefault(grid_id, []).append((resolved - created).total_seconds() / 3600)
    out = []
    for g in grids:
        hours = solved.get(g.pk, [])
        out.append(GridFigures(grid=g, households=households.get(g.pk, 0), visited=visited.get(g.pk, 0),
                               patrols=patrols.get(g.pk, 0), visits=visits.get(g.pk, 0), found=found.get(g.pk, 0),
                               solved=len(hours), solve_hours=sum(hours) / len(hours) if hours else None))
    return out


def total(rows: list[GridFigures]) -> GridFigures | None:
    """The figures of several grids together (a community's, a street's)."""
    if not rows:
        return None
    solved_hours = [(r.solve_hours or 0) * r.solved for r in rows]
    solved = sum(r.solved for r in rows)
    return GridFigures(grid=Area(name="合计", kind=AreaKind.GRID), households=sum(r.households for r in rows),
                       visited=sum(r.visited for r in rows), patrols=sum(r.patrols for r in rows),
                       visits=sum(r.visits for r in rows), found=sum(r.found for r in rows), solved=solved,
                       solve_hours=sum(solved_hours) / solved if solved else None)


def workbench_panel(scope: Scope) -> dict | None:
    """This month's grid figures for the workbench (工作台) of whoever oversees grids; None for the others."""
    if not sees_grid_work(scope) or not (scope.grid_ids or scope.community_ids or scope.street_ids):
        return None
    start = month_start()
    rows = figures(grids_for(scope).order_by("code")[:30], start=start, end=timezone.localdate())
    return {"rows": rows, "total": total(rows) if len(rows) > 1 else None, "start": start,
            "patrolling": bool(scope.grid_ids)}


def open_patrol(*, worker_id: int) -> Patrol | None:
    return Patrol.objects.filter(worker_id=worker_id, ended_at__isnull=True).order_by("-started_at").first()
