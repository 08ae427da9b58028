"""What oversight and accountability keep beside a request: escalation rules, 督办单, applications to the level
above (退单, 延期, 缓办), parts of other units (协办, 吹哨报到) and review rules (办结审核/核查)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from minqing.org.models import Unit

from .core import Category, Level, ReturnReason, ReviewKind, Ticket


class EscalationRule(models.Model):
    """What happens when a clock runs out, per category and level of the handling unit."""

    category = models.ForeignKey(
        Category, verbose_name="分类", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="留空适用于所有分类；一级分类的规则适用于其下二级分类。",
    )
    level = models.CharField("办理单位层级", max_length=16, choices=Level.choices, blank=True,
                             help_text="留空适用于所有层级。")
    escalate = models.BooleanField("超期自动上报督办", default=True, help_text="不勾选：超期只预警，不上报。")

    class Meta:
        verbose_name = "超期上报规则"
        verbose_name_plural = "超期上报规则"
        constraints = [models.UniqueConstraint(fields=["category", "level"], name="escalation_rule_unique")]

    def __str__(self) -> str:
        return f"{self.category or '所有分类'}·{self.get_level_display() or '所有层级'}：{'上报' if self.escalate else '只预警'}"


class Grade(models.TextChoices):
    NORMAL = "normal", "普通督办"
    YELLOW = "yellow", "黄牌督办"
    RED = "red", "红牌督办"


class SupervisionOrder(models.Model):
    """督办单: a supervisor's written demand on a request, which a named unit must answer in time."""

    ticket = models.ForeignKey(Ticket, verbose_name="事项", on_delete=models.PROTECT, related_name="orders")
    grade = models.CharField("督办等级", max_length=8, choices=Grade.choices, default=Grade.NORMAL)
    text = models.TextField("督办要求")
    unit = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="orders")
    reply_due_at = models.DateTimeField("回复时限")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="督办人", on_delete=models.PROTECT,
                                  related_name="+")
    issued_unit = models.ForeignKey(Unit, verbose_name="督办单位", null=True, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("下发时间")
    reply = models.TextField("回复", blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="回复人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    replied_at = models.DateTimeField("回复时间", null=True, blank=True)
    overdue_at = models.DateTimeField("超期时间", null=True, blank=True, help_text="到期未回复时由巡检记录")

    class Meta:
        verbose_name = "督办单"
        verbose_name_plural = "督办单"
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["reply_due_at"], condition=models.Q(replied_at=None, overdue_at=None),
                                name="order_waiting_due")]

    def __str__(self) -> str:
        return f"{self.get_grade_display()} {self.ticket.number}"

    @property
    def state(self) -> str:
        if self.replied_at:
            return "已回复（超期）" if self.overdue_at else "已回复"
        return "已超期未回复" if self.overdue_at else "待回复"


class ApplicationKind(models.TextChoices):
    RETURN = "return", "退单申请"
    EXTENSION = "extension", "延期申请"
    SUSPEND = "suspend", "缓办申请"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已同意"
    REFUSED = "refused", "不同意"


class Application(models.Model):
    """What the handling unit asks the level above to decide: a return (退单), an extension (延期) or a
    suspension (缓办). Nothing changes until it is approved; the unit's clocks keep running meanwhile.
    The original deadline stays here for statistics."""

    kind = models.CharField("类别", max_length=12, choices=ApplicationKind.choices, default=ApplicationKind.EXTENSION)
    ticket = models.ForeignKey(Ticket, verbose_name="事项", on_delete=models.PROTECT, related_name="applications")
    unit = models.ForeignKey(Unit, verbose_name="申请单位", on_delete=models.PROTECT, related_name="+")
    approver_unit = models.ForeignKey(Unit, verbose_name="审批单位", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField("申请时间")
    reason_code = models.CharField("退单原因", max_length=8, choices=ReturnReason.choices, blank=True)
    reason = models.TextField("申请理由")
    original_due_at = models.DateTimeField("原办结时限", null=True, blank=True)
    new_due_at = models.DateTimeField("申请延至", null=True, blank=True)
    until = models.DateField("计划恢复办理日期", null=True, blank=True, help_text="缓办申请")
    status = models.CharField("状态", max_length=8, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "申请（退单、延期、缓办）"
        verbose_name_plural = "申请（退单、延期、缓办）"
        ordering = ["-requested_at"]
        constraints = [models.UniqueConstraint(fields=["ticket"], condition=models.Q(status="pending"),
                                               name="one_pending_application")]
        indexes = [models.Index(fields=["approver_unit", "status"], name="application_queue")]

    def __str__(self) -> str:
        return f"{self.ticket.number} {self.get_kind_display()}（{self.get_status_display()}）"


class PartRole(models.TextChoices):
    ASSIST = "assist", "协办"
    SUMMONED = "summoned", "吹哨报到"


class Part(models.Model):
    """A unit's own share of a request besides the lead's: a co-handler (协办) with its task, or a department
    the street summoned (吹哨报到). Each part has its own clocks; each unit is measured on its own part."""

    ticket = models.ForeignKey(Ticket, verbose_name="事项", on_delete=models.PROTECT, related_name="parts")
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="parts")
    role = models.CharField("角色", max_length=10, choices=PartRole.choices)
    task = models.TextField("任务", blank=True)
    assigned_by = models.ForeignKey(Unit, verbose_name="交办单位", on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField("交办时间")
    sign_due_at = models.DateTimeField("签收时限")
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    contact_due_at = models.DateTimeField("联系群众时限", null=True, blank=True, help_text="吹哨报到")
    contacted_at = models.DateTimeField("联系群众时间", null=True, blank=True)
    done_due_at = models.DateTimeField("完成时限", help_text="协办：答复时限；吹哨报到：到场时限")
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    reply = models.TextField("答复/到场情况", blank=True)
    ended_at = models.DateTimeField("随主办办结", null=True, blank=True, help_text="主办单位办结时仍未完成的部分")
    rating = models.PositiveSmallIntegerField("报到评价（1–5）", null=True, blank=True)
    rating_note = models.TextField("评价说明", blank=True)
    # The sweep's pointer, as on Ticket: the next due time of this part not yet marked late.
    next_check_at = models.DateTimeField("下次检查时间", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "协办与报到"
        verbose_name_plural = "协办与报到"
        ordering = ["assigned_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "unit", "role"], name="part_once")]

    def __str__(self) -> str:
        return f"{self.ticket.number} {self.get_role_display()} {self.unit.name}"

    @property
    def open(self) -> bool:
        return self.done_at is None and self.ended_at is None

    @property
    def state(self) -> str:
        if self.done_at:
            return "已答复" if self.role == PartRole.ASSIST else "已到场报到"
        if self.ended_at:
            return "随主办办结"
        return "已签收" if self.signed_at else "待签收"


class ReviewRule(models.Model):
    """Whether a resolution waits for review before the callback, per category and level of the resolving unit."""

    category = models.ForeignKey(Category, verbose_name="分类", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+", help_text="留空适用于所有分类；一级分类的规则适用于其下二级分类。")
    level = models.CharField("办理单位层级", max_length=16, choices=Level.choices, blank=True, help_text="留空适用于所有层级。")
    review = models.CharField("办结后", max_length=12, choices=ReviewKind.choices, blank=True)

    class Meta:
        verbose_name = "办结审核规则"
        verbose_name_plural = "办结审核规则"
        constraints = [models.UniqueConstraint(fields=["category", "level"], name="review_rule_unique")]

    def __str__(self) -> str:
        return f"{self.category or '所有分类'}·{self.get_level_display() or '所有层级'}：{self.get_review_display()}"
