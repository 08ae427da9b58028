from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone

from .models import ApiToken, Webhook


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
