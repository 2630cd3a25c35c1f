"""The operator's map of buildings and facilities (issue 10: "map of buildings and facilities"):
a page, and the GeoJSON of what lies in the map's view, scoped like every registry list."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gridgov.registry import services
from gridgov.registry.models import BuildingUse
from gridgov.registry.views import _require_registry_role

# Past this many buildings or facilities in a view, the map asks to zoom in.
MAP_LIMIT = 2000


@require_GET
@login_required
def registry_map(request: HttpRequest) -> HttpResponse:
    _require_registry_role(request)
    config = {
        "tileUrl": settings.GRIDGOV.get("MAP_TILE_URL", ""),
        "tileAttribution": settings.GRIDGOV.get("MAP_TILE_ATTRIBUTION", ""),
        "zoomIn": _("放大"),
        "zoomOut": _("缩小"),
        "grids": reverse("command_grids"),
        "features": reverse("registry_map_features"),
        "uses": {use.value: str(use.label) for use in BuildingUse},
        "text": {
            "building": _("房屋"),
            "facility": _("部件"),
            "number": _("编号"),
            "address": _("地址"),
            "use": _("用途"),
            "floors": _("层数"),
            "households": _("户数"),
            "grid": _("网格"),
            "code": _("部件标识码"),
            "classCode": _("类别代码"),
            "owner": _("权属单位"),
            "maintainer": _("养护单位"),
            "truncated": _("当前范围内对象过多,请放大地图查看全部。"),
            "failed": _("地图数据加载失败,请稍后重试。"),
            "shown": _("显示:房屋 %(b)s 栋,部件 %(f)s 个"),
        },
    }
    return render(request, "registry/map.html", {"config": config})


def _bbox(raw: str) -> tuple[float, float, float, float] | None:
    try:
        west, south, east, north = (float(x) for x in raw.split(","))
    except ValueError:
        return None
    values = (west, south, east, north)
    if not all(math.isfinite(v) for v in values):
        return None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        return None
    return values


@require_GET
@login_required
def registry_map_features(request: HttpRequest) -> JsonResponse:
    """GeoJSON of the buildings and facilities in `bbox=west,south,east,north` (WGS 84);
    `kind=facility` leaves the buildings out (the phone's facility picker)."""
    _require_registry_role(request)
    box = _bbox(request.GET.get("bbox", ""))
    if box is None:
        return JsonResponse({"detail": _("bbox 须为 西,南,东,北 四个经纬度")}, status=400)
    west, south, east, north = box
    found = services.map_features(
        request.user,
        west=west,
        south=south,
        east=east,
        north=north,
        limit=MAP_LIMIT,
        with_buildings=request.GET.get("kind") != "facility",
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [b.lon, b.lat]},
            "properties": {
                "kind": "building",
                "layer": b.use,
                "number": b.number,
                "address": b.address,
                "use": b.get_use_display(),
                "floors": b.floors,
                "households": b.n_households,  # type: ignore[attr-defined]
                "grid": b.grid.name,
            },
        }
        for b in found.buildings
    ]
    features += [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [f.lon, f.lat]},
            "properties": {
                "kind": "facility",
                "layer": f.class_code,
                "name": f.name,
                "code": f.code,
                "classCode": f.class_code,
                "owner": f.owner.name if f.owner else f.owner_name,
                "maintainer": f.maintainer.name if f.maintainer else "",
                "grid": f.grid.name,
            },
        }
        for f in found.facilities
    ]
    body = {"type": "FeatureCollection", "features": features, "truncated": found.truncated}
    return JsonResponse(body)
