"""API tokens for other systems, and idempotency keys for retried creates."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models

from minqing.lib import net
from minqing.tickets.models import Ticket

PERMISSIONS = {
    "intake": "登记诉求并查看自己登记的诉求",
    "read": "按范围查看诉求",
    "act": "按范围办理诉求（受理、派单、签收、办结……）",
}


def _digest(secret: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), secret.encode(), hashlib.sha256).hexdigest()


class ApiToken(models.Model):
    """A system's key. Only a keyed hash is stored; the token is shown once, when it is created.

    The token acts as its service user, whose roles give the scope (a unit, a street, the
    district); `permissions` limit what it may do within that scope.
    """

    name = models.CharField("名称", max_length=80, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="服务账号", on_delete=models.CASCADE,
                             related_name="api_tokens")
    prefix = models.CharField("前缀", max_length=12, unique=True, editable=False)
    secret_hash = models.CharField("摘要", max_length=64, editable=False)
    permissions = models.JSONField("权限", default=list, help_text="intake、read、act 中的一个或多个")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"

    @classmethod
    def issue(cls, *, name: str, user: object, permissions: list[str]) -> tuple[ApiToken, str]:
        """Create a token; returns it and the plain text, which is never stored."""
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        token = cls.objects.create(name=name, user=user, prefix=prefix, secret_hash=_digest(secret),
                                   permissions=permissions)
        return token, f"mq_{prefix}_{secret}"

    @classmethod
    def find(cls, plain: str) -> ApiToken | None:
        parts = (plain or "").split("_", 2)
        if len(parts) != 3 or parts[0] != "mq":
            return None
        # Every API call starts here, so plain statements rather than the ORM's query compiler (which cost
        # about 1 ms a call here); the token is looked up afresh each time, so a revoked one fails at once.
        table, users = cls._meta.db_table, get_user_model()
        token = next(iter(cls.objects.raw(
            f"SELECT id, user_id, secret_hash, permissions, last_used_at FROM {table} "  # noqa: S608 - fixed names
            "WHERE prefix = %s AND revoked_at IS NULL", [parts[1]])), None)
        if token is None or not hmac.compare_digest(token.secret_hash, _digest(parts[2])):
            return None
        user = next(iter(users.objects.raw(f"SELECT * FROM {users._meta.db_table} WHERE id = %s",  # noqa: S608
                                           [token.user_id])), None)
        if user is None:
            return None
        token.user = user
        return token


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key: a retried POST returns the request the first one created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "幂等键"
        verbose_name_plural = "幂等键"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique")]

    def __str__(self) -> str:
        return self.key


class Webhook(models.Model):
    """An external system told of every status change: signed JSON, retried with backoff, each try logged."""

    name = models.CharField("名称", max_length=80)
    url = models.URLField("地址", max_length=500)
    secret = models.CharField("签名密钥", max_length=100, help_text="对方用它校验 X-Minqing-Signature（HMAC-SHA256）")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "Webhook"
        verbose_name_plural = "Webhook"

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"

    def clean(self) -> None:
        try:
            net.check_url(self.url)
        except net.PrivateTarget as exc:
            raise ValidationError({"url": str(exc)}) from exc


DEFAULT_COLUMNS = {
    "external_number": "工单编号",
    "received_at": "来电时间",
    "reporter_name": "来电人",
    "reporter_phone": "联系电话",
    "text": "诉求内容",
    "type": "诉求类型",
    "area": "所属区域",
    "due": "办理时限",
    "category": "诉求分类",
}


class ImportMapping(models.Model):
    """Which column of a 12345 export holds which field; saved so each upload reuses it."""

    name = models.CharField("名称", max_length=80, unique=True)
    columns = models.JSONField("列对应关系", default=dict,
                               help_text="字段 → 表头，例如 {\"external_number\": \"工单编号\", \"text\": \"诉求内容\"}")

    class Meta:
        verbose_name = "工单导入格式"
        verbose_name_plural = "工单导入格式"

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    file = models.FileField("文件", upload_to="imports/%Y/%m/")
    mapping = models.ForeignKey(ImportMapping, verbose_name="导入格式", on_delete=models.PROTECT)
    default_category = models.ForeignKey("tickets.Category", verbose_name="默认分类", on_delete=models.PROTECT,
                                         related_name="+")
    status = models.CharField("状态", max_length=10, default="queued",
                              choices=[("queued", "排队中"), ("running", "导入中"), ("done", "已完成"),
                                       ("failed", "失败")])
    total = models.PositiveIntegerField("总行数", default=0)
    done = models.PositiveIntegerField("已处理", default=0)
    created = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    rejected = models.PositiveIntegerField("拒绝", default=0)
    report = models.JSONField("逐行报告", default=list)
    error = models.TextField("错误", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "工单导入"
        verbose_name_plural = "工单导入"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file.name}（{self.get_status_display()}）"

    @property
    def seconds_left(self) -> float | None:
        from django.utils import timezone

        if self.status != "running" or not self.started_at or not self.done:
            return None
        elapsed = (timezone.now() - self.started_at).total_seconds()
        return elapsed / self.done * (self.total - self.done)


class PlatformMessage(models.Model):
    """One message to the 12345 platform (签收, 阶段反馈, 退单申请, 延期申请, 办结): the durable outbox row of the
    connector (platform12345.py). `key` is (event, kind), unique: a step is queued once however often its event
    is handled, and the platform is sent the same `key` on every retry so it can drop a repeat."""

    KINDS = [("sign", "签收"), ("feedback", "阶段反馈"), ("return_apply", "退单申请"), ("extension_apply", "延期申请"),
             ("resolve", "办结")]
    key = models.CharField("消息编号", max_length=60, unique=True)
    ticket = models.ForeignKey(Ticket, verbose_name="事项", on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("tickets.TicketEvent", verbose_name="办理记录", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类别", max_length=16, choices=KINDS)
    payload = models.JSONField("内容", default=dict)
    status = models.CharField("状态", max_length=8, default="queued", db_index=True,
                              choices=[("queued", "待发送"), ("sent", "已发送"), ("failed", "发送失败")])
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_try_at = models.DateTimeField("应尝试时间", null=True, blank=True, db_index=True)
    last_error = models.TextField("最近错误", blank=True)
    reply = models.TextField("平台回复", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "12345外发消息"
        verbose_name_plural = "12345外发消息"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}（{self.get_status_display()}）"


class PlatformInbound(models.Model):
    """One message from the 12345 platform (a new order, a decision on an application, a callback result, a
    changed deadline), kept by the platform's message id: a repeat is dropped, and one that cannot be applied yet
    (it arrived before what it refers to) waits and is tried again."""

    KINDS = [("order", "新工单"), ("decision", "审批结果"), ("evaluation", "回访结果"), ("deadline", "时限变更"),
             ("unknown", "未知")]
    key = models.CharField("平台消息编号", max_length=100, unique=True)
    kind = models.CharField("类别", max_length=12, choices=KINDS)
    number = models.CharField("12345工单编号", max_length=50, blank=True, db_index=True)
    payload = models.JSONField("内容", default=dict)
    platform_at = models.DateTimeField("平台时间", null=True, blank=True)
    status = models.CharField("状态", max_length=8, default="waiting", db_index=True,
                              choices=[("waiting", "待处理"), ("done", "已处理"), ("rejected", "无法处理")])
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_try_at = models.DateTimeField("应尝试时间", null=True, blank=True, db_index=True)
    result = models.TextField("处理结果", blank=True)
    ticket = models.ForeignKey(Ticket, verbose_name="事项", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    received_at = models.DateTimeField("收到时间", auto_now_add=True)
    done_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "12345平台来件"
        verbose_name_plural = "12345平台来件"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or self.key}（{self.get_status_display()}）"


class PlatformCursor(models.Model):
    """Where the last pull from a 12345 platform stopped (the platform's feed position)."""

    name = models.CharField("平台", max_length=40, unique=True)
    cursor = models.CharField("位置", max_length=100, blank=True)
    pulled_at = models.DateTimeField("最近拉取", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)

    class Meta:
        verbose_name = "12345拉取位置"
        verbose_name_plural = "12345拉取位置"

    def __str__(self) -> str:
        return f"{self.name}：{self.cursor or '（开始）'}"
