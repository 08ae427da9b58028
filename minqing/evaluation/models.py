"""What the figures are made of: facts read off the event log, and their monthly sums.

A Fact is one thing that counts (a request received, a response clock that ended on time or late, a
callback…), produced by exactly one TicketEvent, in its transaction, and derived from the log by
facts.ticket_facts — the only definition of every metric. Rollup rows are the facts summed per
month × street × community × category × unit; the sweep folds new facts in. Both are derived data:
`manage.py metrics --rebuild` recreates them from the events, `--verify` recomputes and reports any
difference.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from minqing.lib.records import AppendOnly
from minqing.org.models import Area, Unit
from minqing.tickets.models import Category, Ticket, TicketEvent


class FactKind(models.TextChoices):
    RECEIVED = "received", "收到"
    ACCEPTED = "accepted", "受理"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "合并"
    DISPATCHED = "dispatched", "接收派单"
    RETURNED = "returned", "退回"
    RESPONSE = "response", "应响应"
    DEADLINE = "deadline", "应办结"
    RESOLVED = "resolved", "办结"
    CALLBACK = "callback", "有效回访"
    EXTENSION = "extension", "延期"
    RETURN_REQUESTED = "return_requested", "申请退单"
    RETURN_REFUSED = "return_refused", "退单被驳回"
    CALLBACK_INVALID = "callback_invalid", "无效回访"
    CONTACTED = "contacted", "回访问是否联系"  # ok: the resident says the unit contacted them
    CONTACT = "contact", "先行联系"  # ok: the holder contacted the reporter within the limit
    RECHECK = "recheck", "回访复核"  # ok: the re-check agreed with the callback
    REPORT_RATING = "report_rating", "报到评价"  # minutes: the street's rating of a summoned department, 1–5
    PROBLEM = "problem", "问题工单"


class Fact(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    kind = models.CharField("类别", max_length=20, choices=FactKind.choices)
    day = models.DateField("日期")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    grid = models.ForeignKey(Area, null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    channel = models.CharField("渠道", max_length=16)
    # response / deadline: met the deadline; callback: the resident said it was solved.
    ok = models.BooleanField(null=True)
    grade = models.CharField("满意度", max_length=16, blank=True)  # callback only
    minutes = models.FloatField(null=True)  # resolved only: from registration to resolution
    # Summed into its Rollup row yet? Facts are written with their event; the sweep folds them in
    # (facts.fold), so no request's transaction ever waits on a shared rollup row.
    rolled = models.BooleanField(default=False)

    class Meta:
        verbose_name = "考核事实"
        verbose_name_plural = "考核事实"
        indexes = [
            models.Index(fields=["day", "kind"], name="fact_day_kind"),
            # The median handling time reads a period's resolution times from this index alone.
            models.Index(fields=["kind", "day", "minutes"], name="fact_kind_day_minutes"),
            models.Index(fields=["community", "day"], name="fact_community_day"),
            models.Index(fields=["grid", "day"], name="fact_grid_day"),
            models.Index(fields=["unit", "day"], name="fact_unit_day"),
            models.Index(fields=["ticket"], name="fact_ticket"),
            # Facts not yet folded into the rollups: a handful, found by day without touching the rest.
            models.Index(fields=["day", "id"], condition=models.Q(rolled=False), name="fact_unrolled"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()} 事项{self.ticket_id}"


# Every counter a rollup keeps: (name, fact kind, what else must hold — or "minutes" to sum them).
COUNTERS: list[tuple[str, str, tuple[str, object] | str | None]] = [
    ("received", FactKind.RECEIVED, None),
    ("accepted", FactKind.ACCEPTED, None),
    ("rejected", FactKind.REJECTED, None),
    ("merged", FactKind.MERGED, None),
    ("dispatched", FactKind.DISPATCHED, None),
    ("returned", FactKind.RETURNED, None),
    ("extensions", FactKind.EXTENSION, None),
    ("response_due", FactKind.RESPONSE, None),
    ("response_ok", FactKind.RESPONSE, ("ok", True)),
    ("resolve_due", FactKind.DEADLINE, None),
    ("resolve_ok", FactKind.DEADLINE, ("ok", True)),
    ("resolved", FactKind.RESOLVED, None),
    ("handle_minutes", FactKind.RESOLVED, "minutes"),
    ("callbacks", FactKind.CALLBACK, None),
    ("solved", FactKind.CALLBACK, ("ok", True)),
    ("satisfied", FactKind.CALLBACK, ("grade", "satisfied")),
    ("basic", FactKind.CALLBACK, ("grade", "basic")),
    ("dissatisfied", FactKind.CALLBACK, ("grade", "dissatisfied")),
    ("return_requests", FactKind.RETURN_REQUESTED, None),
    ("returns_refused", FactKind.RETURN_REFUSED, None),
    ("callbacks_invalid", FactKind.CALLBACK_INVALID, None),
    ("contacted_asked", FactKind.CONTACTED, None),
    ("contacted", FactKind.CONTACTED, ("ok", True)),
    ("contact_due", FactKind.CONTACT, None),
    ("contact_ok", FactKind.CONTACT, ("ok", True)),
    ("rechecks", FactKind.RECHECK, None),
    ("recheck_ok", FactKind.RECHECK, ("ok", True)),
    ("report_ratings", FactKind.REPORT_RATING, None),
    ("report_score", FactKind.REPORT_RATING, "minutes"),
    ("problems", FactKind.PROBLEM, None),
]
COUNTER_NAMES = [c[0] for c in COUNTERS]
ROLLUP_KEY = ["grain", "month", "street_id", "community_id", "category_id", "unit_id"]


class Grain(models.TextChoices):
    MONTH = "month", "月"
    YEAR = "year", "年"


class Rollup(models.Model):
    """Facts summed per month — and again per calendar year, so that a year costs the same to read
    whether the district took ten thousand requests that year or a million."""

    grain = models.CharField("粒度", max_length=5, choices=Grain.choices, default=Grain.MONTH)
    month = models.DateField("起始日")  # the first day of the month, or of the year
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    received = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    merged = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    extensions = models.IntegerField(default=0)
    response_due = models.IntegerField(default=0)
    response_ok = models.IntegerField(default=0)
    resolve_due = models.IntegerField(default=0)
    resolve_ok = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    handle_minutes = models.FloatField(default=0)
    callbacks = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basic = models.IntegerField(default=0)
    dissatisfied = models.IntegerField(default=0)
    return_requests = models.IntegerField(default=0)
    returns_refused = models.IntegerField(default=0)
    callbacks_invalid = models.IntegerField(default=0)
    contacted_asked = models.IntegerField(default=0)
    contacted = models.IntegerField(default=0)
    contact_due = models.IntegerField(default=0)
    contact_ok = models.IntegerField(default=0)
    rechecks = models.IntegerField(default=0)
    recheck_ok = models.IntegerField(default=0)
    report_ratings = models.IntegerField(default=0)
    report_score = models.FloatField(default=0)
    problems = models.IntegerField(default=0)

    class Meta:
        verbose_name = "月度汇总"
        verbose_name_plural = "月度汇总"
        constraints = [models.UniqueConstraint(fields=["grain", "month", "street", "community", "category", "unit"],
                                               name="rollup_grain_key")]
        indexes = [models.Index(fields=["grain", "month", "community"], name="rollup_grain_month_community"),
                   models.Index(fields=["unit", "grain", "month"], name="rollup_unit_grain_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}（{self.get_grain_display()}） 社区{self.community_id} 分类{self.category_id} 单位{self.unit_id}"


# --- 星级评定 ------------------------------------------------------------------------------------
class SchemeStatus(models.TextChoices):
    DRAFT = "draft", "草拟"
    ASSESSING = "assessing", "评定中"
    NOTICE = "notice", "公示中"
    FIXED = "fixed", "已生效"


# THE star-rating lifecycle: step → (label, from, to). Only district assessors take these (stars._assessor);
# each is a StarEvent of the same name. Computing and scoring happen while assessing.
SCHEME_STEPS: dict[str, tuple[str, str, str]] = {
    "start": ("开始评定", SchemeStatus.DRAFT, SchemeStatus.ASSESSING),
    "publish": ("发布公示", SchemeStatus.ASSESSING, SchemeStatus.NOTICE),
    "reopen": ("撤回公示，重新评定", SchemeStatus.NOTICE, SchemeStatus.ASSESSING),
    "fix": ("确认生效", SchemeStatus.NOTICE, SchemeStatus.FIXED),
}


class StarScheme(models.Model):
    """A year's indicator scheme for rating communities: parts (stars) made of indicators, and levels."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    name = models.CharField("名称", max_length=60, default="社区星级评定")
    status = models.CharField("状态", max_length=12, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT)
    notice_days = models.PositiveSmallIntegerField("公示天数", default=7)
    notice_from = models.DateTimeField("公示开始", null=True, blank=True)
    notice_until = models.DateTimeField("公示结束", null=True, blank=True)
    fixed_at = models.DateTimeField("生效时间", null=True, blank=True)

    class Meta:
        verbose_name = "星级评定方案"
        verbose_name_plural = "星级评定方案"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年{self.name}"

    def clean(self) -> None:
        if self.notice_from and self.notice_until and self.notice_until < self.notice_from:
            raise ValidationError({"notice_until": "公示结束时间不能早于公示开始时间。"})


