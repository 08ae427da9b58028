"""Consultation and joint meetings (居民说事、协商议事、联席会议): agenda, attendance, votes,
resolutions tracked to completion, minutes in immutable versions, public notice (公示)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from minqing.lib.records import AppendOnly
from minqing.org.models import Area, Unit
from minqing.tickets.models import Ticket


class Kind(models.TextChoices):
    BUILDING = "building", "楼院协商"
    COMPOUND = "compound", "小区协商"
    TALK = "talk", "居民说事会"
    COMMUNITY_JOINT = "community_joint", "社区大党委联席会议"
    STREET_JOINT = "street_joint", "街道大工委联席会议"
    RESIDENTS = "residents", "居民会议"


class Level(models.TextChoices):
    COMMUNITY = "community", "社区召集"
    STREET = "street", "街道召集"


class PassBasis(models.TextChoices):
    CAST = "cast", "投票数（赞成+反对+弃权）"
    PRESENT = "present", "到会人数"


class MeetingRule(models.Model):
    """What a kind of meeting requires. One row per kind, seeded by the migration, editable by admins."""

    kind = models.CharField("会议类型", max_length=20, choices=Kind.choices, unique=True)
    level = models.CharField("召集层级", max_length=10, choices=Level.choices)
    notice_days = models.PositiveSmallIntegerField("提前通知天数", default=0)
    quorum = models.DecimalField(
        "法定人数比例", max_digits=3, decimal_places=2, default=Decimal("0"),
        help_text="实到须超过应到人数的这个比例才能表决；0 表示不要求（例如 0.50 即“过半数”）",
    )
    pass_basis = models.CharField("通过的计算基数", max_length=10, choices=PassBasis.choices, default=PassBasis.CAST)
    pass_share = models.DecimalField(
        "通过比例", max_digits=3, decimal_places=2, default=Decimal("0.50"),
        help_text="赞成票须超过基数的这个比例（0.50 即“过半数”，0.67 约为三分之二）",
    )
    participants = models.CharField(
        "可参会对象", max_length=200, default="resident,unit,grid_worker,party_member,staff",
        help_text="逗号分隔：resident 居民、unit 单位、grid_worker 网格员、party_member 党员、staff 工作人员",
    )
    publish_days = models.PositiveSmallIntegerField("公示天数", default=5)

    class Meta:
        verbose_name = "会议规则"
        verbose_name_plural = "会议规则"
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def allowed_participants(self) -> set[str]:
        return {p.strip() for p in self.participants.split(",") if p.strip()}


# What each kind starts with; admins may change them (系统管理 → 会议规则). 居民会议 follows the
# 城市居民委员会组织法: more than half of those entitled must attend, and a decision needs more than
# half of those present. Joint meetings need more than half of their member units.
#   kind: (level, notice days, quorum, pass basis, participants, publish days)
DEFAULT_RULES = {
    Kind.BUILDING: (Level.COMMUNITY, 1, "0", PassBasis.CAST, "resident,unit,grid_worker,party_member,staff", 5),
    Kind.COMPOUND: (Level.COMMUNITY, 2, "0", PassBasis.CAST, "resident,unit,grid_worker,party_member,staff", 5),
    Kind.TALK: (Level.COMMUNITY, 0, "0", PassBasis.CAST, "resident,grid_worker,party_member,staff", 5),
    Kind.COMMUNITY_JOINT: (Level.COMMUNITY, 3, "0.50", PassBasis.CAST, "unit,staff,party_member", 5),
    Kind.STREET_JOINT: (Level.STREET, 3, "0.50", PassBasis.CAST, "unit,staff", 5),
    Kind.RESIDENTS: (Level.COMMUNITY, 7, "0.50", PassBasis.PRESENT, "resident,staff", 7),
}


def default_rule(kind: str) -> MeetingRule:
    level, notice, quorum, basis, participants, publish = DEFAULT_RULES[Kind(kind)]
    return MeetingRule(kind=kind, level=level, notice_days=notice, quorum=Decimal(quorum), pass_basis=basis,
                       participants=participants, publish_days=publish)


def rules() -> list[MeetingRule]:
    """Every kind's rule: the admin's row, or the default (a migration writes the defaults; reading never writes)."""
    have = {r.kind: r for r in MeetingRule.objects.all()}
    return [have.get(k) or default_rule(k) for k in Kind.values]


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "筹备中"
    HELD = "held", "已召开"
    ARCHIVED = "archived", "已归档"
    CANCELLED = "cancelled", "已取消"


class Meeting(models.Model):
    kind = models.CharField("会议类型", max_length=20, choices=Kind.choices, db_index=True)
    topic = models.CharField("议题", max_length=120)
    starts_at = models.DateTimeField("会议时间", db_index=True)
    place = models.CharField("地点", max_length=120, help_text="例如：居民说事厅、党群服务中心、协商议事厅")
    area = models.ForeignKey(Area, verbose_name="涉及区域", on_delete=models.PROTECT, related_name="+",
                             help_text="楼院、小区、网格、社区或街道")
    community = models.ForeignKey(Area, verbose_name="社区", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    street = models.ForeignKey(Area, verbose_name="街道", on_delete=models.PROTECT, related_name="+")
    convener = models.ForeignKey(Unit, verbose_name="召集单位", on_delete=models.PROTECT, related_name="+")
    chair = models.CharField("主持人", max_length=50)
    entitled = models.PositiveIntegerField("应到人数", default=0,
                                           help_text="有权参会的人数（居民会议：有选举权的居民或户代表数；联席会议：成员单位数）")
    status = models.CharField("状态", max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED,
                              db_index=True)
    invited_at = models.DateTimeField("通知发出时间", null=True, blank=True)
    held_at = models.DateTimeField("实际召开时间", null=True, blank=True)
    present = models.PositiveIntegerField("实到人数", default=0)
    quorum_met = models.BooleanField("达到法定人数", null=True)
    notice_from = models.DateTimeField("公示开始", null=True, blank=True)
    notice_until = models.DateTimeField("公示结束", null=True, blank=True, db_index=True)
    exemplary = models.BooleanField("优秀案例", default=False, help_text="年度案例汇编收录")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    version = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = "议事会议"
        verbose_name_plural = "议事会议"
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["community", "starts_at"], name="meeting_community_time"),
                   models.Index(fields=["street", "starts_at"], name="meeting_street_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.topic}"

    @property
    def on_notice(self) -> bool:
        now = timezone.now()
        return bool(self.notice_from and self.notice_until and self.notice_from <= now < self.notice_until)


@dataclass(frozen=True)
class MeetingStep:
    label: str
    sources: frozenset[str]  # the statuses it may be taken in (empty: any)
    target: str | None = None  # the status it leads to, if it changes it


_P, _H, _A = MeetingStatus.PLANNED, MeetingStatus.HELD, MeetingStatus.ARCHIVED

# THE meeting lifecycle: planned → held → archived (or planned → cancelled); every step is a MeetingEvent
# of the same name, taken only by the convening unit (queries.can_manage), only in these statuses.
STEPS: dict[str, MeetingStep] = {
    "create": MeetingStep("登记会议", frozenset(), _P),
    "cancel": MeetingStep("取消会议", frozenset({_P}), MeetingStatus.CANCELLED),
    "agenda": MeetingStep("列入议程", frozenset({_P, _H})),
    "participant": MeetingStep("添加参会人", frozenset({_P})),
    "invite": MeetingStep("发出会议通知", frozenset({_P})),
    "attendance": MeetingStep("登记到会", frozenset({_P}), _H),
    "discussion": MeetingStep("记录讨论", frozenset({_H})),
    "motion": MeetingStep("表决", frozenset({_H})),
    "resolution": MeetingStep("形成决议", frozenset({_H})),
    "resolution_done": MeetingStep("决议完成", frozenset()),
    "minutes": MeetingStep("保存纪要", frozenset({_H, _A})),
    "minutes_publish": MeetingStep("发布纪要", frozenset({_H, _A}), _A),
    "notice": MeetingStep("公示", frozenset({_H, _A})),
    "exemplary": MeetingStep("评为优秀案例", frozenset()),
}


class MeetingEvent(AppendOnly, models.Model):
    """Every change to a meeting: who, when, what, why. Written once, never changed."""

    record_name = "会议记录"

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="events")
    action = models.CharField("动作", max_length=24)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField("操作人名称", max_length=60)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "会议记录"
        verbose_name_plural = "会议记录"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.action}"

    @property
    def label(self) -> str:
        step = STEPS.get(self.action)
        return step.label if step else self.action


class AgendaSource(models.TextChoices):
    REQUEST = "request", "民情事项"
    NEED = "need", "需求清单"
    FREE = "free", "自由议题"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="agenda")
    position = models.PositiveSmallIntegerField("顺序", default=1)
    source = models.CharField("来源", max_length=10, choices=AgendaSource.choices, default=AgendaSource.FREE)
    ticket = models.ForeignKey(Ticket, verbose_name="民情事项", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="agenda_items")
    title = models.CharField("议题", max_length=120)
    discussion = models.TextField("讨论情况", blank=True)

    class Meta:
        verbose_name = "议程"
        verbose_name_plural = "议程"
        ordering = ["meeting", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "ticket"], name="agenda_ticket_once")]

    def __str__(self) -> str:
        return self.title


class ParticipantKind(models.TextChoices):
    RESIDENT = "resident", "居民"
    UNIT = "unit", "单位"
    GRID_WORKER = "grid_worker", "网格员"
    PARTY_MEMBER = "party_member", "党员"
    STAFF = "staff", "工作人员"


class Participant(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="participants")
    kind = models.CharField("身份", max_length=16, choices=ParticipantKind.choices)
    name = models.CharField("姓名/单位", max_length=120)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    unit = models.ForeignKey(Unit, verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="账号", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField("通知时间", null=True, blank=True)
    attended = models.BooleanField("到会", null=True)

    class Meta:
        verbose_name = "参会人"
        verbose_name_plural = "参会人"
        ordering = ["meeting", "kind", "id"]

    def __str__(self) -> str:
        return self.name


class Motion(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="motions")
    agenda_item = models.ForeignKey(AgendaItem, verbose_name="议程", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="motions")
    text = models.CharField("表决事项", max_length=300)
    votes_for = models.PositiveIntegerField("赞成")
    votes_against = models.PositiveIntegerField("反对")
    votes_abstain = models.PositiveIntegerField("弃权")
    passed = models.BooleanField("通过")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField("记录时间", default=timezone.now)

    class Meta:
        verbose_name = "表决"
        verbose_name_plural = "表决"
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.text


class Resolution(models.Model):
    """A decision with an owner unit and a deadline, followed to completion like a request."""

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="resolutions")
    motion = models.ForeignKey(Motion, verbose_name="表决", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="resolutions")
    text = models.CharField("决议内容", max_length=300)
    owner = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="resolutions")
    due_date = models.DateField("完成时限", db_index=True)
    ticket = models.ForeignKey(Ticket, verbose_name="关联事项", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="resolutions")
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    done_note = models.TextField("完成情况", blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("形成时间", default=timezone.now)

    class Meta:
        verbose_name = "决议"
        verbose_name_plural = "决议"
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def done(self) -> bool:
        return self.done_at is not None

    @property
    def on_time(self) -> bool | None:
        """True/False once done (or once late); None while still within its deadline."""
        if self.done_at is not None:
            return timezone.localdate(self.done_at) <= self.due_date
        return False if timezone.localdate() > self.due_date else None

    @property
    def state(self) -> str:
        if self.done_at is not None:
            return "按期完成" if self.on_time else "超期完成"
        return "已超期" if self.on_time is False else "落实中"


def minutes_path(instance: MinutesAttachment, filename: str) -> str:
    return f"minutes/{timezone.localdate():%Y/%m}/{filename}"


class Minutes(models.Model):
    """One version of a meeting's minutes. Published versions never change; a correction is a new version."""

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="minutes")
    number = models.PositiveSmallIntegerField("版本号")
    text = models.TextField("纪要")
    correction_note = models.CharField("更正说明", max_length=300, blank=True)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="撰写人", on_delete=models.PROTECT,
                                   related_name="+")
    written_at = models.DateTimeField("撰写时间", default=timezone.now)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "会议纪要"
        verbose_name_plural = "会议纪要"
        ordering = ["meeting", "number"]
        constraints = [models.UniqueConstraint(fields=["meeting", "number"], name="minutes_version_once")]

    def __str__(self) -> str:
        return f"{self.meeting} 纪要 v{self.number}"


class MinutesAttachment(models.Model):
    minutes = models.ForeignKey(Minutes, verbose_name="纪要", on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField("文件", upload_to=minutes_path)
    name = models.CharField("原文件名", max_length=120)
    content_type = models.CharField("类型", max_length=60)

    class Meta:
        verbose_name = "纪要附件"
        verbose_name_plural = "纪要附件"

    def __str__(self) -> str:
        return self.name


def notice_deadline(starts_at: dt.datetime, notice_days: int) -> dt.datetime:
    """The latest moment invitations may go out for a meeting at `starts_at`."""
    return starts_at - dt.timedelta(days=notice_days)
