"""Areas (区 → 街道 → 社区 → 网格 → 小区/楼院) and the units that work in them."""

from __future__ import annotations

from typing import Any

from django.db import models


class AreaKind(models.TextChoices):
    DISTRICT = "district", "区"
    STREET = "street", "街道"
    COMMUNITY = "community", "社区"
    GRID = "grid", "网格"
    COMPOUND = "compound", "小区/楼院"


# Which kind may sit under which: the area tree has exactly these levels.
PARENT_KIND = {
    AreaKind.STREET: AreaKind.DISTRICT,
    AreaKind.COMMUNITY: AreaKind.STREET,
    AreaKind.GRID: AreaKind.COMMUNITY,
    AreaKind.COMPOUND: AreaKind.GRID,
}


def _ring_problem(ring: object) -> str:
    if not isinstance(ring, list) or len(ring) < 4:
        return "每个环至少要有 4 个点（首尾相同）。"
    for point in ring:
        if (not isinstance(point, list) or len(point) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point[:2])):
            return "每个点必须是 [经度, 纬度] 两个数字。"
        if not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
            return "经度须在 -180～180、纬度须在 -90～90 之间。"
    if ring[0][:2] != ring[-1][:2]:
        return "每个环的首尾两点必须相同（闭合）。"
    return ""


def boundary_problem(geometry: object) -> str:
    """What is wrong with a GeoJSON Polygon/MultiPolygon geometry, in Chinese; "" if nothing."""
    if not isinstance(geometry, dict) or geometry.get("type") not in {"Polygon", "MultiPolygon"}:
        return '边界必须是 GeoJSON 的 Polygon 或 MultiPolygon，例如 {"type": "Polygon", "coordinates": [[[103.8, 36.0], ...]]}。'
    coords = geometry.get("coordinates")
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        return "边界缺少坐标（coordinates）。"
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "每个多边形至少要有一个环。"
        for ring in polygon:
            problem = _ring_problem(ring)
            if problem:
                return problem
    return ""


