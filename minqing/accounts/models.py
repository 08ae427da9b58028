"""Users hold one or more roles; each role acts within a scope (a grid, community, street, unit)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from minqing.org.models import Area, AreaKind, Unit, UnitKind


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    must_change_password = models.BooleanField(
        "下次登录须修改密码", default=False,
        help_text="管理员新建账号或重设密码后自动勾选：本人登录后先改密码才能做别的。")

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username


class Role(models.TextChoices):
    RESIDENT = "resident", "居民"
    GRID_WORKER = "grid_worker", "网格员"
    COMMUNITY_STAFF = "community_staff", "社区工作人员"
    COMMUNITY_SECRETARY = "community_secretary", "社区书记"
    STREET_OFFICER = "street_officer", "街道干部"
    DEPT_HANDLER = "dept_handler", "部门承办人"
    PARTNER_CONTACT = "partner_contact", "驻区单位联络人"
    DISTRICT_SUPERVISOR = "district_supervisor", "区督办"
    CALLBACK_AGENT = "callback_agent", "回访员"
    ADMIN = "admin", "系统管理员"


# For each role: the area kind it is assigned to (grid workers: their grid), and the unit kinds it
# acts for. Community staff, street officers and supervisors take their scope from their unit's area.
ROLE_RULES: dict[str, tuple[str | None, set[str] | None]] = {
    Role.RESIDENT: (None, None),
    Role.GRID_WORKER: (AreaKind.GRID, None),
    Role.COMMUNITY_STAFF: (None, {UnitKind.COMMUNITY_OFFICE}),
    Role.COMMUNITY_SECRETARY: (None, {UnitKind.COMMUNITY_OFFICE}),
    Role.STREET_OFFICER: (None, {UnitKind.STREET_OFFICE}),
    Role.DEPT_HANDLER: (None, {UnitKind.DEPARTMENT}),
    Role.PARTNER_CONTACT: (
        None,
        {UnitKind.PARTNER, UnitKind.SOCIAL_ORG, UnitKind.PROPERTY, UnitKind.OWNERS_COMMITTEE},
    ),
    Role.DISTRICT_SUPERVISOR: (None, {UnitKind.DISTRICT_CENTER}),
    # Callbacks are made apart from the handling (办理与监督相分离): a street's or the district's callback team.
    Role.CALLBACK_AGENT: (None, {UnitKind.STREET_OFFICE, UnitKind.DISTRICT_CENTER}),
    Role.ADMIN: (None, None),
}


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    area = models.ForeignKey(
        Area, verbose_name="负责区域", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name="所属单位", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "area", "unit"], name="role_assignment_unique")
        ]

    def __str__(self) -> str:
        where = self.unit or self.area
        return f"{self.get_role_display()}（{where}）" if where else self.get_role_display()

    def clean(self) -> None:
        area_kind, unit_kinds = ROLE_RULES[self.role]
        errors = {}
        if area_kind and (self.area is None or self.area.kind != area_kind):
            errors["area"] = f"{self.get_role_display()}的负责区域必须是一个{AreaKind(area_kind).label}。"
        if unit_kinds and (self.unit is None or self.unit.kind not in unit_kinds):
            labels = "、".join(UnitKind(k).label for k in sorted(unit_kinds))
            errors["unit"] = f"{self.get_role_display()}的所属单位必须是：{labels}。"
        if errors:
            raise ValidationError(errors)


class Throttle(models.Model):
    """One counter of a rate limit (fixed window), shared by every process through the database; counted
    with a guarded UPDATE, so concurrent hits are never lost (see accounts/throttle.py)."""

    key = models.CharField(max_length=200, primary_key=True)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "频率限制计数"
        verbose_name_plural = "频率限制计数"

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"
