"""主动治理: governance projects (治理专项 / 每月一题) that follow whether a recurring matter went away, and
the knowledge base (知识库) of answers to common enquiries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from minqing.org.models import Area, Unit
from minqing.tickets.models import Category, Ticket


class ProjectStatus(models.TextChoices):
    RUNNING = "running", "推进中"
    DONE = "done", "已完成"
    CANCELLED = "cancelled", "已撤销"


class Source(models.TextChoices):
    HOTSPOT = "hotspot", "高频事项"
    PROBLEMS = "problems", "问题工单"
    RESOLUTION = "resolution", "议事决议"
    MANUAL = "manual", "直接立项"


class TargetKind(models.TextChoices):
    VOLUME = "volume", "诉求量下降（%）"
    SATISFACTION = "satisfaction", "满意率提升（百分点）"


class Project(models.Model):
    """A 治理专项: which requests it is about (its definition), who leads, what it aims at and by when."""

    title = models.CharField("专项名称", max_length=100)
    description = models.TextField("问题与措施", blank=True)
    # The definition: a request matches when it fits every part that is set.
    category = models.ForeignKey(Category, verbose_name="事项分类", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", help_text="一级分类包含其下所有二级分类；留空表示不限")
    area = models.ForeignKey(Area, verbose_name="区域", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", help_text="街道、社区、网格或小区；留空表示全区")
    place = models.CharField("地点", max_length=60, blank=True,
                             help_text="内容里写明的地点或登记的小区、社区名称，例如 铁建丽苑小区；留空表示不限")
    keywords = models.CharField("关键词", max_length=300, blank=True,
                                help_text="用空格或顿号分隔，内容包含其中任一个即算；留空表示不限")
    lead_unit = models.ForeignKey(Unit, verbose_name="牵头单位", on_delete=models.PROTECT, related_name="+")
    co_units = models.ManyToManyField(Unit, verbose_name="配合单位", blank=True, related_name="+")
    target_kind = models.CharField("目标", max_length=16, choices=TargetKind.choices, default=TargetKind.VOLUME)
    target_value = models.PositiveSmallIntegerField("目标值", default=30,
                                                    help_text="诉求量下降的百分比，或满意率提升的百分点")
    start_date = models.DateField("启动日期")
    deadline = models.DateField("完成期限")
    baseline_months = models.PositiveSmallIntegerField("对比基期（月）", default=3,
                                                       help_text="启动前多少个月作为“治理前”")
    source = models.CharField("来源", max_length=16, choices=Source.choices, default=Source.MANUAL)
    source_note = models.CharField("来源说明", max_length=300, blank=True)
    resolution = models.ForeignKey("meetings.Resolution", verbose_name="来源决议", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.RUNNING,
                              db_index=True)
    public = models.BooleanField("列入每月一题公示", default=True)
    result = models.TextField("成效说明", blank=True)
    # The sweep looks at requests after this id again each pass (see sweep.py for why it trails behind).
    linked_through = models.BigIntegerField("已比对至事项", default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="立项人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("立项时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
    version = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = "治理专项"
        verbose_name_plural = "治理专项"
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def target_label(self) -> str:
        if self.target_kind == TargetKind.SATISFACTION:
            return f"满意率提升 {self.target_value} 个百分点"
        return f"诉求量下降 {self.target_value}%"


class LinkHow(models.TextChoices):
    AUTO = "auto", "自动关联"
    SOURCE = "source", "立项时选入"


class ProjectTicket(models.Model):
    project = models.ForeignKey(Project, verbose_name="专项", on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey(Ticket, verbose_name="事项", on_delete=models.CASCADE, related_name="+")
    how = models.CharField("关联方式", max_length=16, choices=LinkHow.choices, default=LinkHow.AUTO)
    linked_at = models.DateTimeField("关联时间", default=timezone.now)

    class Meta:
        verbose_name = "专项关联事项"
        verbose_name_plural = "专项关联事项"
        constraints = [models.UniqueConstraint(fields=["project", "ticket"], name="project_ticket_once")]

    def __str__(self) -> str:
        return f"{self.project_id} ← {self.ticket_id}"


class Milestone(models.Model):
    project = models.ForeignKey(Project, verbose_name="专项", on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField("节点", max_length=100)
    due_date = models.DateField("计划完成")
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    done_note = models.CharField("完成情况", max_length=300, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "专项节点"
        verbose_name_plural = "专项节点"
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title


class ProjectLog(models.Model):
    """Who changed what on a project, and when."""

    project = models.ForeignKey(Project, verbose_name="专项", on_delete=models.CASCADE, related_name="log")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.PROTECT,
                              related_name="+")
    action = models.CharField("操作", max_length=32)
    note = models.CharField("说明", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "专项记录"
        verbose_name_plural = "专项记录"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.action}"


class KnowledgeEntry(models.Model):
    """An answer to a common question, with the policy it rests on: suggested at intake, used as a reply."""

    category = models.ForeignKey(Category, verbose_name="事项分类", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    question = models.CharField("常见问题", max_length=200)
    answer = models.TextField("答复口径")
    citation = models.CharField("政策依据", max_length=300, blank=True)
    keywords = models.CharField("关键词", max_length=200, blank=True, help_text="用空格或顿号分隔")
    active = models.BooleanField("启用", default=True)
    uses = models.PositiveIntegerField("使用次数", default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("修改时间", default=timezone.now)

    class Meta:
        verbose_name = "知识库条目"
        verbose_name_plural = "知识库"
        ordering = ["-uses", "id"]

    def __str__(self) -> str:
        return self.question


class KnowledgeUse(models.Model):
    entry = models.ForeignKey(KnowledgeEntry, verbose_name="条目", on_delete=models.CASCADE, related_name="used")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="使用人", on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, verbose_name="事项", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    where = models.CharField("用于", max_length=16, choices=[("intake", "登记时答复"), ("reply", "办理答复")])
    created_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "知识库使用"
        verbose_name_plural = "知识库使用"

    def __str__(self) -> str:
        return f"{self.entry_id} {self.created_at:%Y-%m-%d}"
