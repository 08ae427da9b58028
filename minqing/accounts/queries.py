"""Who works where: reads other apps share."""

from __future__ import annotations

from collections.abc import Iterable

from minqing.org.models import Unit

from .models import Role, User


def unit_staff(units: Iterable[Unit | int | None]) -> list[User]:
    """The active staff of these units (grid workers excepted: they are told about their grid, not a unit's queue)."""
    ids = [u.pk if isinstance(u, Unit) else u for u in units if u is not None]
    if not ids:
        return []
    return list(User.objects.filter(is_active=True, roles__unit_id__in=ids).exclude(
        roles__role=Role.GRID_WORKER).distinct())
