"""The JSON API: one NinjaAPI mounting each app's router under /api/v1 (OpenAPI at
/api/v1/openapi.json). Errors are always `{"detail": "<translated message>"}`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import django_auth

from gridgov.cases.api import router as cases_router
from gridgov.core.api import calendar_router, inbox_router
from gridgov.core.errors import ConflictError, DomainError, ImportRejectedError, ThrottledError
from gridgov.core.openapi import DocumentedAPI
from gridgov.fieldwork.api import router as fieldwork_router
from gridgov.fieldwork.safety.campaign_api import router as campaign_router
from gridgov.grids.api import router as grids_router
from gridgov.hotline.api import router as hotline_router
from gridgov.oversight.api import router as oversight_router
from gridgov.people.api import router as people_router
from gridgov.registry.api import router as registry_router

api = DocumentedAPI(
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


# A malformed batch can carry one error per element (10,000 points): say how many, show a few.
SHOWN_VALIDATION_ERRORS = 10


def _field_path(loc: Any) -> list[str]:
    """The field a pydantic error location names, without the request part and without the
    tags of a union's members ("co.0.constrained-int" and
    "co.0.function-wrap[…].department" both name "co.0", issue 8)."""
    path = []
    for part in loc:
        text = str(part)
        if text in {"body", "payload", "query", "path", "form"}:
            continue
        if "[" in text or "-" in text or text[:1].isupper():
            break
        path.append(text)
    return path


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Pydantic's error list becomes the house shape: one translated sentence in `detail`, plus
    `errors` naming each field (the first few) for clients that highlight fields."""
    errors = []
    for error in exc.errors[:SHOWN_VALIDATION_ERRORS]:
        location = _field_path(error.get("loc", ()))
        errors.append({"field": ".".join(location), "message": str(error.get("msg", ""))})
    fields = "、".join(dict.fromkeys(e["field"] for e in errors if e["field"]))
    detail = _("请求参数无效: %(fields)s") % {"fields": fields or _("请求体")}
    if len(exc.errors) > SHOWN_VALIDATION_ERRORS:
        detail += _("(共 %(count)s 处错误)") % {"count": len(exc.errors)}
    return api.create_response(
        request, {"detail": detail, "errors": errors, "count": len(exc.errors)}, status=422
    )


@api.exception_handler(ThrottledError)
def throttled(request: HttpRequest, exc: ThrottledError) -> HttpResponse:
    response = api.create_response(request, {"detail": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


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
api.add_router("/registry", registry_router)
api.add_router("/hotline", hotline_router)
api.add_router("/fieldwork", fieldwork_router)
api.add_router("/fieldwork/campaigns", campaign_router)
api.add_router("/oversight", oversight_router)


# Django answers some requests before any API route runs: a path that matches no route (an id
# that is not a number), a body over DATA_UPLOAD_MAX_MEMORY_SIZE. Under /api/ those answers are
# JSON like every other error, not the HTML pages the web platform shows.
def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _open311_error(request: HttpRequest, status: int) -> HttpResponse | None:
    """Under /open311/ every error is the GeoReport v2 error list, never a page."""
    if not request.path.startswith("/open311/"):
        return None
    from gridgov.open311.views import error_response

    return error_response(request, status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if (answer := _open311_error(request, 404)) is not None:
        return answer
    if _is_api(request):
        return JsonResponse({"detail": _("未找到")}, status=404)
    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


def page_bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if (answer := _open311_error(request, 400)) is not None:
        return answer
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
            return JsonResponse(
                {"detail": _("请求过大(上限 %(mb)s MB)") % {"mb": limit}}, status=413
            )
        return JsonResponse({"detail": _("请求无效")}, status=400)
    return defaults.bad_request(request, exception)  # type: ignore[arg-type]


def page_server_error(request: HttpRequest) -> HttpResponse:
    if (answer := _open311_error(request, 500)) is not None:
        return answer
    if _is_api(request):
        return JsonResponse({"detail": _("服务器内部错误,已记录")}, status=500)
    return defaults.server_error(request)
