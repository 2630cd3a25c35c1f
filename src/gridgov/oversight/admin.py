"""Admin pages of oversight: schemes and warning rules are editable data (each save of a rule
through `warnings.save_rule` makes a new version; the admin shows every version); runs,
results and warnings are read-only records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.oversight import models as m


class SchemeItemInline(admin.TabularInline):
    model = m.SchemeItem
    extra = 0


@admin.register(m.Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "name", "is_current", "share_in_department"]
    list_filter = ["is_current"]
    inlines = [SchemeItemInline]


@admin.register(m.WarningRule)
class WarningRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "name", "kind", "is_current", "is_active", "created_at"]
    list_filter = ["kind", "is_current", "is_active"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.AssessmentRun)
class AssessmentRunAdmin(ReadOnly):
    list_display = ["scheme", "month", "unit_kind", "revision", "state", "published_at"]
    list_filter = ["state", "unit_kind"]


@admin.register(m.EarlyWarning)
class EarlyWarningAdmin(ReadOnly):
    list_display = ["level", "grid", "reason", "raised_at", "lifted_at"]
    list_filter = ["level", "rule_code"]


@admin.register(m.Appeal)
class AppealAdmin(ReadOnly):
    list_display = ["result", "item_code", "state", "raised_at"]


for model in (
    m.ManualScore,
    m.SurveyResult,
    m.WarningBulletin,
    m.RewardSanction,
    m.ResponsibilityContract,
    m.CoordinationGroup,
    m.JointAction,
    m.Meeting,
    m.Training,
    m.Notice,
):
    admin.site.register(model, ReadOnly)
