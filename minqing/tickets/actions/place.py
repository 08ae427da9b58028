"""更正地点: staff set a request's place — one filed 位置待核实, or one in the wrong community or grid."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F

from minqing.accounts.models import User
from minqing.accounts.scope import scope_for
from minqing.lib.errors import ActionError, Conflict
from minqing.lib.validation import clean_text
from minqing.org import location
from minqing.org.models import Area, AreaKind, Unit, UnitKind

from ..lifecycle import Status
from ..models import Ticket
from .core import check, now, record


def _place_label(ticket: Ticket) -> str:
    if ticket.location_pending:
        return "位置待核实"
    return " · ".join(a.name for a in (ticket.street, ticket.community, ticket.grid, ticket.compound) if a is not None)


def ticket_relocate(*, ticket: Ticket, actor: User, area: Area, note: str, latitude: Decimal | None = None,
                    longitude: Decimal | None = None, expected_version: int | None = None) -> Ticket:
    """Put the request in `area` (a community, grid or compound; a point inside one of its grids refines a
    community to that grid). Old and new place are recorded. A request 位置待核实 waiting at the district centre
    to be accepted goes on to the new community's office, as if it had been located at intake; otherwise the
    holder keeps it."""
    note = clean_text(note, field="note", label="更正理由", max_length=500)
    if area is None or area.kind not in location.PLACED:
        raise ActionError("请把地点选到社区（可继续选网格、小区）。", field="area")
    place = location.locate(area=area, latitude=latitude, longitude=longitude)
    chain = place.area.ancestors()
    community = chain[AreaKind.COMMUNITY]
    new = {"street": chain[AreaKind.STREET], "community": community,
           "grid": chain.get(AreaKind.GRID), "compound": chain.get(AreaKind.COMPOUND)}
    with transaction.atomic():
        current, unit = check(ticket=ticket, name="relocate", scope=scope_for(actor), expected_version=expected_version)
        current = Ticket.objects.select_related("handling_unit", "street", "community", "grid", "compound").get(pk=current.pk)
        old_label = _place_label(current)
        changes: dict = {**new, "location_pending": False}
        if place.latitude is not None:
            changes |= {"latitude": place.latitude, "longitude": place.longitude}
        same = all(getattr(current, f"{k}_id") == (v.pk if v else None) for k, v in new.items())
        if same and not current.location_pending and place.latitude is None:
            raise ActionError("地点没有改动。", field="area")
        to_unit: Unit | None = None
        if (current.location_pending and current.status == Status.RECEIVED
                and current.handling_unit.kind == UnitKind.DISTRICT_CENTER):
            to_unit = Unit.objects.filter(kind=UnitKind.COMMUNITY_OFFICE, area=community, active=True).first()
            if to_unit is None:
                raise ActionError(f"{community.name}尚未设置社区居委会，请联系管理员。", field="area")
            changes["handling_unit"] = to_unit
        at = now()
        if not Ticket.objects.filter(pk=current.pk, version=current.version).update(
                version=F("version") + 1, updated_at=at, **changes):
            raise Conflict(f"事项 {current.number} 刚被他人处理过，您的更正未生效，请刷新页面。")
        new_label = " · ".join(a.name for a in new.values() if a is not None)
        relocation = f"{old_label} → {new_label}"
        data = {"relocation": relocation,
                "from": {"street_id": current.street_id, "community_id": current.community_id, "grid_id": current.grid_id,
                         "compound_id": current.compound_id, "pending": current.location_pending},
                "to": {k + "_id": v.pk if v else None for k, v in new.items()}}
        if place.latitude is not None:
            data["point"] = [str(place.latitude), str(place.longitude)]
        record(ticket=current, action="relocate", actor=actor, actor_unit=unit, at=at, note=note, data=data,
               to_unit=to_unit)
        return Ticket.objects.select_related("handling_unit", "category").get(pk=current.pk)
