"""Admin pages: the catalogue of matters (editable, with Excel import and export) and cases
(read-only: every change to a case goes through its services so the timeline stays complete)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from gridgov.cases import catalogue
from gridgov.cases.deadlines import forget_step_limits
from gridgov.cases.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    CaseTask,
    ExtensionRequest,
    MatterAttribute,
    MatterClass,
    MatterItem,
    MatterRoute,
    StepLimit,
)
from gridgov.core.admin import ReadOnlyAdmin
from gridgov.core.errors import ImportRejectedError


class MatterRouteInline(admin.TabularInline):
    model = MatterRoute
    extra = 1
    autocomplete_fields = ["department"]


class MatterAttributeInline(admin.StackedInline):
    """An item's extra questions (served as its Open311 service definition)."""

    model = MatterAttribute
    extra = 0
    fields = [
        ("code", "datatype", "required", "variable", "order"),
        "description",
        "datatype_description",
        "values",
    ]


class MatterItemInline(admin.TabularInline):
    model = MatterItem
    extra = 0
    fields = [
        "code",
        "name",
        "limit_days",
        "urgent_hours",
        "emergency_hours",
        "on_spot_allowed",
        "is_active",
    ]
    show_change_link = True


@admin.register(MatterClass)
class MatterClassAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "order", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["code", "name"]
    inlines = [MatterItemInline]


class CatalogueUploadForm(forms.Form):
    file = forms.FileField(label=_("事项清单 Excel 文件"))


@admin.register(StepLimit)
class StepLimitAdmin(admin.ModelAdmin):
    """The time limits of the platform's own steps (accept, register and dispatch) per urgency;
    the step clock of a case reads them when the step starts."""

    list_display = ("step", "urgency", "minutes", "working_time")
    list_editable = ("minutes", "working_time")
    list_filter = ("step", "urgency")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        forget_step_limits()
        transaction.on_commit(forget_step_limits)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        forget_step_limits()
        transaction.on_commit(forget_step_limits)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        forget_step_limits()
        transaction.on_commit(forget_step_limits)


@admin.register(MatterItem)
class MatterItemAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "matter_class",
        "limit_days",
        "urgent_hours",
        "emergency_hours",
        "on_spot_allowed",
        "is_active",
    ]
    list_filter = ["matter_class", "on_spot_allowed", "is_active"]
    search_fields = ["code", "name"]
    inlines = [MatterRouteInline, MatterAttributeInline]
    change_list_template = "admin/cases/matteritem/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "export-xlsx/",
                self.admin_site.admin_view(self.export_xlsx),
                name="cases_matteritem_export",
            ),
            path(
                "import-xlsx/",
                self.admin_site.admin_view(self.import_xlsx),
                name="cases_matteritem_import",
            ),
        ]
        return extra + super().get_urls()

    def export_xlsx(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            catalogue.export_catalogue_xlsx(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = "attachment; filename*=UTF-8''catalogue.xlsx"
        return response

    def import_xlsx(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = CatalogueUploadForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = catalogue.import_catalogue(
                    data=catalogue.read_upload(upload),
                    filename=upload.name,
                    by=request.user,  # type: ignore[arg-type]
                )
            except ImportRejectedError as exc:
                problems = [str(p) for p in exc.problems]
            else:
                messages.success(
                    request,
                    _("导入完成:新增大类 %(c)s,新增事项 %(n)s,更新事项 %(u)s")
                    % {
                        "c": report.classes_created,
                        "n": report.items_created,
                        "u": report.items_updated,
                    },
                )
                return HttpResponseRedirect(reverse("admin:cases_matteritem_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "problems": problems,
            "title": _("导入事项清单"),
        }
        return TemplateResponse(request, "admin/cases/matteritem/import.html", context)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseTaskInline(ReadOnlyInline):
    model = CaseTask
    fields = ["department", "role", "state", "due_at", "accepted_at", "fed_back_at", "result"]


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fk_name = "case"
    fields = ["at", "kind", "from_state", "to_state", "actor", "department", "due_at", "note"]


class CaseAttachmentInline(ReadOnlyInline):
    model = CaseAttachment
    fields = ["purpose", "file", "content_type", "size", "uploaded_at"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """Read-only: the lifecycle is driven through the platform so every step is an event."""

    list_display = [
        "id",
        "title",
        "state",
        "channel",
        "urgency",
        "item",
        "grid",
        "level",
        "department",
        "due_at",
        "created_at",
    ]
    list_filter = ["state", "channel", "urgency", "level", "closure_type", "outside_jurisdiction"]
    search_fields = ["title", "external_number", "tracking_code"]
    date_hierarchy = "created_at"
    list_select_related = ["item", "grid", "department"]
    inlines = [CaseTaskInline, CaseEventInline, CaseAttachmentInline]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(admin.ModelAdmin):
    list_display = ["case", "task", "days", "state", "requested_at", "decided_at"]
    list_filter = ["state"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
