"""Admin for the data the office configures: inspection frequencies per risk grade and the
checklists (issue 11: frequency per grade configurable; checklists are data). Hazards and
inspections are read there only: their changes go through the services (events)."""

from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdmin
from gridgov.fieldwork.safety.models import (
    Checklist,
    ChecklistItem,
    Hazard,
    Inspection,
    InspectionFrequency,
)


@admin.register(InspectionFrequency)
class InspectionFrequencyAdmin(admin.ModelAdmin):
    list_display = ("risk_grade", "interval_days")


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    list_display = ("name", "purpose", "industry", "is_active")
    list_filter = ("purpose", "is_active")
    inlines = [ChecklistItemInline]


@admin.register(Hazard)
class HazardAdmin(ReadOnlyAdmin):
    list_display = ("number", "grid", "organisation", "grade", "state", "due_at")
    list_filter = ("state", "grade", "source")
    search_fields = ("number", "organisation__name")


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ("organisation", "grid", "inspector", "at")
