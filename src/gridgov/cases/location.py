"""Where a reported case belongs: a point (WGS84, GCJ-02 or BD-09) resolved to its unit grid and
the platform level that takes it in; an address-only report or a point outside every grid goes to
the top level's queue with a flag (hotlines send such cases; they are taken in, not refused)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from gridgov.cases.catalogue import ancestor_regions
from gridgov.cases.models import (
    INVALID_STATES,
    REGION_LEVEL_TO_PLATFORM,
    Case,
    CaseState,
    Channel,
    PlatformLevel,
    Urgency,
)
from gridgov.core import coords
from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import scope_of
from gridgov.grids.index import get_index
from gridgov.grids.models import Grid, Region

CRS_CHOICES = ("wgs84", "gcj02", "bd09")


@dataclass(frozen=True)
class Placement:
    grid: Grid
    lon: float | None
    lat: float | None
    outside: bool
    needs_location: bool
    # (platform level, region) from the grid's region up, when already known.
    chain: list[tuple[str, Region]] | None = None


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert a phone's GCJ-02 (Amap/Tencent) or BD-09 (Baidu) point to WGS84 (core.coords)."""
    crs = (crs or "wgs84").lower()
    if crs not in CRS_CHOICES:
        raise DomainError(
            _("坐标系须为 wgs84、gcj02 或 bd09,而非 %(crs)s") % {"crs": crs}, field="crs"
        )
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (
        -180 <= lon <= 180 and -90 <= lat <= 90
    ):
        raise DomainError(_("坐标超出经纬度范围"), field="lon")
    return coords.to_wgs84(lon, lat, crs)


# (grid index version, grid id) → the grid row and its platform chain. A report resolves to one
# of a few thousand unit grids; their rows and regions change only with a grid write, which
# bumps the version the index is built from, so an entry never outlives its data.
_PLACES: dict[tuple[Any, int], tuple[Grid, list[tuple[str, Region]]]] = {}
_PLACES_MAX = 20_000


def _grid_and_chain(version: Any, grid_id: int) -> tuple[Grid, list[tuple[str, Region]]]:
    key = (version, grid_id)
    hit = _PLACES.get(key)
    if hit is None:
        grid = Grid.objects.select_related("region", "level").get(pk=grid_id)
        hit = (grid, platform_chain(grid.region))
        if len(_PLACES) >= _PLACES_MAX:
            _PLACES.clear()
        _PLACES[key] = hit
    return hit


def locate_unit_grid(lon: float, lat: float) -> Grid | None:
    """The grid a WGS84 point falls in (the grids app's STRtree index): its unit grid, or the
    deepest grid covering it when it lies in a gap between unit grids; None outside."""
    located = _locate(lon, lat)
    return located[0] if located else None


def _locate(lon: float, lat: float) -> tuple[Grid, list[tuple[str, Region]]] | None:
    index = get_index()
    found = index.locate_wgs84([lon], [lat])[0]
    if found is None:
        return None
    return _grid_and_chain(index.version, found.grid_id)


def top_grid(by: Any = None) -> Grid:
    """The top of the grid tree whose queue takes cases that belong nowhere: the root above the
    reporter's own scope when they have one, else the first root."""
    roots = Grid.objects.filter(parent__isnull=True, is_active=True).select_related("region")
    scope = scope_of(by)
    for path in sorted(scope.all_grid_paths()):
        code = path.strip("/").split("/")[0]
        root = roots.filter(code=code).first()
        if root is not None:
            return root
    # A county operator is scoped by region: the first root grid inside their county.
    for path in sorted(scope.all_region_paths()):
        root = roots.filter(region__path__startswith=path).order_by("code").first()
        if root is not None:
            return root
    root = roots.order_by("code").first()
    if root is None:
        raise DomainError(_("尚未建立网格,无法受理案件"))
    return root


