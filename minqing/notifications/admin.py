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
    """Recipients are masked here: whoever keeps the system running does not need residents' numbers."""

    list_display = ["id", "channel", "recipient", "template", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["channel", "status", "template"]
    exclude = ["to", "params"]
    readonly_fields = ["recipient", *[f.name for f in OutboundMessage._meta.fields if f.name not in {"to", "params"}]]

    @admin.display(description="接收方")
    def recipient(self, message: OutboundMessage) -> str:
        return message.recipient_masked
    inlines = [AttemptInline]

    def has_add_permission(self, request) -> bool:
        return False
