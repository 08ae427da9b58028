from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from minqing.lib.admin import ReadOnlyAdmin

from .models import (
    Application,
    CalendarDay,
    Category,
    DeadlinePolicy,
    EscalationRule,
    PersonalDataView,
    SupervisionOrder,
    Ticket,
    TicketEvent,
    UrgencyWord,
)


class SubcategoryInline(admin.TabularInline):
    model = Category
    fields = ["name", "code", "brand", "default_unit", "active", "sort"]
    autocomplete_fields = ["default_unit"]
    extra = 1


class PolicyInline(admin.TabularInline):
    model = DeadlinePolicy
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "brand", "code", "default_unit", "active", "sort"]
    list_filter = ["brand", "active", "parent"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["default_unit", "parent"]
    filter_horizontal = ["streets"]
    inlines = [SubcategoryInline, PolicyInline]


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "response_hours", "resolve_days", "complex_resolve_days", "escalated_resolve_days"]
    list_filter = ["urgency"]
    autocomplete_fields = ["category"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


class EventInline(admin.TabularInline):
    model = TicketEvent
    fields = ["created_at", "action", "from_status", "to_status", "actor_label", "actor_unit", "to_unit", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "status", "category", "community", "handling_unit", "created_at"]
    list_filter = ["status", "channel", "type", "urgency", "street"]
    search_fields = ["number", "title"]
    inlines = [EventInline]
    exclude = ["reporter_phone", "reporter_name", "tracking_code_hash"]


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "category", "level", "escalate"]
    list_filter = ["level", "escalate"]
    autocomplete_fields = ["category"]


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "grade", "unit", "issued_by", "issued_at", "reply_due_at", "replied_at", "overdue_at"]
    list_filter = ["grade"]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "kind", "unit", "approver_unit", "reason_code", "original_due_at", "new_due_at", "until",
                    "status", "decided_at"]
    list_filter = ["kind", "status", "reason_code"]


@admin.register(UrgencyWord)
class UrgencyWordAdmin(admin.ModelAdmin):
    list_display = ["word", "active"]
    list_editable = ["active"]
    search_fields = ["word"]


@admin.register(PersonalDataView)
class PersonalDataViewAdmin(ReadOnlyAdmin):
    """Who saw whose full phone number."""

    list_display = ["viewed_at", "viewer", "ticket", "via"]
    list_filter = ["via"]
    search_fields = ["ticket__number", "viewer__username", "viewer__full_name"]
    date_hierarchy = "viewed_at"