class IndicatorSource(models.TextChoices):
    FORMULA = "formula", "按考核指标计算"
    MANUAL = "manual", "评审录入（附佐证）"


class Indicator(models.Model):
    scheme = models.ForeignKey(StarScheme, verbose_name="方案", on_delete=models.CASCADE, related_name="indicators")
    part = models.CharField("所属星（分项）", max_length=20, help_text="例如：服务群众星")
    name = models.CharField("指标", max_length=60)
    max_score = models.DecimalField("满分", max_digits=6, decimal_places=1)
    weight = models.DecimalField("权重", max_digits=4, decimal_places=2, default=1,
                                 help_text="计入分项的分数 = 得分 × 权重")
    source = models.CharField("得分方式", max_length=8, choices=IndicatorSource.choices)
    formula = models.CharField(
        "计算公式", max_length=200, blank=True,
        help_text="按考核指标计算时填写，结果为 0～1 之间的比例，得分 = 满分 × 结果。可用：响应率、按期办结率、解决率、满意率、"
                  "返工率、延期率、退回率、综合得分（按百分制的比例），数字，+ - * / 和括号，min()、max()。"
                  "例如：0.5*满意率 + 0.5*解决率",
    )
    guidance = models.CharField("评分说明", max_length=300, blank=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "评定指标"
        verbose_name_plural = "评定指标"
        ordering = ["sort", "pk"]
        constraints = [models.UniqueConstraint(fields=["scheme", "part", "name"], name="indicator_unique")]

    def __str__(self) -> str:
        return f"{self.part}·{self.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .formula import FormulaError, check_formula

        if self.max_score is not None and self.max_score <= 0:
            raise ValidationError({"max_score": "满分必须大于 0。"})
        if self.weight is not None and self.weight <= 0:
            raise ValidationError({"weight": "权重必须大于 0。"})
        if self.source == IndicatorSource.FORMULA:
            try:
                check_formula(self.formula)
            except FormulaError as exc:
                raise ValidationError({"formula": str(exc)}) from exc
        elif self.formula:
            raise ValidationError({"formula": "评审录入的指标不填计算公式。"})


class StarLevel(models.Model):
    """N stars: every part at least min_part points and the total at least min_total."""

    scheme = models.ForeignKey(StarScheme, verbose_name="方案", on_delete=models.CASCADE, related_name="levels")
    stars = models.PositiveSmallIntegerField("星级", choices=[(i, f"{i}星") for i in range(1, 6)])
    min_part = models.DecimalField("每个分项不低于", max_digits=6, decimal_places=1)
    min_total = models.DecimalField("总分不低于", max_digits=7, decimal_places=1)

    class Meta:
        verbose_name = "星级门槛"
        verbose_name_plural = "星级门槛"
        ordering = ["-stars"]
        constraints = [models.UniqueConstraint(fields=["scheme", "stars"], name="star_level_unique")]

    def __str__(self) -> str:
        return f"{self.stars}星：分项≥{self.min_part}，总分≥{self.min_total}"


class StarScore(models.Model):
    """One community's points on one indicator: computed from the metrics, or entered with evidence."""

    scheme = models.ForeignKey(StarScheme, on_delete=models.CASCADE, related_name="scores")
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="scores")
    points = models.DecimalField("得分", max_digits=6, decimal_places=1)
    value = models.FloatField("公式结果", null=True, blank=True)
    note = models.CharField("评分理由", max_length=500, blank=True)
    evidence = models.FileField("佐证材料", upload_to="stars/%Y/", blank=True)
    evidence_name = models.CharField("佐证材料文件名", max_length=200, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    entered_at = models.DateTimeField("录入时间")

    class Meta:
        verbose_name = "星级得分"
        verbose_name_plural = "星级得分"
        constraints = [models.UniqueConstraint(fields=["community", "indicator"], name="star_score_unique")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.indicator}: {self.points}"


class StarResult(models.Model):
    """The result as published for notice, then fixed: a snapshot that later edits cannot change."""

    scheme = models.ForeignKey(StarScheme, on_delete=models.CASCADE, related_name="results")
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    parts = models.JSONField("分项得分")
    total = models.DecimalField("总分", max_digits=7, decimal_places=1)
    stars = models.PositiveSmallIntegerField("星级")
    rank = models.PositiveSmallIntegerField("名次")

    class Meta:
        verbose_name = "星级评定结果"
        verbose_name_plural = "星级评定结果"
        ordering = ["rank"]
        constraints = [models.UniqueConstraint(fields=["scheme", "community"], name="star_result_unique")]

    def __str__(self) -> str:
        return f"{self.scheme.year} {self.community_id}: {self.stars}星"


class StarEvent(AppendOnly, models.Model):
    record_name = "星级评定记录"

    scheme = models.ForeignKey(StarScheme, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("动作", max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField("操作人", max_length=60)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    created_at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "星级评定记录"
        verbose_name_plural = "星级评定记录"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.scheme} {self.action}"


# --- 评优：nominations and winners ---------------------------------------------------------------
class AwardKind(models.TextChoices):
    INNOVATION = "innovation", "党建载体创新奖"
    MODEL = "model", "示范社区"
    SECRETARY = "secretary", "优秀社区书记"


class NominationStatus(models.TextChoices):
    NOMINATED = "nominated", "已推荐"
    WON = "won", "获奖"
    NOT_WON = "not_won", "未获奖"


class Nomination(models.Model):
    """A community (with its project or its secretary) put forward for a year's award, and the decision.
    Each step is written once (who, when, why) by a guarded update and never changed."""

    year = models.PositiveSmallIntegerField("年度", db_index=True)
    kind = models.CharField("奖项", max_length=12, choices=AwardKind.choices)
    community = models.ForeignKey(Area, verbose_name="社区", on_delete=models.PROTECT, related_name="+")
    nominee = models.CharField("被推荐人或项目", max_length=60, blank=True,
                               help_text="优秀社区书记填姓名；党建载体创新奖填项目名称；示范社区可不填")
    reason = models.TextField("主要事迹（推荐理由）")
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="推荐人", on_delete=models.PROTECT,
                                     related_name="+")
    nominated_at = models.DateTimeField("推荐时间")
    status = models.CharField("结果", max_length=10, choices=NominationStatus.choices, default=NominationStatus.NOMINATED)
    citation = models.TextField("颁奖词 / 评审意见", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="评审人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("评审时间", null=True, blank=True)

    class Meta:
        verbose_name = "评优推荐"
        verbose_name_plural = "评优推荐"
        ordering = ["year", "kind", "pk"]
        constraints = [models.UniqueConstraint(fields=["year", "kind", "community", "nominee"], name="nomination_unique")]

    def __str__(self) -> str:
        return f"{self.year} {self.get_kind_display()} {self.nominee or self.community_id}"
