"""Admin pages for departments, staff, posts, liaisons, post duties and role grants.

Writes that carry rules (appointing, relieving, granting) go through people.services, so the
admin enforces exactly what the API does; forms run the same checks first so a broken rule is
shown on the form instead of failing on save. The pages are for platform admins."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import DomainError
from gridgov.grids.audit import AuditedAdminMixin
from gridgov.people import services
from gridgov.people.models import Department, Jurisdiction, Liaison, Post, PostDuty, Staff
from gridgov.people.permissions import is_platform_admin


def as_validation_error(exc: DomainError, form: forms.BaseForm) -> ValidationError:
    if exc.field and exc.field in form.fields:
        return ValidationError({exc.field: exc.message})
    return ValidationError(exc.message)


class PlatformAdminOnly(AuditedAdminMixin, admin.ModelAdmin):
    """Pages open to platform admins (superusers or the admin role), scoped like the API. Every
    save is attributed to the admin in the change log (grids.audit)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(is_platform_admin(request.user))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(is_platform_admin(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(is_platform_admin(request.user))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(is_platform_admin(request.user))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Posts, liaisons and grants are ended or revoked, never deleted: they are the record
        # assessments and case histories refer to.
        return False


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "kind", "level", "region", "phone", "duties", "is_active"]

    def clean_phone(self) -> str:
        try:
            return services.normalise_phone(self.cleaned_data.get("phone", ""))
        except DomainError as exc:
            raise ValidationError(exc.message) from None


@admin.register(Department)
class DepartmentAdmin(PlatformAdminOnly):
    form = DepartmentForm
    list_display = ["code", "name", "kind", "level", "region", "phone", "is_active"]
    list_filter = ["kind", "level", "is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["region"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code", "level", "region"] if obj else []

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.update_department(
                obj,
                by=request.user,  # type: ignore[arg-type]
                name=data["name"],
                kind=data["kind"],
                phone=data["phone"],
                duties=data["duties"],
                is_active=data["is_active"],
            )
            return
        created = services.create_department(
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            level=data["level"],
            region=data["region"],
            phone=data["phone"],
            duties=data["duties"],
            by=request.user,  # type: ignore[arg-type]
        )
        obj.pk = created.pk


class PostInline(admin.TabularInline):
    model = Post
    fk_name = "staff"
    fields = ("kind", "title", "grid", "department", "started_on", "ended_on", "is_public")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StaffForm(forms.ModelForm):
    class Meta:
        model = Staff
        fields = ["name", "gender", "phone", "title", "department", "user", "photo", "is_active"]

    def clean_phone(self) -> str:
        try:
            return services.normalise_phone(self.cleaned_data.get("phone", ""))
        except DomainError as exc:
            raise ValidationError(exc.message) from None

    def clean_department(self) -> Department | None:
        department = self.cleaned_data.get("department")
        try:
            services.check_staff_department(self.instance, department)
        except DomainError as exc:
            raise ValidationError(exc.message) from None
        return department


@admin.register(Staff)
class StaffAdmin(PlatformAdminOnly):
    form = StaffForm
    list_display = ["name", "title", "phone", "department", "user", "is_active"]
    list_filter = ["is_active", "department"]
    search_fields = ["name", "phone", "user__username"]
    autocomplete_fields = ["department", "user"]
    readonly_fields = ["is_active"]
    inlines = [PostInline]
    actions = ["deactivate"]

    def save_model(self, request: HttpRequest, obj: Staff, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.update_staff(
                obj,
                by=request.user,  # type: ignore[arg-type]
                name=data["name"],
                phone=data["phone"],
                gender=data["gender"],
                title=data["title"],
                department=data["department"],
                clear_department=data["department"] is None,
            )
            return
        created = services.create_staff(
            name=data["name"],
            phone=data["phone"],
            gender=data["gender"],
            title=data["title"],
            department=data["department"],
            user=data["user"],
            by=request.user,  # type: ignore[arg-type]
        )
        if data.get("photo"):
            created.photo = data["photo"]
            created.save(update_fields=["photo"])
        obj.pk = created.pk

    @admin.action(description=_("离岗(结束其全部岗位和授权)"))
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        for staff in queryset.filter(is_active=True):
            try:
                services.deactivate_staff(staff, by=request.user)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(request, f"{staff}: {exc.message}", level="error")


class PostForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = [
            "staff",
            "kind",
            "title",
            "grid",
            "department",
            "duties",
            "is_public",
            "started_on",
            "ended_on",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and data.get("staff") and data.get("kind"):
            try:
                department = services.check_post(
                    staff=data["staff"],
                    kind=data["kind"],
                    grid=data.get("grid"),
                    department=data.get("department"),
                )
                services.check_post_is_free(
                    staff=data["staff"],
                    kind=data["kind"],
                    grid=data.get("grid"),
                    department=department,
                )
            except DomainError as exc:
                raise as_validation_error(exc, self) from None
        started, ended = data.get("started_on"), data.get("ended_on")
        if self.instance.pk is None and ended:
            raise ValidationError({"ended_on": _("新任岗位不能带离任日期;保存后再办理离任")})
        if started and ended and ended < started:
            raise ValidationError({"ended_on": _("结束日期不能早于开始日期")})
        return data


@admin.register(Post)
class PostAdmin(PlatformAdminOnly):
    form = PostForm
    list_display = ["staff", "kind", "title", "grid", "department", "started_on", "ended_on"]
    list_filter = ["kind", "is_public", ("ended_on", admin.EmptyFieldListFilter)]
    search_fields = ["staff__name", "title", "grid__code", "grid__name"]
    autocomplete_fields = ["staff", "department"]
    raw_id_fields = ["grid"]
    list_select_related = ["staff", "grid", "department"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        fixed = ["staff", "kind", "grid", "department", "started_on"]
        return [*fixed, "ended_on"] if obj.ended_on else fixed

    def save_model(self, request: HttpRequest, obj: Post, form: Any, change: bool) -> None:
        data = form.cleaned_data
        by = request.user
        if not change:
            created = services.assign_post(
                staff=data["staff"],
                kind=data["kind"],
                grid=data.get("grid"),
                department=data.get("department"),
                title=data.get("title", ""),
                duties=data.get("duties", ""),
                is_public=data.get("is_public", True),
                started_on=data.get("started_on"),
                by=by,  # type: ignore[arg-type]
            )
            obj.pk, obj.started_on, obj.department = (
                created.pk,
                created.started_on,
                created.department,
            )
            return
        ended_on = data.get("ended_on")
        obj.ended_on = form.initial.get("ended_on")
        services.update_post(
            obj,
            by=by,  # type: ignore[arg-type]
            title=data.get("title", ""),
            duties=data.get("duties", ""),
            is_public=data.get("is_public", True),
        )
        if ended_on and obj.ended_on is None:
            services.end_post(obj, on=ended_on, by=by)  # type: ignore[arg-type]


class LiaisonForm(forms.ModelForm):
    class Meta:
        model = Liaison
        fields = ["staff", "kind", "grid", "region", "note", "is_public", "started_on", "ended_on"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and data.get("staff") and data.get("kind"):
            if data.get("ended_on"):
                raise ValidationError({"ended_on": _("新建分包不能带结束日期")})
            try:
                services.check_liaison(
                    staff=data["staff"],
                    kind=data["kind"],
                    grid=data.get("grid"),
                    region=data.get("region"),
                )
            except DomainError as exc:
                raise as_validation_error(exc, self) from None
        started, ended = data.get("started_on"), data.get("ended_on")
        if started and ended and ended < started:
            raise ValidationError({"ended_on": _("结束日期不能早于开始日期")})
        return data


@admin.register(Liaison)
class LiaisonAdmin(PlatformAdminOnly):
    form = LiaisonForm
    list_display = ["staff", "kind", "grid", "region", "note", "started_on", "ended_on"]
    list_filter = ["kind", "is_public", ("ended_on", admin.EmptyFieldListFilter)]
    search_fields = ["staff__name", "grid__code", "grid__name", "region__name", "note"]
    autocomplete_fields = ["staff"]
    raw_id_fields = ["grid", "region"]
    list_select_related = ["staff", "grid", "region"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        fixed = ["staff", "kind", "grid", "region", "started_on"]
        return [*fixed, "ended_on"] if obj.ended_on else fixed

    def save_model(self, request: HttpRequest, obj: Liaison, form: Any, change: bool) -> None:
        data = form.cleaned_data
        by = request.user
        if not change:
            created = services.add_liaison(
                staff=data["staff"],
                kind=data["kind"],
                grid=data.get("grid"),
                region=data.get("region"),
                note=data.get("note", ""),
                is_public=data.get("is_public", True),
                started_on=data.get("started_on"),
                by=by,  # type: ignore[arg-type]
            )
            obj.pk = created.pk
            return
        ended_on = data.get("ended_on")
        obj.ended_on = form.initial.get("ended_on")
        obj.save(update_fields=["note", "is_public"])
        if ended_on and obj.ended_on is None:
            services.end_liaison(obj, on=ended_on, by=by)  # type: ignore[arg-type]


@admin.register(PostDuty)
class PostDutyAdmin(PlatformAdminOnly):
    list_display = ["kind", "level", "duties"]
    list_filter = ["kind", "level"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(is_platform_admin(request.user))


class JurisdictionForm(forms.ModelForm):
    class Meta:
        model = Jurisdiction
        fields = ["user", "role", "grid", "region", "department", "active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and data.get("user"):
            if not data.get("active", True):
                raise ValidationError({"active": _("新授权须为有效")})
            try:
                services.check_grant(
                    user=data["user"],
                    role=data.get("role", ""),
                    grid=data.get("grid"),
                    region=data.get("region"),
                    department=data.get("department"),
                )
            except DomainError as exc:
                raise as_validation_error(exc, self) from None
        elif data.get("active") and not self.instance.active:
            raise ValidationError({"active": _("已撤销的授权不能恢复,请新建授权")})
        return data


@admin.register(Jurisdiction)
class JurisdictionAdmin(PlatformAdminOnly):
    form = JurisdictionForm
    list_display = ["user", "role", "grid", "region", "department", "active", "granted_at"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "grid__code", "grid__name", "department__name"]
    autocomplete_fields = ["user", "department"]
    raw_id_fields = ["grid", "region"]
    list_select_related = ["user", "grid", "region", "department"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["user", "role", "grid", "region", "department"] if obj else []

    def save_model(self, request: HttpRequest, obj: Jurisdiction, form: Any, change: bool) -> None:
        data = form.cleaned_data
        by = request.user
        if change:
            if obj.active is False and form.initial.get("active"):
                obj.active = True
                services.revoke_role(grant=obj, by=by)  # type: ignore[arg-type]
            return
        created = services.grant_role(
            user=data["user"],
            role=data["role"],
            grid=data.get("grid"),
            region=data.get("region"),
            department=data.get("department"),
            by=by,  # type: ignore[arg-type]
        )
        obj.pk = created.pk
