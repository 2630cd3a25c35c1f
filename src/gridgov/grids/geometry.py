"""Geometry helpers: GeoJSON in and out, areas in square metres, bbox and label points.

Polygons are stored as WGS84 GeoJSON. Areas and tolerances are in square metres, computed in a
cylindrical equal-area projection whose standard parallel is the data's own latitude, so areas
are exact on the sphere and shapes are barely distorted at the scale of a town or a district.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

if TYPE_CHECKING:
    from gridgov.grids.models import Grid

EARTH_RADIUS_M = 6371007.2  # authalic radius


class GeometryError(ValueError):
    """A geometry that cannot be used as a grid boundary, with a message a person can act on."""


def to_shape(geojson: Any) -> BaseGeometry:
    """A shapely Polygon/MultiPolygon from a GeoJSON geometry, or GeometryError."""
    if not isinstance(geojson, dict) or "type" not in geojson:
        raise GeometryError(_("边界不是 GeoJSON 几何对象"))
    if geojson["type"] not in {"Polygon", "MultiPolygon"}:
        raise GeometryError(
            _("边界类型须为 Polygon 或 MultiPolygon,而非 %(type)s") % {"type": geojson["type"]}
        )
    _check_rings(geojson)
    try:
        geom = shape(geojson)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise GeometryError(_("坐标格式错误: %(error)s") % {"error": exc}) from None
    if geom.is_empty:
        raise GeometryError(_("边界为空"))
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise GeometryError(_("坐标含非数值"))
    lon, lat = coords[:, 0], coords[:, 1]
    if (lon < -180).any() or (lon > 180).any() or (lat < -90).any() or (lat > 90).any():
        raise GeometryError(_("坐标超出经纬度范围(经度 -180~180,纬度 -90~90)"))
    return geom


def _check_rings(geojson: dict[str, Any]) -> None:
    """Every position two finite numbers and every ring closed, checked before shapely sees
    them: shapely would warn on NaN and silently close an open ring, and a ring whose last
    point is not its first is usually a truncated file, not a shape someone meant."""
    polygons = geojson.get("coordinates")
    if geojson["type"] == "Polygon":
        polygons = [polygons]
    if not isinstance(polygons, list):
        raise GeometryError(_("坐标格式错误: coordinates 须为数组"))
    for polygon in polygons:
        if not isinstance(polygon, list):
            raise GeometryError(_("坐标格式错误: 多边形须为环的数组"))
        for ring in polygon:
            if not isinstance(ring, list) or not ring:
                raise GeometryError(_("坐标格式错误: 环须为坐标点的数组"))
            for point in ring:
                if (
                    not isinstance(point, list)
                    or len(point) < 2
                    or not all(
                        isinstance(v, int | float) and not isinstance(v, bool) for v in point
                    )
                ):
                    raise GeometryError(_("坐标格式错误: 坐标点须为 [经度, 纬度] 两个数"))
                if not all(math.isfinite(v) for v in point):
                    raise GeometryError(_("坐标含非数值(NaN 或无穷大)"))
            if len(ring) < 3:
                raise GeometryError(_("坐标格式错误: 环至少须有 4 个坐标点"))
            if ring[0][:2] != ring[-1][:2]:
                raise GeometryError(_("多边形的环未闭合(首尾坐标点须相同)"))


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """GeoJSON with lists (not tuples), so it round-trips through JSONField unchanged."""
    result: dict[str, Any] = _listify(mapping(geom))
    return result


def boundary_digest(geojson: dict[str, Any] | None) -> str:
    """16 hex digits of SHA-256 over the canonical JSON of a stored boundary ("" for none)."""
    if geojson is None:
        return ""
    text = json.dumps(geojson, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_listify(v) for v in value]
    return value


@dataclass(frozen=True)
class EqualArea:
    """Lambert cylindrical equal-area projection with standard parallel `lat0` (degrees)."""

    lat0: float

    @property
    def _k(self) -> float:
        return math.cos(math.radians(self.lat0))

    def forward_xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = EARTH_RADIUS_M * np.radians(lon) * self._k
        y = EARTH_RADIUS_M * np.sin(np.radians(lat)) / self._k
        return x, y

    def inverse_xy(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon = np.degrees(x / (EARTH_RADIUS_M * self._k))
        lat = np.degrees(np.arcsin(np.clip(y * self._k / EARTH_RADIUS_M, -1.0, 1.0)))
        return lon, lat

    def forward(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, self._forward_coords)

    def inverse(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, self._inverse_coords)

    def _forward_coords(self, coords: np.ndarray) -> np.ndarray:
        x, y = self.forward_xy(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _inverse_coords(self, coords: np.ndarray) -> np.ndarray:
        lon, lat = self.inverse_xy(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    @classmethod
    def around(cls, geom: BaseGeometry) -> EqualArea:
        minx, miny, maxx, maxy = geom.bounds
        return cls(lat0=(miny + maxy) / 2)


def area_m2(geom: BaseGeometry, projection: EqualArea | None = None) -> float:
    projection = projection or EqualArea.around(geom)
    return float(projection.forward(geom).area)


@dataclass(frozen=True)
class GeometrySummary:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    label_lon: float
    label_lat: float
    area_m2: float


def summarise(geom: BaseGeometry) -> GeometrySummary:
    """Bbox, a label point guaranteed inside the polygon, and the area."""
    minx, miny, maxx, maxy = geom.bounds
    label = geom.representative_point()
    return GeometrySummary(
        min_lon=minx,
        min_lat=miny,
        max_lon=maxx,
        max_lat=maxy,
        label_lon=label.x,
        label_lat=label.y,
        area_m2=area_m2(geom),
    )


def validity_problem(geom: BaseGeometry) -> str | None:
    """None for a valid polygon, else an explanation (in the active language) with the place of
    the fault."""
    if geom.is_valid:
        return None
    reason = shapely.is_valid_reason(geom)
    kind, _sep, where = reason.partition("[")
    where = where.rstrip("]")
    place = ""
    if where:
        parts = where.split()
        if len(parts) >= 2:
            try:
                place = _("(位于 %(lon).6f, %(lat).6f)") % {
                    "lon": float(parts[0]),
                    "lat": float(parts[1]),
                }
            except ValueError:
                place = f"({where})"
    known = INVALIDITY_LABELS.get(kind.strip())
    label = _(known) if known else kind.strip()
    return _("多边形无效:%(reason)s%(place)s") % {"reason": label, "place": place}


INVALIDITY_LABELS = {
    "Self-intersection": gettext_noop("边界自相交"),
    "Ring Self-intersection": gettext_noop("环自相交"),
    "Too few points": gettext_noop("顶点过少"),
    "Hole lies outside shell": gettext_noop("内环位于外环之外"),
    "Nested holes": gettext_noop("内环嵌套"),
    "Interior is disconnected": gettext_noop("内部不连通"),
    "Nested shells": gettext_noop("外环嵌套"),
    "Duplicate Rings": gettext_noop("环重复"),
    "Invalid Coordinate": gettext_noop("坐标无效"),
    "Ring is not closed": gettext_noop("环未闭合"),
}


def polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    """The Polygon/MultiPolygon part of a geometry (make_valid may add lines or points)."""
    if geom.geom_type in {"Polygon", "MultiPolygon"}:
        return geom
    polygons = [
        part
        for part in shapely.get_parts(geom)
        if part.geom_type in {"Polygon", "MultiPolygon"} and not part.is_empty
    ]
    if not polygons:
        return shapely.Polygon()
    return shapely.union_all(polygons)


def repair(geom: BaseGeometry) -> BaseGeometry:
    """shapely's make_valid, keeping only the area (used only when the operator asks)."""
    return polygonal_part(shapely.make_valid(geom))


