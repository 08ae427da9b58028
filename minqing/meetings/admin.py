from django.contrib import admin

from minqing.lib.admin import ReadOnlyAdmin

from .models import Meeting, MeetingEvent, MeetingRule


@admin.register(MeetingRule)
class MeetingRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "level", "notice_days", "quorum", "pass_basis", "pass_share", "publish_days"]


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    """Meetings change through the 议事 pages, where every change is recorded."""

    list_display = ["starts_at", "kind", "topic", "community", "street", "status"]
    list_filter = ["kind", "status", "street"]
    search_fields = ["topic"]


@admin.register(MeetingEvent)
class MeetingEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "meeting", "action", "actor_label", "note"]
    list_filter = ["action"]
    search_fields = ["note"]
