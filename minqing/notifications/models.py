"""In-app notifications and the outbox of SMS and e-mail. Knows nothing of requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from minqing.lib.masking import mask_phone


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField("类型", max_length=32)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class Preference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="notification_preference"
    )
    sms = models.BooleanField("短信提醒", default=False)
    email = models.BooleanField("邮件提醒", default=False)

    class Meta:
        verbose_name = "提醒方式"
        verbose_name_plural = "提醒方式"

    def __str__(self) -> str:
        return f"{self.user}：短信{'开' if self.sms else '关'}，邮件{'开' if self.email else '关'}"


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    EMAIL = "email", "邮件"
    WEBHOOK = "webhook", "Webhook"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class OutboundMessage(models.Model):
    """One SMS or e-mail to send; the worker delivers it, retrying, and records every attempt."""

    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    to = models.CharField("接收方", max_length=500)
    template = models.CharField("模板", max_length=50)
    params = models.JSONField("模板参数", default=dict)
    body = models.TextField("内容")
    status = models.CharField("状态", max_length=8, choices=MessageStatus.choices, default=MessageStatus.QUEUED,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_try_at = models.DateTimeField("应尝试时间", null=True, blank=True, db_index=True,
                                       help_text="待发送时下一次尝试的时间；过了很久仍未发出，巡检会重新排队")
    last_error = models.TextField("最近错误", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "外发消息"
        verbose_name_plural = "外发消息"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient_masked}：{self.template}"

    @property
    def recipient_masked(self) -> str:
        local, at, domain = self.to.partition("@")
        return f"{mask_phone(local)}{at}{domain}" if at else mask_phone(self.to)


class DeliveryAttempt(models.Model):
    message = models.ForeignKey(OutboundMessage, verbose_name="消息", on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField("时间", auto_now_add=True)
    ok = models.BooleanField("成功")
    backend = models.CharField("通道", max_length=100)
    detail = models.TextField("回执或错误", blank=True)

    class Meta:
        verbose_name = "发送记录"
        verbose_name_plural = "发送记录"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.message_id} {'成功' if self.ok else '失败'}"
