"""The JSON API: one NinjaAPI mounting each app's router under /api/v1 (OpenAPI at
/api/v1/openapi.json). Errors are always `{"detail": "<translated message>"}`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import django_auth

from gridgov.cases.api import router as cases_router
from gridgov.core.api import calendar_router, inbox_router
from gridgov.core.errors import ConflictError, DomainError, ImportRejectedError
from gridgov.grids.api import router as grids_router
from gridgov.people.api import router as people_router

api = NinjaAPI(
    title="gridgov API",
    version="1",
    description="网格化服务管理平台 JSON API",
    auth=django_auth,
    urls_namespace="api",
)


@api.exception_handler(ImportRejectedError)
def import_failed(request: HttpRequest, exc: ImportRejectedError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": exc.message, "problems": [str(p) for p in exc.problems]},
        status=exc.status_code,
    )


@api.exception_handler(ConflictError)
def conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": exc.message, "state": exc.state, "allowed": exc.allowed},
        status=exc.status_code,
    )


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    body: dict[str, object] = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or _("无权执行此操作")}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # One body for "missing" and "outside your jurisdiction" (Zulip): existence never leaks.
    return api.create_response(request, {"detail": _("未找到")}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": _("请先登录")}, status=401)


api.add_router("/grids", grids_router)
api.add_router("/people", people_router)
api.add_router("/cases", cases_router)
api.add_router("/inbox", inbox_router)
api.add_router("/calendar", calendar_router)
