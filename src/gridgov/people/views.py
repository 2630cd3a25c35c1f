"""People and posts from the web (issue 10): a grid office lists the staff and posts of its
subtree, appoints, moves and ends posts, creates a worker's log-in and resets a password; every
user changes their own password. Writes go through `people.services`; lookups are scoped, so a
person or post outside the user's territory is a 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, get_scoped_or_404, scope_of
from gridgov.core.masking import mask_phone
from gridgov.grids.audit import acting_as
from gridgov.people import services
from gridgov.people.forms import (
    AppointForm,
    EndPostForm,
    LoginCreateForm,
    MovePostForm,
    PasswordChangeForm,
    StaffCreateForm,
    StaffFilterForm,
)
from gridgov.people.middleware import password_changed
from gridgov.people.models import PasswordChangeDue, Post, Staff

View = Callable[..., HttpResponse]


def office_required(view: View) -> View:
    """Grid office operators and the platform admin manage people; anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope_of(request.user).has_role(Role.OFFICE):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _form_error(form: BaseForm, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    name = (aliases or {}).get(exc.field or "", exc.field or "")
    form.add_error(name if name in form.fields else None, exc.message)


def _staff(request: HttpRequest, pk: int) -> Staff:
    return get_scoped_or_404(Staff.objects.visible_to(request.user).select_related("user"), pk=pk)


def _post(request: HttpRequest, pk: int) -> Post:
    posts = Post.objects.visible_to(request.user).select_related("staff", "grid__region")
    return get_scoped_or_404(posts, pk=pk)


@require_http_methods(["GET"])
@office_required
def staff_list(request: HttpRequest) -> HttpResponse:
    """Posts of the user's subtree with their people, filtered by name, grid, kind and state."""
    form = StaffFilterForm(request.GET or None, user=request.user)
    posts = Post.objects.visible_to(request.user).select_related(
        "staff__user", "grid", "department"
    )
    state = "current"
    if form.is_valid():
        data = form.cleaned_data
        state = data.get("state") or "current"
        if data.get("q"):
            posts = posts.filter(staff__name__contains=data["q"])
        if data.get("grid"):
            posts = posts.filter(grid__path__startswith=data["grid"].path)
        if data.get("kind"):
            posts = posts.filter(kind=data["kind"])
    if state == "current":
        posts = posts.filter(ended_on__isnull=True)
    elif state == "ended":
        posts = posts.filter(ended_on__isnull=False)
    posts = posts.order_by("grid__path", "kind", "staff__name", "pk")
    page = Paginator(posts, 50).get_page(request.GET.get("page"))
    return render(request, "people/staff_list.html", {"form": form, "page": page})


@require_http_methods(["GET", "POST"])
@office_required
def staff_create(request: HttpRequest) -> HttpResponse:
    """A new person with their first grid post (a person with no post would be out of sight)."""
    form = StaffCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        post = services.PostSpec(
            kind=data["kind"],
            grid=data["grid"],
            title=data["title"],
            started_on=data["started_on"],
        )
        try:
            staff = services.create_staff(
                name=data["name"],
                phone=data["phone"],
                gender=data["gender"],
                post=post,
                by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            _form_error(form, exc, {"post": "kind"})
        else:
            messages.success(request, _("已新增人员 %(name)s") % {"name": staff.name})
            return redirect("people_staff", pk=staff.pk)
    return render(request, "people/staff_create.html", {"form": form})


@require_http_methods(["GET"])
@office_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request, pk)
    visible = Post.objects.visible_to(request.user)
    posts = list(
        visible.filter(staff=staff)
        .select_related("grid", "department")
        .order_by("ended_on", "-started_on", "pk")
    )
    target = staff.user
    context = {
        "staff": staff,
        "phone_masked": mask_phone(staff.phone),
        "posts": posts,
        "appoint_form": AppointForm(user=request.user, auto_id="appoint_%s"),
        "login_form": LoginCreateForm(grids=_login_grids(staff), auto_id="login_%s")
        if target is None
        else None,
        "change_due": PasswordChangeDue.objects.filter(user=target).first() if target else None,
        "can_reset": target is not None and request.user.has_perm("people.reset_password", target),
    }
    return render(request, "people/staff_detail.html", context)


def _login_grids(staff: Staff) -> list[Any]:
    return [p.grid for p in staff.posts.current().filter(grid__isnull=False).select_related("grid")]


@require_http_methods(["GET", "POST"])
@office_required
def appoint(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request, pk)
    form = AppointForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.assign_post(
                staff=staff,
                kind=data["kind"],
                grid=data["grid"],
                title=data["title"],
                started_on=data["started_on"],
                by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已任命 %(name)s") % {"name": staff.name})
            return redirect("people_staff", pk=staff.pk)
    context = {"form": form, "staff": staff, "title": _("任命岗位")}
    return render(request, "people/post_form.html", context)


@require_http_methods(["GET", "POST"])
@office_required
def move_post(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    form = MovePostForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.move_post(
                post,
                to_grid=form.cleaned_data["to_grid"],
                on=form.cleaned_data["on"],
                by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            _form_error(form, exc, {"grid": "to_grid", "ended_on": "on"})
        else:
            messages.success(request, _("已调整网格"))
            return redirect("people_staff", pk=post.staff_id)
    context = {"form": form, "staff": post.staff, "post": post, "title": _("调整网格")}
    return render(request, "people/post_form.html", context)


@require_http_methods(["GET", "POST"])
@office_required
def end_post(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    form = EndPostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.end_post(post, on=form.cleaned_data["on"], by=request.user)  # type: ignore[arg-type]
        except DomainError as exc:
            _form_error(form, exc, {"ended_on": "on"})
        else:
            messages.success(request, _("已免去岗位"))
            return redirect("people_staff", pk=post.staff_id)
    context = {"form": form, "staff": post.staff, "post": post, "title": _("免去岗位")}
    return render(request, "people/post_form.html", context)


def _one_time(request: HttpRequest, *, target: Any, staff: Staff, password: str) -> HttpResponse:
    """The password, shown this once: never stored in clear, never cached by the browser."""
    response = render(
        request,
        "people/one_time_password.html",
        {"target": target, "staff": staff, "password": password},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@office_required
def create_login(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request, pk)
    form = LoginCreateForm(request.POST, grids=_login_grids(staff), auto_id="login_%s")
    if form.is_valid():
        try:
            user, password = services.create_login(
                staff,
                username=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
                grid=form.chosen_grid(),
                by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            return _one_time(request, target=user, staff=staff, password=password)
    context = {"form": form, "staff": staff, "title": _("创建登录账号")}
    return render(request, "people/post_form.html", context, status=400)


@require_POST
@office_required
@never_cache
def reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request, pk)
    if staff.user is None:
        messages.error(request, _("%(name)s 没有登录账号") % {"name": staff.name})
        return redirect("people_staff", pk=staff.pk)
    password = services.reset_password(staff.user, by=request.user)  # type: ignore[arg-type]
    return _one_time(request, target=staff.user, staff=staff, password=password)


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def password_change(request: HttpRequest) -> HttpResponse:
    """Every user changes their own password; a first or reset one must be changed here."""
    form = PasswordChangeForm(request.POST or None)
    due = PasswordChangeDue.objects.filter(user=request.user).first()  # type: ignore[misc]
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with acting_as(request.user):
                services.change_password(
                    request.user,  # type: ignore[arg-type]
                    old=data["old_password"],
                    new=data["new_password1"],
                    repeat=data["new_password2"],
                    by=request.user,  # type: ignore[arg-type]
                )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
            password_changed(request)
            messages.success(request, _("密码已修改"))
            return redirect(next_url or "home")
    context = {"form": form, "due": due, "next": next_url}
    return render(request, "people/password_change.html", context)