class Area(models.Model):
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("层级", max_length=16, choices=AreaKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name="上级区域", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField("编码", max_length=32, unique=True)
    households = models.PositiveIntegerField("户数", null=True, blank=True)
    population = models.PositiveIntegerField("人口", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    boundary = models.JSONField(
        "边界（GeoJSON）", null=True, blank=True,
        help_text='GeoJSON 的 geometry：{"type": "Polygon" 或 "MultiPolygon", "coordinates": [...]}，经纬度（WGS84）。'
                  "考核评价地图按它绘制，不需要联网的地图底图；登记时按它把坐标落到社区、网格。",
    )
    boundary_updated_at = models.DateTimeField("边界更新时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "区域"
        verbose_name_plural = "区域"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="area_unique_name_in_parent")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        expected = PARENT_KIND.get(AreaKind(self.kind))
        if expected is None and self.parent_id:
            raise ValidationError({"parent": "区级区域没有上级。"})
        if expected is not None and (self.parent is None or self.parent.kind != expected):
            raise ValidationError({"parent": f"{self.get_kind_display()}的上级必须是{expected.label}。"})
        if self.boundary is not None:
            problem = boundary_problem(self.boundary)
            if problem:
                raise ValidationError({"boundary": problem})

    def save(self, *args: Any, **kwargs: Any) -> None:  # noqa: DJ012 - beside the check of the field it stamps
        # The location index (org/location.py) is rebuilt when this stamp moves; bulk writers set it themselves.
        if self.boundary is not None:
            from django.utils import timezone

            self.boundary_updated_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "boundary_updated_at"}
        super().save(*args, **kwargs)

    def ancestors(self) -> dict[str, Area]:
        """This area and its ancestors, keyed by kind."""
        chain: dict[str, Area] = {}
        node: Area | None = self
        while node is not None:
            chain[node.kind] = node
            node = node.parent
        return chain


class Parity(models.TextChoices):
    ALL = "all", "单双号"
    ODD = "odd", "单号"
    EVEN = "even", "双号"


class AddressRange(models.Model):
    """门牌地址库 (the gazetteer): a road's house numbers, or one side of them, and the area they lie in.
    An address such as “西站街道建西东路1号” is found here by its road and number (org/location.py)."""

    road = models.CharField("道路（街巷）名称", max_length=60, db_index=True, help_text="例如：建西东路、柏树巷")
    number_from = models.PositiveIntegerField("起始门牌号", default=1)
    number_to = models.PositiveIntegerField("终止门牌号", default=9999)
    parity = models.CharField("单双号", max_length=8, choices=Parity.choices, default=Parity.ALL,
                              help_text="道路两侧分属不同网格时，分别录入单号和双号。")
    area = models.ForeignKey(Area, verbose_name="所属区域", on_delete=models.CASCADE, related_name="address_ranges",
                             help_text="网格（或社区、小区）。")
    note = models.CharField("说明", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "门牌地址"
        verbose_name_plural = "门牌地址库"
        ordering = ["road", "number_from"]

    def __str__(self) -> str:
        side = "" if self.parity == Parity.ALL else f"（{self.get_parity_display()}）"
        return f"{self.road} {self.number_from}–{self.number_to} 号{side} → {self.area}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.number_from > self.number_to:
            raise ValidationError({"number_to": "终止门牌号不能小于起始门牌号。"})
        if self.area_id and self.area.kind not in {AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.COMPOUND}:
            raise ValidationError({"area": "门牌只能对应到社区、网格或小区。"})

    def covers(self, number: int) -> bool:
        if not self.number_from <= number <= self.number_to:
            return False
        return self.parity == Parity.ALL or (number % 2 == 1) == (self.parity == Parity.ODD)


class UnitKind(models.TextChoices):
    COMMUNITY_OFFICE = "community_office", "社区居委会"
    STREET_OFFICE = "street_office", "街道办事处"
    DISTRICT_CENTER = "district_center", "区民情服务中心"
    DEPARTMENT = "department", "区职能部门"
    PARTNER = "partner", "驻区单位"
    SOCIAL_ORG = "social_org", "社会组织"
    PROPERTY = "property", "物业公司"
    OWNERS_COMMITTEE = "owners_committee", "业主委员会"


# Units that receive requests and pass them on: they may dispatch again (转派).
COORDINATING_KINDS = {UnitKind.COMMUNITY_OFFICE, UnitKind.STREET_OFFICE, UnitKind.DISTRICT_CENTER}


class Unit(models.Model):
    name = models.CharField("名称", max_length=120, unique=True)
    kind = models.CharField("类型", max_length=24, choices=UnitKind.choices, db_index=True)
    area = models.ForeignKey(
        Area,
        verbose_name="所在区域",
        on_delete=models.PROTECT,
        related_name="units",
        help_text="社区居委会填社区，街道办事处填街道，区级单位填区；驻区单位填所在社区或街道。",
    )
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    brands = models.CharField("服务品牌", max_length=200, blank=True, help_text="可服务的品牌，逗号分隔")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_coordinating(self) -> bool:
        return self.kind in COORDINATING_KINDS

    def level_above(self, *, street: Area) -> Unit | None:
        """Where this unit escalates (吹哨) a request of `street`: community level → that street's
        office → the district center. Partner units sit at the level that dispatched to them, so a
        property company escalates to the office of the request's street, not of its own address."""
        if self.kind == UnitKind.DISTRICT_CENTER:
            return None
        if self.kind in {UnitKind.DEPARTMENT, UnitKind.STREET_OFFICE} or self.area.kind == AreaKind.DISTRICT:
            return Unit.objects.filter(kind=UnitKind.DISTRICT_CENTER, area=street.parent, active=True).first()
        return Unit.objects.filter(kind=UnitKind.STREET_OFFICE, area=street, active=True).first()


class PartyOrgKind(models.TextChoices):
    COMMITTEE = "committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    JOINT_BRANCH = "joint_branch", "联合党支部"
    NONE = "none", "未建立党组织"


class PartyOrganisation(models.Model):
    """A unit's party organisation (党组织), the node the red matrix links."""

    unit = models.OneToOneField(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="party")
    kind = models.CharField("党组织类型", max_length=16, choices=PartyOrgKind.choices, default=PartyOrgKind.BRANCH)
    name = models.CharField("党组织名称", max_length=120, blank=True)
    secretary = models.CharField("书记", max_length=50, blank=True)
    members = models.PositiveIntegerField("党员人数", default=0)

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"

    def __str__(self) -> str:
        return self.name or f"{self.unit}{self.get_kind_display()}"


class Seat(models.Model):
    """A unit's seat on a street 大工委 or a community 大党委 for a term, with its duty list (责任清单)."""

    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="seats")
    committee = models.ForeignKey(Area, verbose_name="所在委员会", on_delete=models.PROTECT, related_name="seats",
                                  help_text="街道（大工委）或社区（大党委）")
    term = models.CharField("届次", max_length=20, help_text="例如 2024-2026")
    member = models.CharField("兼职委员", max_length=50, blank=True, help_text="担任兼职委员的单位负责人")
    duties = models.TextField("责任清单", blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "红色矩阵席位"
        verbose_name_plural = "红色矩阵席位"
        ordering = ["committee", "term", "unit"]
        constraints = [models.UniqueConstraint(fields=["unit", "committee", "term"], name="seat_once_per_term")]

    def __str__(self) -> str:
        return f"{self.unit} @ {self.committee}（{self.term}）"

    @property
    def committee_label(self) -> str:
        return f"{self.committee.name}{'大工委' if self.committee.kind == AreaKind.STREET else '大党委'}"
