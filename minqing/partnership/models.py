"""The two-way lists (双向清单): communities' needs, units' resources, the projects that match them,
the service agreements between community and unit, and party members' micro-wishes (微心愿, 双报到)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from minqing.lib.records import AppendOnly
from minqing.org.models import Area, Unit
from minqing.tickets.models import Brand


class NeedSource(models.TextChoices):
    VISIT = "visit", "网格员入户"
    TALK_HALL = "talk_hall", "说事厅"
    MAILBOX = "mailbox", "说事信箱"
    HOTSPOT = "hotspot", "高频低满意诉求"
    MEETING = "meeting", "议事协商"
    OTHER = "other", "其他"


class Priority(models.TextChoices):
    HIGH = "high", "高"
    NORMAL = "normal", "中"
    LOW = "low", "低"


class NeedStatus(models.TextChoices):
    OPEN = "open", "待认领"
    MATCHED = "matched", "已对接"
    DONE = "done", "已完成"
    CLOSED = "closed", "已关闭"


class Need(models.Model):
    community = models.ForeignKey(Area, verbose_name="社区", on_delete=models.PROTECT, related_name="needs")
    area = models.ForeignKey(Area, verbose_name="具体位置", on_delete=models.PROTECT, related_name="+",
                             help_text="社区、网格或小区")
    title = models.CharField("需求", max_length=120)
    description = models.TextField("具体情况", blank=True)
    brand = models.CharField("服务品牌", max_length=16, choices=Brand.choices)
    households = models.PositiveIntegerField("涉及户数", default=0)
    source = models.CharField("来源", max_length=16, choices=NeedSource.choices, default=NeedSource.VISIT)
    priority = models.CharField("优先级", max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField("状态", max_length=8, choices=NeedStatus.choices, default=NeedStatus.OPEN, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "需求"
        verbose_name_plural = "需求清单"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ResourceKind(models.TextChoices):
    VENUE = "venue", "场地"
    VOLUNTEERS = "volunteers", "志愿者"
    EXPERTISE = "expertise", "专业服务"
    FUNDS = "funds", "资金"
    EQUIPMENT = "equipment", "设备物资"
    SERVICES = "services", "便民服务"


class Resource(models.Model):
    unit = models.ForeignKey(Unit, verbose_name="提供单位", on_delete=models.PROTECT, related_name="resources")
    kind = models.CharField("类型", max_length=12, choices=ResourceKind.choices)
    title = models.CharField("资源", max_length=120)
    description = models.TextField("说明", blank=True)
    brand = models.CharField("服务品牌", max_length=16, choices=Brand.choices)
    capacity = models.PositiveIntegerField("可提供数量", help_text="场次、人次、小时、元等，按资源自定")
    unit_label = models.CharField("数量单位", max_length=10, default="次")
    available_from = models.DateField("可用开始")
    available_until = models.DateField("可用结束", null=True, blank=True)
    areas = models.ManyToManyField(Area, verbose_name="服务范围", related_name="resources",
                                   help_text="街道或社区；选街道即覆盖其所有社区")
    active = models.BooleanField("有效", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "资源"
        verbose_name_plural = "资源清单"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.unit}：{self.title}"


class ProjectState(models.TextChoices):
    PROPOSED = "proposed", "拟对接"
    CLAIMED = "claimed", "已揭榜"
    AGREED = "agreed", "已商定"
    IN_PROGRESS = "in_progress", "实施中"
    DONE = "done", "已完成"
    EVALUATED = "evaluated", "已评价"


class Project(models.Model):
    """A need met by a unit's resource (项目清单). Moves one state at a time; every step is an event."""

    need = models.ForeignKey(Need, verbose_name="需求", on_delete=models.PROTECT, related_name="projects")
    resource = models.ForeignKey(Resource, verbose_name="资源", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="projects")
    unit = models.ForeignKey(Unit, verbose_name="承接单位", on_delete=models.PROTECT, related_name="projects")
    title = models.CharField("项目", max_length=120)
    quantity = models.PositiveIntegerField("占用资源数量", default=0)
    state = models.CharField("状态", max_length=12, choices=ProjectState.choices, db_index=True)
    hours = models.DecimalField("服务时长（小时）", max_digits=8, decimal_places=1, default=0)
    rating = models.PositiveSmallIntegerField("评价（1–5）", null=True, blank=True)
    evaluation = models.TextField("评价意见", blank=True)
    created_at = models.DateTimeField("发起时间", default=timezone.now, db_index=True)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
    version = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目清单"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ProjectEvent(AppendOnly, models.Model):
    record_name = "项目记录"

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="events")
    action = models.CharField("动作", max_length=16)
    from_state = models.CharField("原状态", max_length=12, choices=ProjectState.choices, blank=True)
    to_state = models.CharField("新状态", max_length=12, choices=ProjectState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT,
                              related_name="+")
    actor_label = models.CharField("操作人名称", max_length=60)
    note = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "项目记录"
        verbose_name_plural = "项目记录"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.action}"


