"""Admin pages for Open311 keys (with their use counts) and submissions. Keys are created with
`gridgov open311-key create` so that the key itself is printed once and never stored."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.open311 import services
from gridgov.open311.models import ApiKey, Submission


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefix",
        "scope",
        "use_count",
        "submission_count",
        "last_used_at",
        "created_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["name", "prefix", "scope", "use_count", "last_used_at", "created_at"]
    fields = ["name", "prefix", "scope", "use_count", "last_used_at", "created_at", "revoked_at"]
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return (
            super()
            .get_queryset(request)
            .select_related("scope")
            .annotate(_subs=Count("submissions"))
        )

    @admin.display(description=_("提交数"), ordering="_subs")
    def submission_count(self, obj: Any) -> int:
        return int(obj._subs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The key is shown once, by the command line; the admin never sees it.
        return False

    @admin.action(description=_("停用所选密钥"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            services.revoke_key(name=key.name, by=request.user)  # type: ignore[arg-type]
        messages.success(request, _("已停用 %(n)s 个密钥") % {"n": queryset.count()})


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["token", "api_key", "case", "created_at", "processed_at", "error"]
    list_filter = ["api_key"]
    search_fields = ["token"]
    readonly_fields = ["token", "api_key", "case", "error", "created_at", "processed_at"]
    exclude = ["payload"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
