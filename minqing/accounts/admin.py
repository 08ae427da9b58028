from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from .models import RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1
    autocomplete_fields = ["area", "unit"]


class PasswordSetByAdmin(AdminPasswordChangeForm):
    """A password an administrator set is only for the first login: its owner must change it."""

    def save(self, commit: bool = True) -> User:
        self.user.must_change_password = True
        return super().save(commit=commit)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    change_password_form = PasswordSetByAdmin
    list_display = ["username", "full_name", "phone", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "phone"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("民情流水线", {"fields": ("full_name", "phone", "must_change_password")}))

    def save_model(self, request, obj: User, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        if not change:
            obj.must_change_password = True  # the administrator chose the first password
        super().save_model(request, obj, form, change)
    inlines = [RoleInline]
