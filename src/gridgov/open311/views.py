"""Open311 GeoReport v2 under /open311/v2/: every operation in XML and JSON (the suffix chooses).

Every answer under /open311/ that is not a success is the spec's error list in the requested
format (404 missing, 403 bad key, 400 otherwise; 429 past a key's rate), never an HTML page:
clients such as `three` parse every 4xx body as an error list (STANDARDS: Open311)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gridgov.cases.attachments import check_photos
from gridgov.cases.models import MatterItem
from gridgov.core.errors import DomainError, ThrottledError
from gridgov.core.throttle import throttle
from gridgov.open311 import queries, services
from gridgov.open311.models import ApiKey, Submission
from gridgov.open311.render import errors, respond

logger = logging.getLogger(__name__)

MAX_DAYS = 90
MAX_ROWS = 1000
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-06T00:00:00+08:00"


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = str(description)


def fmt_of_path(path: str) -> str:
    return "json" if path.rstrip("/").lower().endswith(".json") else "xml"


def error_response(request: HttpRequest, status: int, description: str = "") -> HttpResponse:
    """The error list for any failure under /open311/ (also used by the project's handlers)."""
    default = {404: _("未找到"), 403: _("无权访问"), 500: _("服务器内部错误,已记录")}
    text = description or default.get(status, _("请求无效"))
    return errors(fmt_of_path(request.path), status, text)


def open311(
    *methods: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Method check, jurisdiction check, and every failure turned into the error list."""

    def wrap(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @csrf_exempt
        @functools.wraps(view)
        def run(request: HttpRequest, fmt: str = "xml", **kwargs: Any) -> HttpResponseBase:
            try:
                if request.method not in methods:
                    raise Open311Error(
                        400, _("不支持 %(method)s 方法") % {"method": request.method}
                    )
                _check_jurisdiction(request)
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                return errors(fmt, exc.status, exc.description)
            except ThrottledError as exc:
                response = errors(fmt, 429, exc.message)
                response["Retry-After"] = str(exc.retry_after)
                return response
            except DomainError as exc:
                where = f"{exc.field}: " if exc.field else ""
                return errors(fmt, 404 if exc.status_code == 404 else 400, where + exc.message)
            except Http404:
                return errors(fmt, 404, _("未找到"))
            except PermissionDenied:
                return errors(fmt, 403, _("无权访问"))
            except RequestDataTooBig:
                return errors(fmt, 400, _("请求过大"))
            except Exception:
                logger.exception("open311: %s %s", request.method, request.path)
                return errors(fmt, 500, _("服务器内部错误,已记录"))

        return run

    return wrap


def _param(request: HttpRequest, name: str) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return str(source.get(name) or request.GET.get(name) or "").strip()


def _check_jurisdiction(request: HttpRequest) -> None:
    given = _param(request, "jurisdiction_id")
    if given and given not in queries.jurisdiction_ids():
        raise Open311Error(404, _("jurisdiction_id %(id)s 不存在") % {"id": given})


def _base_url(request: HttpRequest) -> str:
    public = str(getattr(settings, "GRIDGOV_PUBLIC_URL", "") or "").rstrip("/")
    return public or request.build_absolute_uri("/").rstrip("/")


# ---------------------------------------------------------------------------------------------
# Discovery and services


@open311("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    url = _base_url(request) + "/open311/v2"
    return respond(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": _("接入申请请联系网格化服务管理中心"),
            "key_service": _("API 密钥由平台管理员用 gridgov open311-key create 发放"),
            "endpoints": [
                {
                    "specification": SPEC_URL,
                    "url": url,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


def _service(item: MatterItem) -> dict[str, Any]:
    return {
        "service_code": item.code,
        "service_name": item.name,
        "description": item.description or item.name,
        "metadata": any(a.variable for a in item.attributes.all()),
        "type": "realtime",
        "keywords": item.matter_class.name,
        "group": item.matter_class.name,
    }


@open311("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return respond(fmt, "services", [_service(item) for item in queries.services()])


@open311("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    item = next(iter(queries.services(code)), None)
    if item is None:
        raise Open311Error(404, _("服务 %(code)s 不存在") % {"code": code})
    attributes = [
        {
            "variable": a.variable,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": a.datatype_description or None,
            "order": a.order,
            "description": a.description,
            **(
                {"values": [{"key": str(v["key"]), "name": str(v["name"])} for v in a.values]}
                if a.values
                else {}
            ),
        }
        for a in item.attributes.all()
    ]
    return respond(fmt, "service_definition", {"service_code": item.code, "attributes": attributes})


# ---------------------------------------------------------------------------------------------
# Requests


def _datetime(request: HttpRequest, name: str) -> dt.datetime | None:
    text = _param(request, name)
    if not text:
        return None
    value = parse_datetime(text)
    if value is None:
        raise Open311Error(
            400, _("%(name)s 须为 W3C 日期时间,如 2026-06-01T00:00:00Z") % {"name": name}
        )
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _int(request: HttpRequest, name: str, default: int, high: int) -> int:
    text = _param(request, name)
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= high:
        raise Open311Error(400, _("%(name)s 须为 1–%(high)s 的整数") % {"name": name, "high": high})
    return int(text)


def _list(request: HttpRequest, name: str) -> list[str]:
    return [v.strip() for v in _param(request, name).split(",") if v.strip()]


def _window(request: HttpRequest) -> queries.Window:
    start, end = _datetime(request, "start_date"), _datetime(request, "end_date")
    span = dt.timedelta(days=MAX_DAYS)
    if end is None:
        end = start + span if start is not None else timezone.now()
    if start is None:
        start = end - span
    if start > end:
        raise Open311Error(400, _("start_date 晚于 end_date"))
    if end - start > span:
        raise Open311Error(400, _("查询时段不能超过 %(n)s 天") % {"n": MAX_DAYS})
    return queries.Window(start=start, end=end)


def _requests(request: HttpRequest, fmt: str) -> HttpResponse:
    throttle(request, scope="open311.read", limit=_read_limit(), per_seconds=60)
    numbers = _list(request, "service_request_id")
    qs = queries.listed()
    if numbers:
        # The spec: a list of ids overrides every other filter.
        cases = queries.by_numbers(numbers[:MAX_ROWS])
    else:
        window = _window(request)
        qs = qs.filter(created_at__gte=window.start, created_at__lte=window.end)
        codes = _list(request, "service_code")
        if codes:
            qs = qs.filter(item__code__in=codes)
        statuses = set(_list(request, "status"))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status 只能为 open 或 closed"))
        if statuses == {"open"}:
            qs = qs.open()
        elif statuses == {"closed"}:
            qs = qs.exclude(state__in=sorted(queries.OPEN_STATES))
        size = _int(request, "page_size", MAX_ROWS, MAX_ROWS)
        page = _int(request, "page", 1, 1_000_000)
        offset = (page - 1) * size
        cases = list(qs.order_by("-created_at", "-pk")[offset : offset + size])
    base = _base_url(request)
    return respond(fmt, "service_requests", [queries.request_out(c, base) for c in cases])


def _read_limit() -> int:
    return int(getattr(settings, "GRIDGOV_OPEN311_READ_LIMIT", 300))


def _rate(key: ApiKey) -> None:
    """Per-key fixed window in Django's cache (as core.throttle does per address)."""
    limit = int(getattr(settings, "GRIDGOV_OPEN311_KEY_LIMIT", 60))
    per = 60
    window = int(time.time() // per)
    name = f"throttle:open311.key:{key.pk}:{window}"
    if cache.add(name, 1, timeout=per + 1):
        return
    try:
        count = cache.incr(name)
    except ValueError:
        cache.add(name, 1, timeout=per + 1)
        return
    if count > limit:
        retry = per - int(time.time()) % per
        raise ThrottledError(
            _("应用 %(name)s 请求过于频繁,请 %(s)s 秒后再试") % {"name": key.name, "s": retry},
            retry_after=retry,
        )


def _attributes(request: HttpRequest) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    for name in request.POST:
        if name.startswith("attribute[") and name.endswith("]"):
            code = name[len("attribute[") : -1].removesuffix("][")
            answers.setdefault(code, []).extend(request.POST.getlist(name))
    return answers


def _float(request: HttpRequest, name: str) -> float | None:
    text = _param(request, name)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Open311Error(400, _("%(name)s 须为数字") % {"name": name}) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise Open311Error(400, _("%(name)s 须为数字") % {"name": name})
    return value


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    key = services.authenticate(_param(request, "api_key"))
    if key is None:
        raise Open311Error(403, _("api_key 无效或已停用"))
    _rate(key)
    data = services.RequestIn(
        service_code=_param(request, "service_code"),
        description=_param(request, "description"),
        lat=_float(request, "lat"),
        long=_float(request, "long"),
        address_string=_param(request, "address_string"),
        address_id=_param(request, "address_id"),
        attributes=_attributes(request),
        first_name=_param(request, "first_name"),
        last_name=_param(request, "last_name"),
        phone=_param(request, "phone"),
        media_url=_param(request, "media_url"),
        idempotency_key=request.headers.get("Idempotency-Key")
        or _param(request, "idempotency_key"),
    )
    photos = check_photos(request.FILES.getlist("media"))
    submission = services.submit_request(key=key, data=data, photos=photos)
    submission.refresh_from_db()
    if submission.error:
        raise Open311Error(400, submission.error)
    notice = queries.service_notice(MatterItem.objects.filter(code=data.service_code).first())
    if submission.case_id is not None:
        answer: dict[str, Any] = {"service_request_id": submission.case.number}  # type: ignore[union-attr]
    else:
        answer = {"token": submission.token}
    answer.update({"service_notice": notice, "account_id": None})
    return respond(fmt, "service_requests", [answer])


@open311("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _requests(request, fmt)


@open311("GET")
def request_detail(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    throttle(request, scope="open311.read", limit=_read_limit(), per_seconds=60)
    case = queries.by_number(number)
    if case is None:
        raise Open311Error(404, _("服务请求 %(id)s 不存在") % {"id": number})
    return respond(fmt, "service_requests", [queries.request_out(case, _base_url(request))])


@open311("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    throttle(request, scope="open311.read", limit=_read_limit(), per_seconds=60)
    submission = Submission.objects.select_related("case").filter(token=token).first()
    if submission is None:
        raise Open311Error(404, _("令牌 %(token)s 不存在") % {"token": token})
    if submission.error:
        raise Open311Error(
            404,
            _("令牌 %(token)s 的请求未受理:%(why)s") % {"token": token, "why": submission.error},
        )
    number = submission.case.number if submission.case else None
    return respond(
        fmt, "service_requests", [{"service_request_id": number, "token": submission.token}]
    )


@open311("GET")
def request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """FixMyStreet's extension: public steps of listed cases since start_date."""
    throttle(request, scope="open311.read", limit=_read_limit(), per_seconds=60)
    window = _window(request)
    rows = [queries.update_out(e, c) for e, c in queries.updates_since(window)]
    return respond(fmt, "service_request_updates", rows)


@open311("GET")
def media(request: HttpRequest, fmt: str, number: str) -> HttpResponseBase:
    """The first report photo of a case published through Open311 (its media_url)."""
    throttle(request, scope="open311.read", limit=_read_limit(), per_seconds=60)
    case = queries.by_number(number)
    photo = queries.first_photo(case) if case is not None else None
    if photo is None:
        raise Open311Error(404, _("没有照片"))
    try:
        handle = photo.file.open("rb")
    except OSError:
        raise Open311Error(404, _("没有照片")) from None
    response = FileResponse(handle, content_type=photo.content_type or "image/jpeg")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(request, 404, _("没有此接口:/open311/%(path)s") % {"path": rest})
