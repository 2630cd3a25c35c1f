"""Admin pages for the working-day calendar, the inbox and outbound messages.

Every calendar change bumps the calendar revision in the same transaction, so running processes
reload it; a year is loaded from a CSV through the same service as `gridgov load-calendar`."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.core import calendar as cal
from gridgov.core import notify
from gridgov.core.errors import DomainError, ImportRejectedError
from gridgov.core.lockout import unlock_logins
from gridgov.core.masking import mask_phone
from gridgov.core.models import (
    CalendarSource,
    Notification,
    OutboundMessage,
    OutboundStatus,
    WorkCalendarDay,
    WorkCalendarYear,
)

WEEKDAYS = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only services write (cases, imported records, rounds): the admin lists and
    shows them, never adds, edits or deletes."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "is_workday", "name", "source", "updated_at"]
    list_filter = ["is_workday", "source"]
    search_fields = ["name"]
    date_hierarchy = "date"
    readonly_fields = ["source", "updated_at"]
    fields = ["date", "is_workday", "name", "source", "updated_at"]

    @admin.display(description=_("星期"))
    def weekday(self, obj: WorkCalendarDay) -> str:
        return str(WEEKDAYS[obj.date.weekday()])

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.source = CalendarSource.ADMIN
        super().save_model(request, obj, form, change)
        cal.bump_revision()

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        cal.bump_revision()

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        cal.bump_revision()


class CalendarImportForm(forms.Form):
    year = forms.IntegerField(label=_("年份"), min_value=1900, max_value=2200)
    file = forms.FileField(
        label=_("CSV 文件"),
        help_text=_("UTF-8,表头 date,is_workday,name;只需列出节假日和调休上班日"),
    )
    replace = forms.BooleanField(label=_("覆盖已载入的年份"), required=False)


@admin.register(WorkCalendarYear)
class WorkCalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "loaded_at", "loaded_by", "note"]
    list_filter = ["source"]
    readonly_fields = ["loaded_at", "loaded_by"]
    change_list_template = "admin/core/workcalendaryear/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="core_workcalendaryear_import",
            )
        ]
        return extra + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not cal.can_edit_calendar(request.user):
            return HttpResponse(status=403)
        problems: list[str] = []
        form = CalendarImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            year = form.cleaned_data["year"]
            try:
                rows = cal.parse_calendar_csv(upload.read(), year=year, source=upload.name)
                cal.load_calendar_year(
                    year=year,
                    rows=rows,
                    source=CalendarSource.FILE,
                    by=request.user,
                    replace=form.cleaned_data["replace"],
                    note=upload.name,
                )
            except ImportRejectedError as exc:
                problems = [str(p) for p in exc.problems]
            except DomainError as exc:
                problems = [exc.message]
            else:
                self.message_user(
                    request,
                    gettext("%(year)d 年工作日历已载入,共 %(n)d 行")
                    % {"year": year, "n": len(rows)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:core_workcalendaryear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("载入年度工作日历"),
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/core/workcalendaryear/import.html", context)

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.loaded_by = request.user
            obj.loaded_at = timezone.now()
        super().save_model(request, obj, form, change)
        cal.bump_revision()

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        cal.bump_revision()

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        cal.bump_revision()


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "user__username"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    raw_id_fields = ["user", "actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "masked_recipient",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["text"]  # the recipient is encrypted: not searchable, shown masked
    date_hierarchy = "created_at"
    actions = ["resend"]
    raw_id_fields = ["notification"]
    exclude = ["recipient"]
    readonly_fields = ["masked_recipient"]

    @admin.display(description=_("接收号码"))
    def masked_recipient(self, obj: OutboundMessage) -> str:
        return mask_phone(obj.recipient)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("立即重新发送(失败或已放弃的)"))
    def resend(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        now = timezone.now()
        ids = list(
            queryset.filter(status__in=[OutboundStatus.FAILED, OutboundStatus.DEAD]).values_list(
                "pk", flat=True
            )
        )
        # A given-up message gets a fresh allowance of attempts; the claim in deliver() still
        # makes a second click harmless.
        OutboundMessage.objects.filter(pk__in=ids, status=OutboundStatus.DEAD).update(
            status=OutboundStatus.FAILED, attempts=0
        )
        OutboundMessage.objects.filter(pk__in=ids).update(next_attempt_at=now)
        sent = sum(1 for pk in ids if notify.deliver(pk, now=now) == OutboundStatus.SENT)
        self.message_user(
            request, gettext("重新发送 %(n)d 条,成功 %(sent)d 条") % {"n": len(ids), "sent": sent}
        )


class LoginAttemptAdmin(AccessAttemptAdmin):
    """axes' list of failed log-ins, with an audited `unlock` action (gridgov.core.lockout)."""

    actions = ["unlock", *AccessAttemptAdmin.actions]

    @admin.action(description=_("解锁所选的账号和地址"), permissions=["delete"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        removed = unlock_logins(queryset, by=request.user)
        self.message_user(
            request, gettext("已解锁,清除了 %(count)s 条失败记录。") % {"count": removed}
        )


admin.site.register(AccessAttempt, LoginAttemptAdmin)
