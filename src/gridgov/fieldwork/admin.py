from typing import Any

from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdmin
from gridgov.fieldwork.models import (
    CheckIn,
    Diary,
    DutyShift,
    KeyPoint,
    Leave,
    Patrol,
    PatrolStandard,
    Survey,
    Visit,
    VisitCadence,
    VisitTask,
)


@admin.register(Patrol)
class PatrolAdmin(admin.ModelAdmin):
    list_display = ("uid", "user", "grid", "started_at", "ended_at", "fix_count", "mileage_m")
    list_filter = ("source",)
    search_fields = ("user__username", "grid__code")
    raw_id_fields = ("user", "grid")
    readonly_fields = ("fix_count", "kept_count", "mileage_m", "duration_s", "summary_at")


@admin.register(PatrolStandard)
class PatrolStandardAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "post_kind",
        "level_depth",
        "tier",
        "period",
        "min_days",
        "min_duration_s",
        "min_mileage_m",
        "min_coverage",
        "is_active",
    )
    list_filter = ("period", "is_active")


@admin.register(KeyPoint)
class KeyPointAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "grid", "lon", "lat", "is_active")
    list_filter = ("kind", "is_active")
    raw_id_fields = ("grid",)


@admin.register(Diary)
class DiaryAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "day", "grid")
    list_filter = ("kind",)
    raw_id_fields = ("user", "grid", "cases")


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "at", "grid")
    raw_id_fields = ("user", "grid")


@admin.register(Leave)
class LeaveAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "starts_on", "ends_on")
    raw_id_fields = ("user", "recorded_by")


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ("user", "grid", "starts_at", "ends_at", "note")
    raw_id_fields = ("user", "grid")


# --- visits and surveys (h11a) ------------------------------------------------------------------


@admin.register(VisitCadence)
class VisitCadenceAdmin(admin.ModelAdmin):
    """Visit cadences per kind (seed 003 defaults): the office edits them here."""

    list_display = ("kind", "months", "is_active", "note")
    list_editable = ("months", "is_active")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("household", "user", "kind", "visited_at", "grid", "case")
    list_filter = ("kind",)
    search_fields = ("household__number", "user__username")


@admin.register(VisitTask)
class VisitTaskAdmin(ReadOnlyAdmin):
    list_display = ("household", "worker", "kind", "occasion", "due_at", "visit")
    list_filter = ("kind", "occasion")
    search_fields = ("household__number", "worker__username")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("title", "grid", "is_open", "created_at")
    list_editable = ("is_open",)
    fields = ("title", "description", "is_open")

    def has_add_permission(self, request: Any) -> bool:
        return False  # designed on the office's survey page (questions and scope)


# h11b: business safety and campaigns register their own admin.
from gridgov.fieldwork.safety import admin as safety_admin  # noqa: E402, F401
