"""Admin pages for regions, grid levels and grids (platform admins only).

Saving goes through grids.services, so a grid edited here keeps its path, the paths of its
subtree, its bbox/label/area columns, and bumps the grid revision exactly as an import does. The
forms run the same checks first, so a broken rule shows on the form instead of failing on save.
A boundary is edited as GeoJSON (Polygon or MultiPolygon, WGS84)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import scope_of
from gridgov.grids import services
from gridgov.grids.audit import AuditedAdminMixin
from gridgov.grids.models import Grid, GridLevel, ImportRun, Region, RegionLevel

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _actor(request: HttpRequest) -> AbstractBaseUser | None:
    return cast("AbstractBaseUser", request.user)


def _as_validation_error(exc: DomainError, form: forms.BaseForm) -> ValidationError:
    if exc.field and exc.field in form.fields:
        return ValidationError({exc.field: exc.message})
    return ValidationError(exc.message)


class PlatformAdminOnly(AuditedAdminMixin, admin.ModelAdmin):
    """Grids and regions are the ground every scope stands on: platform admins edit them. Every
    save is attributed to the admin in the change log (grids.audit)."""

    def _is_admin(self, request: HttpRequest) -> bool:
        return scope_of(request.user).is_admin

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RegionForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["code", "name", "parent"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parent = data.get("parent")
        if self.instance.pk:
            if parent is None and self.instance.level != RegionLevel.PROVINCE:
                raise ValidationError({"parent": _("只有省级区划可以没有上级")})
            if parent != self.instance.parent:
                short = self.instance.short_code
                if parent is not None and (
                    parent.level >= self.instance.level or not short.startswith(parent.short_code)
                ):
                    raise ValidationError(
                        {"parent": _("区划代码不以上级代码开头,不能挂在该区划下")}
                    )
            return data
        try:
            from gridgov.grids.region_import import short_code

            short, level = short_code(data.get("code", ""))
        except ValueError as exc:
            raise ValidationError({"code": str(exc)}) from None
        if parent is not None and (
            level <= parent.level or not short.startswith(parent.short_code)
        ):
            raise ValidationError({"parent": _("区划代码不以上级代码开头,不能挂在该区划下")})
        if parent is None and level != RegionLevel.PROVINCE:
            # Left empty: the service hangs it from the nearest stored ancestor, if there is one.
            try:
                services.nearest_stored_ancestor(short, level)
            except DomainError as exc:
                raise _as_validation_error(exc, self) from None
        return data


@admin.register(Region)
class RegionAdmin(PlatformAdminOnly):
    form = RegionForm
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code", "level", "path"] if obj else ["level", "path"]

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.update_region(
                obj, by=_actor(request), name=data["name"], parent=data["parent"]
            )
            return
        created = services.create_region(
            code=data["code"], name=data["name"], parent=data["parent"], by=_actor(request)
        )
        obj.pk = created.pk


@admin.register(GridLevel)
class GridLevelAdmin(PlatformAdminOnly):
    """Levels are configuration rows (seed 001: four levels; 004: station/base/unit)."""

    list_display = ["depth", "name", "code_digits"]
    ordering = ["depth"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A level in use is protected by its grids; an unused one may go.
        return self._is_admin(request) and (obj is None or not obj.grids.exists())


class GridForm(forms.ModelForm):
    boundary = forms.JSONField(
        label=_("边界"),
        required=False,
        help_text=_("GeoJSON 几何对象(Polygon 或 MultiPolygon,WGS84 经纬度)"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100}),
    )

    class Meta:
        model = Grid
        fields = [
            "code",
            "name",
            "level",
            "region",
            "parent",
            "boundary",
            "households",
            "population",
            "tier",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        grid = self.instance if self.instance.pk else None
        try:
            services.check_grid_fields(
                code=None if grid else data.get("code"),
                name=data.get("name"),
                tier=data.get("tier"),
            )
            if data.get("level") is not None:
                services.check_placement(grid, level=data["level"], parent=data.get("parent"))
            services.check_boundary(data.get("boundary"))
        except DomainError as exc:
            raise _as_validation_error(exc, self) from None
        return data


@admin.register(Grid)
class GridAdmin(PlatformAdminOnly):
    form = GridForm
    list_display = [
        "code",
        "name",
        "level",
        "parent",
        "households",
        "population",
        "tier",
        "is_active",
    ]
    list_filter = ["level", "tier", "is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "region"]
    list_select_related = ["level", "parent"]
    readonly_fields = [
        "path",
        "area_m2",
        "label_lon",
        "label_lat",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A code is the grid's identity (paths, case history, exported files): never edited.
        return [*self.readonly_fields, "code"] if obj else list(self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin(request) and (obj is None or not obj.children.exists())

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, through the service
        return actions

    def save_model(self, request: HttpRequest, obj: Grid, form: Any, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            key: data[key]
            for key in ("name", "level", "region", "parent", "households", "population", "tier")
        }
        if change:
            changed = {key: value for key, value in fields.items() if key in form.changed_data}
            if "boundary" in form.changed_data:
                changed["boundary"] = data["boundary"]
            if "is_active" in form.changed_data:
                changed["is_active"] = data["is_active"]
            services.update_grid(obj, by=_actor(request), **changed)
            return
        created = services.create_grid(
            code=data["code"], boundary=data.get("boundary"), by=_actor(request), **fields
        )
        obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: Grid) -> None:
        try:
            services.delete_grid(obj, by=_actor(request))
        except DomainError as exc:
            messages.error(request, exc.message)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Grid]) -> None:
        for grid in queryset.order_by("-path"):
            self.delete_model(request, grid)


@admin.register(ImportRun)
class ImportRunAdmin(PlatformAdminOnly):
    """The record of every import (who, which file, what it did): read only."""

    list_display = [
        "started_at",
        "kind",
        "file_name",
        "by",
        "origin",
        "dry_run",
        "created",
        "updated",
        "unchanged",
        "warnings",
    ]
    list_filter = ["kind", "origin", "dry_run"]
    search_fields = ["file_name", "by__username"]
    list_select_related = ["by"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