def agreement_path(instance: Agreement, filename: str) -> str:
    return f"agreements/{timezone.localdate():%Y/%m}/{filename}"


class Agreement(models.Model):
    """A two-way service agreement (双向服务协议书). Signed versions never change; a change is a new version."""

    community = models.ForeignKey(Area, verbose_name="社区", on_delete=models.PROTECT, related_name="agreements")
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="agreements")
    number = models.PositiveSmallIntegerField("版本", default=1)
    community_duties = models.TextField("社区责任")
    unit_duties = models.TextField("单位责任")
    starts_on = models.DateField("起始日期")
    ends_on = models.DateField("截止日期")
    community_signatory = models.CharField("社区签字人", max_length=50)
    unit_signatory = models.CharField("单位签字人", max_length=50)
    signed_at = models.DateTimeField("签订时间", null=True, blank=True)
    scan = models.FileField("签字盖章扫描件", upload_to=agreement_path, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="起草人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("起草时间", default=timezone.now)

    class Meta:
        verbose_name = "双向服务协议"
        verbose_name_plural = "双向服务协议"
        ordering = ["community", "unit", "-number"]
        constraints = [models.UniqueConstraint(fields=["community", "unit", "number"], name="agreement_version_once")]

    def __str__(self) -> str:
        return f"{self.community}—{self.unit} 第{self.number}版"


class PartyMember(models.Model):
    """A party member registered with their home community (双报到)."""

    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("手机号", max_length=20)
    employer = models.ForeignKey(Unit, verbose_name="所在单位", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="party_members")
    community = models.ForeignKey(Area, verbose_name="报到社区", on_delete=models.PROTECT, related_name="party_members")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="账号", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="party_member")
    registered_at = models.DateTimeField("报到时间", default=timezone.now)

    class Meta:
        verbose_name = "报到党员"
        verbose_name_plural = "报到党员"
        ordering = ["community", "name"]
        constraints = [models.UniqueConstraint(fields=["phone", "community"], name="member_once_per_community")]

    def __str__(self) -> str:
        return self.name


class WishState(models.TextChoices):
    PUBLISHED = "published", "待认领"
    CLAIMED = "claimed", "已认领"
    FULFILLED = "fulfilled", "已实现"
    CONFIRMED = "confirmed", "居民已确认"


# THE micro-wish lifecycle: step → (label, from, to, who). A registered party member claims by phone; the
# wish's community records the fulfilment and the resident's confirmation.
WISH_STEPS: dict[str, tuple[str, str, str, str]] = {
    "claim": ("认领", WishState.PUBLISHED, WishState.CLAIMED, "报到党员（凭报到手机号）"),
    "fulfil": ("登记实现", WishState.CLAIMED, WishState.FULFILLED, "心愿所在社区"),
    "confirm": ("居民确认", WishState.FULFILLED, WishState.CONFIRMED, "心愿所在社区"),
}


class Wish(models.Model):
    """A resident's micro-wish (微心愿): small, concrete, fulfilled by a registered party member."""

    community = models.ForeignKey(Area, verbose_name="社区", on_delete=models.PROTECT, related_name="wishes")
    resident_name = models.CharField("居民姓名", max_length=50)
    resident_phone = models.CharField("居民电话", max_length=20, blank=True)
    text = models.CharField("心愿", max_length=200)
    state = models.CharField("状态", max_length=10, choices=WishState.choices, default=WishState.PUBLISHED,
                             db_index=True)
    member = models.ForeignKey(PartyMember, verbose_name="认领党员", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="wishes")
    hours = models.DecimalField("服务时长（小时）", max_digits=6, decimal_places=1, default=0)
    claimed_at = models.DateTimeField("认领时间", null=True, blank=True)
    fulfilled_at = models.DateTimeField("实现时间", null=True, blank=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发布人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("发布时间", default=timezone.now, db_index=True)
    version = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = "微心愿"
        verbose_name_plural = "微心愿"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text
