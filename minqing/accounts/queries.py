"""Who works where: reads other apps share."""

from __future__ import annotations

from collections.abc import Iterable

from minqing.org.models import Unit, UnitKind

from .models import Role, User


def unit_staff(units: Iterable[Unit | int | None]) -> list[User]:
    """The active staff of these units (grid workers and the callback team excepted: they are told about their
    grid, or their calls, not a unit's queue)."""
    ids = [u.pk if isinstance(u, Unit) else u for u in units if u is not None]
    if not ids:
        return []
    return list(User.objects.filter(is_active=True, roles__unit_id__in=ids).exclude(
        roles__role__in=[Role.GRID_WORKER, Role.CALLBACK_AGENT]).distinct())


def callback_team(street_id: int | None) -> list[User]:
    """Who calls back a request of this street (回访员): the street's callback team, else the district's; with
    neither, the street office's officers (oversight may call back too)."""
    active = User.objects.filter(is_active=True)
    agents = active.filter(roles__role=Role.CALLBACK_AGENT)
    if street_id is not None:
        team = list(agents.filter(roles__unit__kind=UnitKind.STREET_OFFICE, roles__unit__area_id=street_id).distinct())
        if team:
            return team
    team = list(agents.filter(roles__unit__kind=UnitKind.DISTRICT_CENTER).distinct())
    if team or street_id is None:
        return team
    return list(active.filter(roles__role=Role.STREET_OFFICER, roles__unit__area_id=street_id).distinct())
