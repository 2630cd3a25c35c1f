"""Fieldwork pages: the worker's patrol page on the phone. Thin: the page talks to the JSON API
(/api/v1/fieldwork), which calls the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.fieldwork import daily, services
from gridgov.fieldwork.models import Patrol
from gridgov.grids.models import Grid


def _grids_geojson(user: Any) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": grid.boundary,
                "properties": {"code": grid.code, "name": grid.name},
            }
            for grid in services.unit_grids_of(user)
            if grid.boundary
        ],
    }


@login_required
@ensure_csrf_cookie
def phone_patrol(request: HttpRequest) -> HttpResponse:
    """Start and end a patrol; fixes are buffered on the phone and sent in batches (patrol.js)."""
    if not scope_of(request.user).has_role(Role.WORKER):
        raise PermissionDenied
    open_patrol = Patrol.objects.filter(user_id=request.user.pk or 0, ended_at__isnull=True).first()
    config = {
        "user": request.user.pk,
        "api": "/api/v1/fieldwork",
        "grids": _grids_geojson(request.user),
        "open": str(open_patrol.uid) if open_patrol else None,
        "openStarted": open_patrol.started_at.isoformat() if open_patrol else None,
        "tileUrl": settings.GRIDGOV.get("MAP_TILE_URL", ""),
        "tileAttribution": settings.GRIDGOV.get("MAP_TILE_ATTRIBUTION", ""),
        "batchSize": 50,
        "sealSeconds": 30,
        "t": {
            "start": _("开始巡查"),
            "end": _("结束巡查"),
            "waiting": _("%(n)s 项等待发送(%(fixes)s 个定位点)"),
            "waitingHelp": _("已保存在手机上,网络恢复后会自动发送,每批只发送一次。"),
            "allSent": _("全部已发送"),
            "retry": _("立即重试"),
            "loginNeeded": _("登录已过期,请重新登录,登录后会自动发送。"),
            "refused": _("服务器拒收了一批数据:%(detail)s"),
            "wakeOn": _("屏幕保持常亮"),
            "wakeOff": _("此浏览器不能保持屏幕常亮,请勿锁屏"),
            "noGeo": _("无法获取位置:%(detail)s"),
            "km": _("公里"),
            "ended": _("巡查已结束"),
        },
    }
    return render(request, "fieldwork/phone_patrol.html", {"tab": "patrol", "config": config})


def _office_only(request: HttpRequest) -> None:
    if not scope_of(request.user).has_role(Role.ADMIN, Role.OFFICE, Role.LEADER):
        raise PermissionDenied


def _date_param(request: HttpRequest, name: str, default: date) -> tuple[date, str]:
    """A date from the query string; a bad one falls back to the default with a message."""
    raw = request.GET.get(name, "")
    if not raw:
        return default, ""
    try:
        return services.parse_day(raw, field=name), ""
    except DomainError as exc:
        return default, exc.message


@login_required
def monitoring(request: HttpRequest) -> HttpResponse:
    """The office's daily monitoring (seed 001: 每日对…巡查轨迹等数据进行监测分析): every worker
    of the day with flags, and a map replaying one worker's day."""
    _office_only(request)
    day, error = _date_param(request, "date", timezone.localdate())
    rows = daily.monitoring(request.user, day)
    selected = request.GET.get("user") or ""
    if selected and selected not in {r.username for r in rows}:
        selected = ""
    context = {
        "day": day,
        "error": error,
        "rows": rows,
        "flag_labels": daily.FLAG_LABELS,
        "selected": selected,
        "replay": {
            "url": f"/api/v1/fieldwork/days/{selected}/{day.isoformat()}" if selected else "",
            "grids": _grids_geojson_for(request.user, [r for r in rows if r.username == selected]),
            "tileUrl": settings.GRIDGOV.get("MAP_TILE_URL", ""),
            "tileAttribution": settings.GRIDGOV.get("MAP_TILE_ATTRIBUTION", ""),
        },
    }
    return render(request, "fieldwork/monitoring.html", context)


def _grids_geojson_for(viewer: Any, rows: list[daily.MonitoringRow]) -> dict[str, Any]:
    codes = [code for row in rows for code in row.grid_codes]
    grids = Grid.objects.visible_to(viewer).filter(code__in=codes)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": g.boundary,
                "properties": {"code": g.code, "name": g.name},
            }
            for g in grids
            if g.boundary
        ],
    }


@login_required
def compliance(request: HttpRequest) -> HttpResponse:
    """Compliance with the patrol standards per worker and grid for a period."""
    _office_only(request)
    today = timezone.localdate()
    start, error1 = _date_param(request, "start", today.replace(day=1))
    end, error2 = _date_param(request, "end", today)
    error = error1 or error2
    rows: list[daily.ComplianceRow] = []
    try:
        rows = daily.compliance(request.user, start, end)
    except DomainError as exc:
        error = exc.message
    return render(
        request,
        "fieldwork/compliance.html",
        {"start": start, "end": end, "rows": rows, "error": error},
    )
