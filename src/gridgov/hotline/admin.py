"""Admin pages: the back-tracing rule (editable, one row) and the sources' mappings; records,
rounds, tasks and models are read-only here (they change through the services)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from gridgov.core.admin import ReadOnlyAdmin
from gridgov.hotline.models import (
    BacktraceTask,
    CrosscheckRound,
    CrosscheckRule,
    HotlineRecord,
    HotlineSource,
    TextModel,
    TierProposal,
)


@admin.register(CrosscheckRule)
class CrosscheckRuleAdmin(admin.ModelAdmin):
    list_display = ["distance_m", "window_hours", "channels", "task_days"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not CrosscheckRule.objects.exists()


@admin.register(HotlineSource)
class HotlineSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "label", "updated_at"]
    readonly_fields = ["mapping"]


@admin.register(HotlineRecord)
class HotlineRecordAdmin(ReadOnlyAdmin):
    list_display = ["external_number", "source", "received_at", "status", "item", "grid"]
    list_filter = ["source", "status"]
    search_fields = ["external_number"]
    list_select_related = ["source", "item", "grid"]


@admin.register(CrosscheckRound)
class CrosscheckRoundAdmin(ReadOnlyAdmin):
    list_display = ["number", "period_start", "period_end", "records", "matched", "weekly"]


@admin.register(BacktraceTask)
class BacktraceTaskAdmin(ReadOnlyAdmin):
    list_display = ["pk", "grid", "state", "due_at", "assignee"]
    list_filter = ["state"]
    list_select_related = ["grid", "assignee"]


@admin.register(TierProposal)
class TierProposalAdmin(ReadOnlyAdmin):
    list_display = ["quarter", "grid", "current_tier", "proposed_tier", "state"]
    list_filter = ["quarter", "state"]


@admin.register(TextModel)
class TextModelAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "samples", "cv_accuracy", "baseline_accuracy"]
    exclude = ["weights", "vocabulary"]
