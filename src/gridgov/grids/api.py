"""Grids API (/api/v1/grids): grids, levels and regions of the caller's scope, a subtree as
GeoJSON for maps, its coverage report, and point-to-grid lookups.

Every grid lookup goes through `Grid.objects.visible_to(user)`, so a grid outside the caller's
scope is a 404 with the same body as a missing one. Locating points is public (auth=None): the
residents' report page needs it, and it reveals no more than the public boards do. Anonymous
callers are throttled per address (429 with Retry-After); signed-in users are not."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import shapely
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import get_scoped_or_404
from gridgov.core.schemas import MAX_SEARCH, Pagination
from gridgov.core.throttle import throttle
from gridgov.grids.coverage import check_coverage
from gridgov.grids.geometry import shapes_from_geojson
from gridgov.grids.index import OUTSIDE, locate_points
from gridgov.grids.models import Grid, GridLevel, GridQuerySet, Region, RegionQuerySet
from gridgov.grids.region_import import short_code
from gridgov.grids.schemas import (
    CoverageOut,
    Crs,
    GridDetailOut,
    GridOut,
    LevelOut,
    LocateBatchIn,
    LocateBatchOut,
    LocateOut,
    RegionOut,
)

router = Router(tags=["grids"])

METRES_PER_DEGREE = 111_320.0
# Per anonymous address and minute: a resident's report page locates a point or two per report;
# a batch carries up to 10,000 points, so fewer batches.
LOCATE_PER_MINUTE = 60
LOCATE_BATCHES_PER_MINUTE = 10
# A tolerance filters digitising slivers; one of a square kilometre or more would hide real gaps.
MAX_TOLERANCE_M2 = 1_000_000.0


def _grids(request: HttpRequest) -> GridQuerySet:
    return Grid.objects.visible_to(request.user).select_related("level", "parent", "region")


def _grid(request: HttpRequest, code: str) -> Grid:
    return get_scoped_or_404(_grids(request), code=code)


def _regions(request: HttpRequest) -> RegionQuerySet:
    return Region.objects.visible_to(request.user).select_related("parent")


def _region_code(code: str) -> str:
    try:
        short, _level = short_code(code)
    except ValueError as exc:
        raise DomainError(str(exc), field="code") from None
    return short.ljust(12, "0")


def _throttle_anonymous(request: HttpRequest, *, scope: str, per_minute: int) -> None:
    if not request.user.is_authenticated:
        throttle(request, scope=scope, limit=per_minute, per_seconds=60)


def _filter_level(qs: GridQuerySet, level: str | None) -> GridQuerySet:
    """`level` is a configured level's name or depth; anything else is a 400 naming it, not an
    empty answer a client would take for "no grids"."""
    if not level:
        return qs
    for pk, name, depth in GridLevel.objects.values_list("pk", "name", "depth"):
        if level in (name, str(depth)):
            return qs.filter(level_id=pk)
    raise DomainError(_("没有名为或层级为 %(level)s 的网格层级") % {"level": level}, field="level")


# --- point to grid (public) ---------------------------------------------------------------------


@router.get("/locate", response=LocateOut, auth=None, exclude_none=True)
def locate_one(
    request: HttpRequest,
    lon: float = Query(..., ge=-180, le=180, description="经度"),
    lat: float = Query(..., ge=-90, le=90, description="纬度"),
    crs: Crs = "wgs84",
) -> dict[str, Any]:
    _throttle_anonymous(request, scope="grids.locate", per_minute=LOCATE_PER_MINUTE)
    found = locate_points([lon], [lat], crs=crs)[0]
    return found.as_dict() if found is not None else OUTSIDE


@router.post("/locate", response=LocateBatchOut, auth=None, exclude_none=True)
def locate_batch(request: HttpRequest, body: LocateBatchIn) -> dict[str, Any]:
    _throttle_anonymous(request, scope="grids.locate_batch", per_minute=LOCATE_BATCHES_PER_MINUTE)
    points = np.asarray(body.points, dtype=np.float64).reshape(-1, 2)
    lon, lat = points[:, 0], points[:, 1]
    valid = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    found = iter(locate_points(lon[valid], lat[valid], crs=body.crs))
    bad = {"error": _("坐标超出经纬度范围")}
    results = []
    for ok in valid.tolist():
        if not ok:
            results.append(bad)
            continue
        hit = next(found)
        results.append(hit.as_dict() if hit is not None else OUTSIDE)
    return {"crs": body.crs, "count": len(results), "results": results}


# --- levels and regions -------------------------------------------------------------------------


@router.get("/levels", response=list[LevelOut])
def list_levels(request: HttpRequest) -> Any:
    return GridLevel.objects.order_by("depth")


@router.get("/regions", response=list[RegionOut])
@paginate(Pagination)
def list_regions(
    request: HttpRequest,
    parent: str | None = None,
    level: int | None = Query(None, ge=1, le=5, description="1 省级 … 5 村级"),
    q: str | None = Query(None, max_length=MAX_SEARCH, description="名称或编码中的文字"),
) -> Any:
    qs = _regions(request)
    if parent:
        qs = qs.filter(parent__code=_region_code(parent))
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return qs.order_by("code")


@router.get("/regions/{code}", response=RegionOut)
def get_region(request: HttpRequest, code: str) -> Region:
    return get_scoped_or_404(_regions(request), code=_region_code(code))


@router.get("/regions/{code}/children", response=list[RegionOut])
@paginate(Pagination)
def region_children(request: HttpRequest, code: str) -> Any:
    region: Region = get_scoped_or_404(_regions(request), code=_region_code(code))
    return _regions(request).filter(parent=region).order_by("code")


# --- grids --------------------------------------------------------------------------------------


@router.get("", response=list[GridOut])
@paginate(Pagination)
def list_grids(
    request: HttpRequest,
    parent: str | None = None,
    level: str | None = None,
    q: str | None = Query(None, max_length=MAX_SEARCH, description="名称或编码中的文字"),
    active: bool | None = None,
) -> Any:
    qs = _filter_level(_grids(request), level)
    if parent:
        qs = qs.filter(parent__code=parent)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("path")


@router.get("/{code}", response=GridDetailOut)
def get_grid(request: HttpRequest, code: str) -> Any:
    grid = get_scoped_or_404(_grids(request).annotate(children_count=Count("children")), code=code)
    codes = grid.ancestor_codes()[:-1]
    by_code = {g.code: g for g in Grid.objects.filter(code__in=codes).select_related("level")}
    grid.ancestors = [
        {"code": c, "name": by_code[c].name, "level": by_code[c].level.name}
        for c in codes
        if c in by_code
    ]
    return grid


@router.get("/{code}/children", response=list[GridOut])
@paginate(Pagination)
def grid_children(request: HttpRequest, code: str) -> Any:
    grid = _grid(request, code)
    return _grids(request).filter(parent=grid).order_by("code")


@router.get("/{code}/geojson")
def grid_geojson(
    request: HttpRequest,
    code: str,
    simplify: float = Query(0, ge=0, le=1000, description="化简容差(米);0 为不化简"),
    level: str | None = None,
) -> HttpResponse:
    """The subtree as a FeatureCollection for maps; `level` keeps one level only."""
    root = _grid(request, code)
    rows = list(
        _filter_level(_grids(request).within(root), level)
        .order_by("path")
        .values_list(
            "code",
            "name",
            "level__name",
            "parent__code",
            "households",
            "population",
            "tier",
            "label_lon",
            "label_lat",
            "boundary",
        )
    )
    geometries = [r[9] for r in rows]
    if simplify > 0:
        geometries = _simplified(geometries, simplify / METRES_PER_DEGREE)
    features = [
        {
            "type": "Feature",
            "properties": {
                "code": r[0],
                "name": r[1],
                "level": r[2],
                "parent_code": r[3],
                "households": r[4],
                "population": r[5],
                "tier": r[6],
                "label": [r[7], r[8]] if r[7] is not None else None,
            },
            "geometry": geometry,
        }
        for r, geometry in zip(rows, geometries, strict=True)
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return HttpResponse(body, content_type="application/geo+json")


def _simplified(boundaries: list[Any], tolerance_deg: float) -> list[Any]:
    shapes = shapes_from_geojson(boundaries)
    present = np.array([s is not None for s in shapes], dtype=bool)
    if present.any():
        simple = shapely.simplify(shapes[present], tolerance_deg, preserve_topology=True)
        shapes[present] = shapely.set_precision(simple, 1e-6)
    return [json.loads(shapely.to_geojson(s)) if s is not None else None for s in shapes]


@router.get("/{code}/coverage", response=CoverageOut)
def grid_coverage(
    request: HttpRequest,
    code: str,
    tolerance: float | None = Query(
        None, ge=0, le=MAX_TOLERANCE_M2, description="忽略小于此面积(平方米)的问题"
    ),
) -> dict[str, Any]:
    report = check_coverage(_grid(request, code), tolerance_m2=tolerance)
    return report.as_dict()
