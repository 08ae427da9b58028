"""What the triage learns and records: keyword rules for a cold start, trained models, suggestions."""

from __future__ import annotations

from django.db import models

from minqing.tickets.models import Category, Ticket


class KeywordRule(models.Model):
    category = models.OneToOneField(Category, verbose_name="分类", on_delete=models.CASCADE, related_name="keyword_rule",
                                    limit_choices_to={"parent__isnull": False})
    keywords = models.TextField("关键词", help_text="用逗号、顿号或空格分隔，例如：路灯、不亮、灯坏了")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "分类关键词规则"
        verbose_name_plural = "分类关键词规则"

    def __str__(self) -> str:
        return f"{self.category}：{self.keywords[:30]}"

    def words(self) -> list[str]:
        import re

        return [w for w in re.split(r"[,，、\s]+", self.keywords) if w]


class TriageModel(models.Model):
    trained_at = models.DateTimeField("训练时间")
    samples = models.PositiveIntegerField("样本数")
    labels = models.JSONField("分类", default=list)
    cv_macro_f1 = models.FloatField("交叉验证 macro-F1", null=True, blank=True)
    cv_accuracy = models.FloatField("交叉验证准确率", null=True, blank=True)
    train_seconds = models.FloatField("训练用时（秒）")
    size_bytes = models.PositiveIntegerField("模型大小（字节）")
    blob = models.BinaryField("模型")
    active = models.BooleanField("使用中", default=False)

    class Meta:
        verbose_name = "分类模型"
        verbose_name_plural = "分类模型"
        ordering = ["-trained_at"]

    def __str__(self) -> str:
        f1 = f"，macro-F1 {self.cv_macro_f1:.3f}" if self.cv_macro_f1 is not None else ""
        from django.utils import timezone

        return f"{timezone.localtime(self.trained_at):%Y-%m-%d %H:%M} 训练，{self.samples} 条，{len(self.labels)} 类{f1}"


class Suggestion(models.Model):
    """A category proposed at intake, and what the operator finally chose."""

    digest = models.CharField("内容摘要", max_length=40, db_index=True)
    suggested = models.ForeignKey(Category, verbose_name="建议分类", null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    confidence = models.FloatField("置信度")
    method = models.CharField("方式", max_length=16, choices=[("model", "模型"), ("keywords", "关键词规则")])
    ticket = models.OneToOneField(Ticket, verbose_name="事项", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="suggestion")
    final = models.ForeignKey(Category, verbose_name="最终分类", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    accepted = models.BooleanField("采纳", null=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "分类建议记录"
        verbose_name_plural = "分类建议记录"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.suggested} ({self.confidence:.0%})"
