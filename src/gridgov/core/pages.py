"""Helpers of every app's pages: role checks, a service's errors mapped onto form fields or
answered with a page that says what went wrong, the map settings of the page scripts."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, ThrottledError
from gridgov.core.jurisdiction import scope_of

View = Callable[..., HttpResponse]
AnyView = Callable[..., Any]


def role_required(*roles: str) -> Callable[[View], View]:
    """Logged in and holding one of the roles (an admin holds every role), else 403."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not scope_of(request.user).has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def domain_error_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """A page (or JSON for the phone's outbox) saying what went wrong, with the error's status:
    429 with Retry-After for too many requests, 409 for a stale page, 400 otherwise."""
    status = exc.status_code
    if wants_json(request):
        response: HttpResponse = JsonResponse({"ok": False, "detail": exc.message}, status=status)
    else:
        retry_after = exc.retry_after if isinstance(exc, ThrottledError) else None
        context = {"status": status, "message": exc.message, "retry_after": retry_after}
        response = render(request, "domain_error.html", context, status=status)
    if isinstance(exc, ThrottledError):
        response["Retry-After"] = str(exc.retry_after)
    return response


def answers_domain_errors(view: AnyView) -> AnyView:
    """Every page answers a DomainError that no form took (above all a throttled public
    request, 429) with a page that says so, never a 500 with a stack trace."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response: HttpResponseBase = view(request, *args, **kwargs)
        except DomainError as exc:
            return domain_error_response(request, exc)
        return response

    wrapper.answers_domain_errors = True  # type: ignore[attr-defined]
    return wrapper


def add_domain_error(
    form: forms.BaseForm, exc: DomainError, *, aliases: dict[str, str] | None = None
) -> None:
    """Show a service's error next to the field it names (or above the form). Too many
    requests is not a mistake in the form: it is raised again for `answers_domain_errors`."""
    if isinstance(exc, ThrottledError):
        raise exc
    name = (aliases or {}).get(exc.field or "", exc.field or "")
    if name and name in form.fields:
        form.add_error(name, exc.message)
    else:
        form.add_error(None, exc.message)


def map_config() -> dict[str, Any]:
    """What the map scripts need from settings: an optional tile layer (天地图/Amap)."""
    return {
        "tileUrl": settings.GRIDGOV.get("MAP_TILE_URL", ""),
        "tileAttribution": settings.GRIDGOV.get("MAP_TILE_ATTRIBUTION", ""),
        "zoomIn": _("放大"),
        "zoomOut": _("缩小"),
    }


def report_config(grids_url: str, *, focus: str = "", auto_locate: bool = True) -> dict[str, Any]:
    """Settings and messages of report.js (position picker on a report form)."""
    return {
        **map_config(),
        "grids": grids_url,
        "focus": focus,
        "autoLocate": auto_locate,
        "text": {
            "locating": _("正在获取位置…"),
            "located": _("已定位"),
            "locateFailed": _("无法获取位置,请在地图上点击选择位置"),
            "noGeolocation": _("此设备不支持定位,请在地图上点击选择位置"),
            "picked": _("已在地图上选点"),
            "notLocated": _("尚未定位"),
        },
    }