def place(
    *,
    lon: float | None,
    lat: float | None,
    crs: str = "wgs84",
    address: str = "",
    grid_code: str = "",
    by: Any = None,
) -> Placement:
    """Resolve a report's location. A point wins over a chosen grid; a chosen grid (an operator
    taking a phone call, a worker reporting in their own grid) wins over nothing."""
    if (lon is None) != (lat is None):
        raise DomainError(_("经度和纬度须同时提供"), field="lon")
    if lon is not None and lat is not None:
        wlon, wlat = to_wgs84(float(lon), float(lat), crs)
        located = _locate(wlon, wlat)
        if located is not None:
            grid, chain = located
            return Placement(
                grid=grid, lon=wlon, lat=wlat, outside=False, needs_location=False, chain=chain
            )
        return Placement(grid=top_grid(by), lon=wlon, lat=wlat, outside=True, needs_location=False)
    if grid_code:
        grid = Grid.objects.select_related("region").filter(code=grid_code, is_active=True).first()
        if grid is None:
            raise DomainError(_("网格 %(code)s 不存在") % {"code": grid_code}, field="grid")
        return Placement(grid=grid, lon=None, lat=None, outside=False, needs_location=False)
    own = _single_own_grid(by)
    if own is not None:
        return Placement(grid=own, lon=None, lat=None, outside=False, needs_location=not address)
    if not address:
        raise DomainError(_("请提供位置(经纬度)或地址"), field="address")
    return Placement(grid=top_grid(by), lon=None, lat=None, outside=False, needs_location=True)


def _single_own_grid(by: Any) -> Grid | None:
    """A grid worker with exactly one unit grid reports in it when they give no point."""
    from gridgov.core.jurisdiction import Role

    paths = scope_of(by).all_grid_paths(Role.WORKER)
    if len(paths) != 1:
        return None
    return Grid.objects.select_related("region").filter(path=next(iter(paths))).first()


def platform_chain(region: Region) -> list[tuple[str, Region]]:
    """(platform level, region) from the region up, for the levels that run a platform."""
    return [
        (REGION_LEVEL_TO_PLATFORM[r.level], r)
        for r in ancestor_regions(region)
        if r.level in REGION_LEVEL_TO_PLATFORM
    ]


def intake_level(*, placement: Placement, channel: str, urgency: str) -> tuple[str, Region]:
    """Which platform takes the case in.

    Seed 003: patrol and residents' matters go to the village (community) acceptance centre;
    emergencies go straight to the town (and the county hears of them at once). Hotline
    transfers, department hand-overs and off-site findings arrive at the town's grid office
    (seed 004: the town platform exchanges cases with 96361). A case outside every grid waits
    at the top level."""
    chain = placement.chain or platform_chain(placement.grid.region)
    if not chain:
        raise DomainError(_("网格 %(grid)s 的区划不属于任何平台层级") % {"grid": placement.grid})
    if placement.outside or placement.needs_location and placement.grid.parent_id is None:
        return chain[0]
    wants_town = urgency == Urgency.EMERGENCY or channel in {
        Channel.HOTLINE,
        Channel.DEPARTMENT,
        Channel.OFFSITE,
    }
    if wants_town:
        for level, region in chain:
            if level == PlatformLevel.TOWN:
                return level, region
    return chain[0]


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


METRES_PER_DEGREE = 111_320.0


def find_duplicate_id(case: Case) -> int | None:
    """A possible duplicate: same grid, same item, within the item's distance and time window
    (the nearest one); only flagged, an operator decides whether to merge."""
    item = case.item
    if item is None or case.lon is None or case.lat is None:
        return None
    since = case.created_at - dt.timedelta(hours=item.duplicate_window_hours)
    # A box around the point in degrees (with a margin) keeps far reports of the same grid in
    # the database; the exact distance is measured below.
    dlat = item.duplicate_radius_m / METRES_PER_DEGREE * 1.01
    dlon = dlat / max(math.cos(math.radians(case.lat)), 0.01)
    candidates = (
        Case.objects.filter(
            grid_id=case.grid_id,
            item=item,
            created_at__gte=since,
            lon__range=(case.lon - dlon, case.lon + dlon),
            lat__range=(case.lat - dlat, case.lat + dlat),
        )
        .exclude(pk=case.pk)
        .exclude(state__in=[*INVALID_STATES, CaseState.RECORDED])
        .order_by("-created_at")
        # Plain values: a model instance of an FSM model would reload its deferred state.
        .values_list("pk", "lon", "lat")[:50]
    )
    best: tuple[float, int] | None = None
    for pk, lon, lat in candidates:
        metres = distance_m(case.lon, case.lat, lon, lat)
        if metres <= item.duplicate_radius_m and (best is None or metres < best[0]):
            best = (metres, pk)
    return best[1] if best else None
