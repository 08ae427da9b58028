"""What a signed-in person may see and act on, derived once per request from their roles."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Role, RoleAssignment, User

STAFF_ROLES = {
    Role.GRID_WORKER,
    Role.COMMUNITY_STAFF,
    Role.COMMUNITY_SECRETARY,
    Role.STREET_OFFICER,
    Role.DEPT_HANDLER,
    Role.PARTNER_CONTACT,
    Role.DISTRICT_SUPERVISOR,
    Role.CALLBACK_AGENT,
}


@dataclass
class Scope:
    user: User | None
    roles: list[RoleAssignment] = field(default_factory=list)
    grid_ids: set[int] = field(default_factory=set)
    community_ids: set[int] = field(default_factory=set)  # community staff: intake and callback
    street_ids: set[int] = field(default_factory=set)  # street officers: oversight of the street
    unit_ids: set[int] = field(default_factory=set)  # units the person works for
    district: bool = False  # district supervisors see and coordinate everything
    # 回访员: the streets whose requests they call back, or all of them (the district's team). They act for
    # no unit, so they never hold a request.
    callback_street_ids: set[int] = field(default_factory=set)
    callback_district: bool = False
    resident: bool = False
    admin: bool = False

    @property
    def is_staff(self) -> bool:
        return bool(self.grid_ids or self.community_ids or self.street_ids or self.unit_ids or self.district
                    or self.callback_street_ids or self.callback_district)

    @property
    def calls_back(self) -> bool:
        return bool(self.callback_street_ids or self.callback_district)

    @property
    def in_department(self) -> bool:
        """Works for a district department (区职能部门): ranked among the departments in 考核评价."""
        return any(r.unit is not None and r.unit.kind == "department" for r in self.roles)

    @property
    def role_names(self) -> list[str]:
        return sorted({r.get_role_display() for r in self.roles})

    @property
    def unit_names(self) -> list[str]:
        return sorted({str(r.unit or r.area) for r in self.roles if r.unit_id or r.area_id})


def scope_for(user: User | None) -> Scope:
    if user is None or not user.is_authenticated:
        return Scope(user=None)
    cached = getattr(user, "_minqing_scope", None)
    if cached is not None:
        return cached
    roles = list(RoleAssignment.objects.filter(user=user).select_related("area", "unit", "unit__area")
                 .defer("area__boundary", "unit__area__boundary"))  # a scope never needs the shapes
    scope = Scope(user=user, roles=roles, admin=user.is_superuser)
    for r in roles:
        # Grid workers record and follow; they act for no unit, so they never hold a request.
        if r.unit_id and r.role not in (Role.GRID_WORKER, Role.CALLBACK_AGENT):
            scope.unit_ids.add(r.unit_id)
        if r.role == Role.GRID_WORKER and r.area_id:
            scope.grid_ids.add(r.area_id)
        elif r.role in {Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY} and r.unit is not None:
            scope.community_ids.add(r.unit.area_id)
        elif r.role == Role.STREET_OFFICER and r.unit is not None:
            scope.street_ids.add(r.unit.area_id)
        elif r.role == Role.DISTRICT_SUPERVISOR:
            scope.district = True
        elif r.role == Role.CALLBACK_AGENT and r.unit is not None:
            if r.unit.kind == "district_center":
                scope.callback_district = True
            else:
                scope.callback_street_ids.add(r.unit.area_id)
        elif r.role == Role.RESIDENT:
            scope.resident = True
        elif r.role == Role.ADMIN:
            scope.admin = True
    user._minqing_scope = scope  # type: ignore[attr-defined]
    return scope
