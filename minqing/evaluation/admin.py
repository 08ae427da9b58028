from __future__ import annotations

from django.contrib import admin

from minqing.lib.admin import ReadOnlyAdmin

from .models import Indicator, SchemeStatus, StarEvent, StarLevel, StarScheme


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["part", "name", "max_score", "weight", "source", "formula", "guidance", "sort"]


class LevelInline(admin.TabularInline):
    model = StarLevel
    extra = 0


@admin.register(StarScheme)
class StarSchemeAdmin(admin.ModelAdmin):
    """Indicators and levels are edited while the scheme is a draft; after that the flow runs on its page."""

    list_display = ["year", "name", "status", "notice_until", "fixed_at"]
    inlines = [IndicatorInline, LevelInline]
    readonly_fields = ["status", "notice_from", "notice_until", "fixed_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.status == SchemeStatus.DRAFT)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.status == SchemeStatus.DRAFT)


@admin.register(StarEvent)
class StarEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "scheme", "action", "actor_label", "note"]
    list_filter = ["scheme", "action"]
