"""The registry's single rows in the Chinese admin: a household moves, a phone changes, a building is added
between imports. Patrols and visits are records of what a worker did: shown, never edited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from minqing.lib.admin import ReadOnlyAdmin
from minqing.lib.crypto import lookup_hash
from minqing.lib.validation import normalize_phone

from .models import Building, Household, Patrol, Visit


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["address", "name", "grid", "compound"]
    search_fields = ["address", "name", "grid__name"]
    autocomplete_fields = ["grid", "compound"]
    readonly_fields = ["created_at", "created_by"]

    def save_model(self, request: Any, obj: Building, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class HouseholdForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = ["building", "grid", "kind", "unit_no", "room", "name", "head_name", "head_phone", "id_number",
                  "people"]

    def clean_head_phone(self) -> str:
        phone = self.cleaned_data.get("head_phone") or ""
        if not phone.strip():
            return ""
        try:
            return normalize_phone(phone)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def clean(self) -> dict:
        cleaned = super().clean()
        building, grid = cleaned.get("building"), cleaned.get("grid")
        if building is not None and grid is not None and building.grid_id != grid.pk:
            self.add_error("grid", f"网格须与楼栋“{building}”所在的网格相同（{building.grid}）。")
        return cleaned


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    form = HouseholdForm
    list_display = ["label", "kind", "people", "grid"]  # no names or phones in the list
    list_filter = ["kind"]
    search_fields = ["building__address", "building__name", "room", "name"]
    autocomplete_fields = ["building", "grid"]
    readonly_fields = ["created_at", "created_by"]

    def save_model(self, request: Any, obj: Household, form: Any, change: bool) -> None:
        obj.head_phone_hash = lookup_hash(obj.head_phone) if obj.head_phone else ""
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyAdmin):
    list_display = ["worker", "grid", "started_at", "ended_at"]
    list_filter = ["grid"]
    date_hierarchy = "started_at"


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["visited_at", "worker", "grid", "finding", "ticket"]
    list_filter = ["finding"]
    date_hierarchy = "visited_at"
