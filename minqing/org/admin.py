from __future__ import annotations

from django.contrib import admin

from .models import AddressRange, Area, PartyOrganisation, Seat, Unit


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "code", "households", "population"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]


class PartyInline(admin.StackedInline):
    model = PartyOrganisation
    extra = 0


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "area", "contact_name", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    autocomplete_fields = ["area"]
    inlines = [PartyInline]


@admin.register(PartyOrganisation)
class PartyOrganisationAdmin(admin.ModelAdmin):
    list_display = ["unit", "kind", "secretary", "members"]
    list_filter = ["kind"]
    search_fields = ["unit__name", "secretary"]
    autocomplete_fields = ["unit"]


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    """Seats are added on the 红色矩阵 page (one per unit, committee and term); here they can be corrected."""

    list_display = ["unit", "committee", "term", "member"]
    list_filter = ["term"]
    search_fields = ["unit__name", "committee__name"]
    autocomplete_fields = ["unit", "committee"]


@admin.register(AddressRange)
class AddressRangeAdmin(admin.ModelAdmin):
    """门牌地址库: road + house numbers → grid, entered here (there is no bulk import yet)."""

    list_display = ["road", "number_from", "number_to", "parity", "area", "note"]
    list_filter = ["parity"]
    search_fields = ["road", "area__name"]
    autocomplete_fields = ["area"]
