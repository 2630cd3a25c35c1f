"""Point to grid: an in-memory shapely STRtree over the unit grids, vectorised end to end.

A point resolves to the unit grid (leaf) that covers it and the chain of its ancestors. A point
inside a grid but in a gap between its children (a coverage fault) resolves to the deepest grid
that covers it, flagged `unit=False`; a point outside every grid is `None` ("outside").

Points on an edge shared by two grids (or inside an overlap, a coverage fault) are covered by
both; the lowest code wins, so the answer never depends on the order of the index.

Each process keeps one index. Every lookup first reads GridRevision (one primary-key query) and
rebuilds the index when a grid write has bumped it, so an import is seen by the next lookup in
every worker without a restart.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from gridgov.core import coords
from gridgov.grids.geometry import shapes_from_geojson
from gridgov.grids.models import Grid, Region, path_with_ancestors

if TYPE_CHECKING:
    from shapely import STRtree

MAX_BATCH = 10_000  # the API's limit per request
MAX_COVER_LOOP = 64  # up to this many top grids are tested one by one before the inner query


@dataclass(frozen=True)
class Located:
    """The grid a point falls in."""

    grid_id: int
    code: str
    name: str
    level: str
    unit: bool  # False: inside this grid but in a gap between its children
    ancestors: tuple[str, ...]  # codes from the top grid down to the parent
    region_code: str
    region_codes: tuple[str, ...]  # 12-digit region codes from the top region down

    @property
    def grid(self) -> Grid:
        """The grid row (one query; entries are shared by every request, so nothing is cached)."""
        return Grid.objects.select_related("level", "region").get(pk=self.grid_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outside": False,
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "unit": self.unit,
            "ancestors": list(self.ancestors),
            "region_code": self.region_code,
            "region_codes": list(self.region_codes),
        }


OUTSIDE: dict[str, Any] = {"outside": True}


class _Layer:
    """One STRtree; geometries sorted so the tree index is the tie-break rank (lowest wins)."""

    def __init__(self, entries: list[Located], geoms: list[Any]) -> None:
        self.entries = entries
        self.geoms = np.array(geoms, dtype=object)
        self.tree: STRtree | None = shapely.STRtree(self.geoms) if geoms else None
        if geoms:
            _prepare(self.geoms)

    def first_hits(self, points: NDArray[np.object_]) -> NDArray[np.int64]:
        """For each point, the tree index of the lowest-ranked geometry covering it, or -1."""
        missing = len(self.entries)
        if self.tree is None or not len(points):
            return np.full(len(points), -1, dtype=np.int64)
        best = np.full(len(points), missing, dtype=np.int64)
        point_idx, geom_idx = self.tree.query(points, predicate="intersects")
        np.minimum.at(best, point_idx, geom_idx)
        best[best == missing] = -1
        return best


def _prepare(geoms: NDArray[np.object_]) -> None:
    """Prepare the geometries and use each once, single-threaded: GEOS builds a prepared
    polygon's point locator lazily, and worker threads must only ever read it."""
    shapely.prepare(geoms)
    labels = shapely.point_on_surface(geoms)
    shapely.intersects_xy(geoms, shapely.get_x(labels), shapely.get_y(labels))


