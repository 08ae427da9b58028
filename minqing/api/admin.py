from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone

from .models import ApiToken, PlatformCursor, PlatformInbound, PlatformMessage, Webhook
from .platform12345 import message_resend


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "permissions", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["name", "user", "permissions", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]
    autocomplete_fields = ["user"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: object, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, plain = ApiToken.issue(name=obj.name, user=obj.user, permissions=obj.permissions)
        obj.pk = token.pk
        messages.warning(request, f"新令牌（只显示这一次，请立即复制）：{plain}")

    @admin.action(description="吊销所选令牌")
    def revoke(self, request: HttpRequest, queryset: object) -> None:
        count = queryset.filter(revoked_at=None).update(revoked_at=timezone.now())  # type: ignore[attr-defined]
        messages.success(request, f"已吊销 {count} 个令牌。")


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "active"]
    list_editable = ["active"]


@admin.register(PlatformMessage)
class PlatformMessageAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "ticket", "status", "attempts", "next_try_at", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["key", "ticket__number", "ticket__external_number"]
    readonly_fields = [f.name for f in PlatformMessage._meta.fields]
    actions = ["resend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="重新发送所选的失败消息")
    def resend(self, request: HttpRequest, queryset: object) -> None:
        count = message_resend(ids=list(queryset.values_list("pk", flat=True)))  # type: ignore[attr-defined]
        messages.success(request, f"已重新排队 {count} 条。")


@admin.register(PlatformInbound)
class PlatformInboundAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "number", "status", "attempts", "platform_at", "received_at", "result"]
    list_filter = ["status", "kind"]
    search_fields = ["key", "number"]
    readonly_fields = [f.name for f in PlatformInbound._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PlatformCursor)
class PlatformCursorAdmin(admin.ModelAdmin):
    list_display = ["name", "cursor", "pulled_at", "last_error"]
