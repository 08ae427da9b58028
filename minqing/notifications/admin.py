from __future__ import annotations

from django.contrib import admin

from .models import DeliveryAttempt, OutboundMessage


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    readonly_fields = ["at", "ok", "backend", "detail"]
    can_delete = False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "to", "template", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["channel", "status", "template"]
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]
    inlines = [AttemptInline]

    def has_add_permission(self, request) -> bool:
        return False