def shapes_from_geojson(boundaries: list[Any]) -> np.ndarray:
    """Many stored boundaries at once (about twice as fast as `shape` one by one); None stays
    None, so indexes line up with the input."""
    result = np.full(len(boundaries), None, dtype=object)
    present = [i for i, b in enumerate(boundaries) if b]
    if present:
        texts = [
            b if isinstance(b, str) else json.dumps(b) for b in (boundaries[i] for i in present)
        ]
        result[present] = shapely.from_geojson(texts)
    return result


def apply_boundary(grid: Grid, geom: BaseGeometry | dict[str, Any] | None) -> None:
    """Set the boundary and its derived columns on an unsaved or unsaved-changes grid."""
    if geom is None:
        grid.boundary = None
        grid.min_lon = grid.min_lat = grid.max_lon = grid.max_lat = None
        grid.label_lon = grid.label_lat = grid.area_m2 = None
        grid.boundary_hash = ""
        return
    shp = to_shape(geom) if isinstance(geom, dict) else geom
    problem = validity_problem(shp)
    if problem:
        raise GeometryError(problem)
    summary = summarise(shp)
    grid.boundary = to_geojson(shp)
    grid.min_lon, grid.min_lat = summary.min_lon, summary.min_lat
    grid.max_lon, grid.max_lat = summary.max_lon, summary.max_lat
    grid.label_lon, grid.label_lat = summary.label_lon, summary.label_lat
    grid.area_m2 = summary.area_m2
    grid.boundary_hash = boundary_digest(grid.boundary)
