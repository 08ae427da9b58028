from django.contrib import admin

from .models import Meeting, MeetingEvent, MeetingRule


@admin.register(MeetingRule)
class MeetingRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "level", "notice_days", "quorum", "pass_basis", "pass_share", "publish_days"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Read-only here: meetings change through the 议事 pages, where every change is recorded."""

    list_display = ["starts_at", "kind", "topic", "community", "street", "status"]
    list_filter = ["kind", "status", "street"]
    search_fields = ["topic"]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(MeetingEvent)
class MeetingEventAdmin(MeetingAdmin):
    list_display = ["created_at", "meeting", "action", "actor_label", "note"]
    list_filter = ["action"]
    search_fields = ["note"]
