"""Fieldwork pages: the worker's patrol page on the phone. Thin: the page talks to the JSON API
(/api/v1/fieldwork), which calls the services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from gridgov.core.jurisdiction import Role, scope_of
from gridgov.fieldwork import services
from gridgov.fieldwork.models import Patrol


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