class GridIndex:
    """The unit-grid layer and, for points in gaps, a layer of the grids with children."""

    def __init__(self, version: tuple[int, Any]) -> None:
        self.version = version
        rows = list(
            Grid.objects.filter(is_active=True)
            .order_by("code")
            .values_list(
                "pk",
                "code",
                "name",
                "level__name",
                "path",
                "region__code",
                "region__path",
                "boundary",
            )
        )
        parents = set(
            Grid.objects.filter(is_active=True, parent__isnull=False).values_list(
                "parent_id", flat=True
            )
        )
        prefixes = {_prefixes(r[6]) for r in rows}
        wanted = set().union(*prefixes) if prefixes else set()
        region_codes = dict(
            Region.objects.filter(path__in=wanted).values_list("path", "code").iterator()
        )
        shapes = shapes_from_geojson([r[7] for r in rows])
        units: tuple[list[Located], list[Any]] = ([], [])
        inner: tuple[list[Located], list[Any]] = ([], [])
        for row, geom in zip(rows, shapes, strict=True):
            if geom is None:
                continue
            pk, code, name, level, path, region_code, region_path, _boundary = row
            is_unit = pk not in parents
            located = Located(
                grid_id=pk,
                code=code,
                name=name,
                level=level,
                unit=is_unit,
                ancestors=tuple(part for part in path.split("/") if part)[:-1],
                region_code=region_code,
                region_codes=_region_chain(region_path, region_codes),
            )
            target = units if is_unit else inner
            target[0].append(located)
            target[1].append(geom)
        self.units = _Layer(*units)
        # Deepest grid first among non-units covering a gap point: sort by path depth, deepest
        # first, then code (the rank used for the tie-break).
        order = sorted(
            range(len(inner[0])),
            key=lambda k: (-len(inner[0][k].ancestors), inner[0][k].code),
        )
        self.inner = _Layer([inner[0][k] for k in order], [inner[1][k] for k in order])
        self.size = len(units[0])
        # The outermost bounded grids: a point outside all of them is outside, and needs no
        # inner-layer query (most misses of a batch are such points).
        inner_codes = {entry.code for entry in self.inner.entries}
        covers = [
            k
            for k, entry in enumerate(self.inner.entries)
            if not inner_codes.intersection(entry.ancestors)
        ]
        self.covers = self.inner.geoms[covers] if len(covers) <= MAX_COVER_LOOP else None
        # Every answer, so results are assembled by one fancy-indexing step: unit entries,
        # then inner entries, then None for "outside".
        self.answers = np.array([*self.units.entries, *self.inner.entries, None], dtype=object)

    def locate_wgs84(self, lon: ArrayLike, lat: ArrayLike) -> list[Located | None]:
        """Resolve WGS84 points (arrays of equal length), vectorised end to end."""
        lon_a = np.asarray(lon, dtype=np.float64).ravel()
        lat_a = np.asarray(lat, dtype=np.float64).ravel()
        hits = self.locate_indexes(lon_a, lat_a)
        units = len(self.units.entries)
        slots = np.where(
            hits >= 0, hits, np.where(hits < -1, units - hits - 2, len(self.answers) - 1)
        )
        result: list[Located | None] = self.answers[slots].tolist()
        return result

    def locate_indexes(
        self, lon: NDArray[np.float64], lat: NDArray[np.float64]
    ) -> NDArray[np.int64]:
        """Index into the unit layer (>= 0), -2 - index into the inner layer for points in gaps,
        -1 outside."""
        points = shapely.points(lon, lat)
        hits = self.units.first_hits(points)
        missing = np.nonzero(hits < 0)[0]
        if not len(missing) or self.inner.tree is None:
            return hits
        if self.covers is not None:
            inside = np.zeros(len(missing), dtype=bool)
            for cover in self.covers:
                inside |= shapely.intersects_xy(cover, lon[missing], lat[missing])
            missing = missing[inside]
        if len(missing):
            inner_hits = self.inner.first_hits(points[missing])
            found = inner_hits >= 0
            hits[missing[found]] = -2 - inner_hits[found]
        return hits


def _prefixes(path: str) -> frozenset[str]:
    return frozenset(path_with_ancestors(path))


def _region_chain(path: str, codes_by_path: dict[str, str]) -> tuple[str, ...]:
    codes = (codes_by_path.get(prefix) for prefix in path_with_ancestors(path))
    return tuple(code for code in codes if code)


_lock = threading.Lock()
_current: GridIndex | None = None


def get_index() -> GridIndex:
    """The process's index, rebuilt first if any grid changed since it was built."""
    global _current
    from gridgov.grids.services import current_grid_version

    version = current_grid_version()
    index = _current
    if index is not None and index.version == version:
        return index
    with _lock:
        if _current is None or _current.version != version:
            _current = GridIndex(version)
        return _current


def locate_points(lon: ArrayLike, lat: ArrayLike, *, crs: str = "wgs84") -> list[Located | None]:
    """Resolve a batch of points given in `crs` (wgs84, gcj02 or bd09)."""
    wlon, wlat = coords.to_wgs84_array(lon, lat, crs)
    return get_index().locate_wgs84(wlon, wlat)


def locate(lon: float, lat: float, *, crs: str = "wgs84") -> Located | None:
    """Resolve one point; None when it is outside every grid."""
    return locate_points([lon], [lat], crs=crs)[0]
