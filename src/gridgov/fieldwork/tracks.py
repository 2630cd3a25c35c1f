"""Track rules of STANDARDS.md ("Field work rules") as a small pure module: numpy arrays in,
numbers out; no Django. The services, the CLI and the bench all call these functions, so a
patrol's figures are computed one way everywhere.

A track is four parallel arrays: `t` (seconds since the Unix epoch, UTC), `lon`, `lat` (WGS84
degrees) and `accuracy` (metres; NaN when the device did not say). The defaults follow the track
services' practice (Baidu 鹰眼, Amap 猎鹰) quoted in STANDARDS.md:

- a fix with accuracy worse than 100 m is dropped; a fix whose time is not after the previous
  kept fix, or that implies more than 50 m/s from it, is dropped;
- distances are great-circle on a sphere of radius 6,371,008.8 m (the IUGG mean radius);
- a gap (more than 300 s AND more than 300 m between two consecutive kept fixes) is left out of
  mileage, duration, coverage and key points;
- stay points follow Li et al. (2008), sliding: a run starts at a kept fix, each following fix
  closer than 50 m to the run's first fix joins it, the first fix at 50 m or more ends it and
  starts the next run; a run lasting at least 300 s (first to last fix) is a stay at the mean
  position, and a run still open at the end counts the same way;
- coverage of a grid is the share of its area within 30 m of the kept segments, measured in a
  local (spherical) Lambert azimuthal equal-area projection centred on the grid;
- a key point is visited when a kept segment passes within 30 m of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely import MultiLineString, Point
from shapely import transform as transform_coords
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# How many fixes the vectorised scans look at in one step; a dropped fix or the end of a stay
# restarts the scan, so a bounded window keeps a messy track from turning quadratic.
_WINDOW = 512
# Tolerance (metres) for thinning a track before buffering it for coverage.
SIMPLIFY_M = 0.5
# Coverage buffers the track in pieces of this many segments and unites the pieces' buffers:
# the same region (the buffer of a union is the union of the buffers), but GEOS buffers a long
# self-crossing walk as one line far more slowly than it unites many small convex-ish polygons.
COVER_PIECE = 64


@dataclass(frozen=True)
class TrackRules:
    """The configurable thresholds; the defaults are STANDARDS.md's."""

    max_accuracy_m: float = 100.0
    max_speed_mps: float = 50.0
    gap_seconds: float = 300.0
    gap_metres: float = 300.0
    stay_radius_m: float = 50.0
    stay_seconds: float = 300.0
    buffer_m: float = 30.0


DEFAULT_RULES = TrackRules()


@dataclass(frozen=True)
class Track:
    """Fixes in time order as parallel arrays (t in epoch seconds, UTC)."""

    t: FloatArray
    lon: FloatArray
    lat: FloatArray
    accuracy: FloatArray = field(default_factory=lambda: np.empty(0))

    @classmethod
    def of(
        cls,
        t: ArrayLike,
        lon: ArrayLike,
        lat: ArrayLike,
        accuracy: ArrayLike | None = None,
    ) -> Track:
        t_a = np.asarray(t, dtype=np.float64)
        acc = (
            np.full(t_a.shape, np.nan)
            if accuracy is None
            else np.asarray(accuracy, dtype=np.float64)
        )
        return cls(
            t=t_a,
            lon=np.asarray(lon, dtype=np.float64),
            lat=np.asarray(lat, dtype=np.float64),
            accuracy=acc,
        )

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def take(self, mask_or_index: ArrayLike) -> Track:
        index = np.asarray(mask_or_index)
        if index.dtype != np.bool_:
            index = index.astype(np.intp)
        return Track(
            t=self.t[index], lon=self.lon[index], lat=self.lat[index], accuracy=self.accuracy[index]
        )


@dataclass(frozen=True)
class StayPoint:
    lon: float
    lat: float
    arrived: float  # epoch seconds
    left: float


@dataclass(frozen=True)
class TrackSummary:
    fixes: int
    kept: int
    mileage_m: float
    duration_s: float
    stay_points: list[StayPoint]


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> FloatArray:
    """Great-circle distance in metres on the sphere of radius 6,371,008.8 m (haversine)."""
    lo1, la1, lo2, la2 = (
        np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2)
    )
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    result: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return result


def keep_mask(track: Track, rules: TrackRules = DEFAULT_RULES) -> BoolArray:
    """Which fixes survive the filter. Accuracy first (NaN = not reported = kept); then time
    and speed, each against the previous *kept* fix, which is why this is a scan and not one
    vector expression: the common clean stretch is checked a window at a time, and only a
    dropped fix restarts the window."""
    n = len(track)
    keep = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(~(track.accuracy > rules.max_accuracy_m))
    if candidates.size == 0:
        return keep
    t, lon, lat = track.t[candidates], track.lon[candidates], track.lat[candidates]
    kept_local = np.zeros(candidates.size, dtype=bool)
    kept_local[0] = True
    prev = 0
    i = 1
    m = candidates.size
    while i < m:
        stop = min(m, i + _WINDOW)
        # Assume everything in the window is kept: each fix's predecessor is then the one
        # before it, except the first, whose predecessor is the last kept fix.
        before = np.empty(stop - i, dtype=np.int64)
        before[0] = prev
        before[1:] = np.arange(i, stop - 1)
        dt = t[i:stop] - t[before]
        d = haversine_m(lon[before], lat[before], lon[i:stop], lat[i:stop])
        ok = (dt > 0) & (d <= rules.max_speed_mps * dt)
        bad = np.flatnonzero(~ok)
        if bad.size == 0:
            kept_local[i:stop] = True
            prev = stop - 1
            i = stop
            continue
        first_bad = i + int(bad[0])
        kept_local[i:first_bad] = True
        if first_bad > i:
            prev = first_bad - 1
        i = first_bad + 1
    keep[candidates[kept_local]] = True
    return keep


def filter_track(track: Track, rules: TrackRules = DEFAULT_RULES) -> Track:
    """The kept fixes, in order."""
    return track.take(keep_mask(track, rules))


def segment_arrays(
    kept: Track, rules: TrackRules = DEFAULT_RULES
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Per consecutive pair of kept fixes: distance (m), duration (s), and whether it is a gap."""
    if len(kept) < 2:
        empty = np.empty(0)
        return empty, empty, np.empty(0, dtype=bool)
    d = haversine_m(kept.lon[:-1], kept.lat[:-1], kept.lon[1:], kept.lat[1:])
    dt = kept.t[1:] - kept.t[:-1]
    gap = (dt > rules.gap_seconds) & (d > rules.gap_metres)
    return d, dt, gap


def mileage_m(kept: Track, rules: TrackRules = DEFAULT_RULES) -> float:
    """Sum of distances between consecutive kept fixes, gaps left out."""
    d, _dt, gap = segment_arrays(kept, rules)
    return float(d[~gap].sum())


def duration_s(kept: Track, rules: TrackRules = DEFAULT_RULES) -> float:
    """Time spent between consecutive kept fixes, gaps left out (the time on the track, not the
    span from the first to the last fix, which would count a lunch break elsewhere)."""
    _d, dt, gap = segment_arrays(kept, rules)
    return float(dt[~gap].sum())


# Stay points look this many fixes ahead of every fix in one vectorised step first: most runs of
# a walk end within a few fixes, so the per-run scan below is only needed for real stays.
_STAY_BAND = 8


def stay_points(kept: Track, rules: TrackRules = DEFAULT_RULES) -> list[StayPoint]:
    """Li et al. (2008) sliding stay points exactly as STANDARDS.md words them (see module)."""
    n = len(kept)
    stays: list[StayPoint] = []
    # first_far[i]: offset (1.._STAY_BAND) of the first fix after i at >= radius from i, else 0.
    first_far = np.zeros(n, dtype=np.int64)
    if n > 1:
        ahead = np.arange(n)[:, None] + np.arange(1, _STAY_BAND + 1)[None, :]
        inside = ahead < n
        ahead = np.minimum(ahead, n - 1)
        d = haversine_m(kept.lon[:, None], kept.lat[:, None], kept.lon[ahead], kept.lat[ahead])
        far = (d >= rules.stay_radius_m) & inside
        first_far = np.where(far.any(axis=1), far.argmax(axis=1) + 1, 0)
    start = 0
    while start < n:
        # Find the first later fix at >= radius from the run's first fix, a window at a time.
        end = n
        if first_far[start]:
            end = start + int(first_far[start])
        else:
            probe = start + 1 + _STAY_BAND
            window = 16
            while probe < n:
                stop = min(n, probe + min(window, _WINDOW))
                window *= 2
                d_run = haversine_m(
                    kept.lon[start], kept.lat[start], kept.lon[probe:stop], kept.lat[probe:stop]
                )
                hits = np.flatnonzero(d_run >= rules.stay_radius_m)
                if hits.size:
                    end = probe + int(hits[0])
                    break
                probe = stop
        last = end - 1
        if kept.t[last] - kept.t[start] >= rules.stay_seconds:
            stays.append(
                StayPoint(
                    lon=float(kept.lon[start:end].mean()),
                    lat=float(kept.lat[start:end].mean()),
                    arrived=float(kept.t[start]),
                    left=float(kept.t[last]),
                )
            )
        start = end
    return stays


def summarise(track: Track, rules: TrackRules = DEFAULT_RULES) -> TrackSummary:
    kept = filter_track(track, rules)
    return TrackSummary(
        fixes=len(track),
        kept=len(kept),
        mileage_m=mileage_m(kept, rules),
        duration_s=duration_s(kept, rules),
        stay_points=stay_points(kept, rules),
    )


# --- geometry: coverage and key points -------------------------------------------------------


def laea_projector(lon0: float, lat0: float) -> object:
    """A spherical Lambert azimuthal equal-area projection centred on (lon0, lat0), in metres,
    for `shapely.ops.transform` and for arrays. Equal-area, so polygon areas (and the share a
    buffer covers) are true; at the scale of a grid its distance error is negligible."""
    lam0, phi0 = math.radians(lon0), math.radians(lat0)
    sin_phi0, cos_phi0 = math.sin(phi0), math.cos(phi0)

    def project(
        x: ArrayLike, y: ArrayLike, z: ArrayLike | None = None
    ) -> tuple[FloatArray, FloatArray]:
        lam = np.radians(np.asarray(x, dtype=np.float64)) - lam0
        phi = np.radians(np.asarray(y, dtype=np.float64))
        cos_phi = np.cos(phi)
        cos_lam = np.cos(lam)
        k = np.sqrt(2.0 / (1.0 + sin_phi0 * np.sin(phi) + cos_phi0 * cos_phi * cos_lam))
        px = EARTH_RADIUS_M * k * cos_phi * np.sin(lam)
        py = EARTH_RADIUS_M * k * (cos_phi0 * np.sin(phi) - sin_phi0 * cos_phi * cos_lam)
        return px, py

    return project


def kept_segment_runs(kept: Track, rules: TrackRules = DEFAULT_RULES) -> list[tuple[int, int]]:
    """Index ranges [start, end] (inclusive) of kept fixes joined by non-gap segments; a lone
    fix between two gaps has no segment and is not part of any run."""
    _d, _dt, gap = segment_arrays(kept, rules)
    if gap.size == 0:
        return []
    runs = []
    start = 0
    for g in np.flatnonzero(gap):
        end = int(g)
        if end > start:
            runs.append((start, end))
        start = end + 1
    if len(kept) - 1 > start:
        runs.append((start, len(kept) - 1))
    return runs


def _projected_lines(
    kept: Track, runs: list[tuple[int, int]], project: object
) -> MultiLineString | None:
    if not runs:
        return None
    x, y = project(kept.lon, kept.lat)  # type: ignore[operator]
    lines = [np.column_stack((x[a : b + 1], y[a : b + 1])) for a, b in runs]
    return MultiLineString(lines)


def coverage_share(
    kept: Track,
    boundary: dict | BaseGeometry,
    rules: TrackRules = DEFAULT_RULES,
    runs: list[tuple[int, int]] | None = None,
) -> float:
    """Share (0-1) of the grid's area lying within `buffer_m` of the kept, non-gap segments."""
    polygon = boundary if isinstance(boundary, BaseGeometry) else shape(boundary)
    if polygon.is_empty:
        return 0.0
    runs = kept_segment_runs(kept, rules) if runs is None else runs
    if not runs:
        return 0.0
    centre = polygon.centroid
    project = laea_projector(centre.x, centre.y)
    area_poly = transform_coords(polygon, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1])))  # type: ignore[operator]
    if area_poly.area <= 0:
        return 0.0
    lines = _projected_lines(kept, runs, project)
    assert lines is not None  # noqa: S101 - runs is not empty
    # Only the part of the track near the grid matters: clip to the grid's box grown by the
    # buffer before buffering (exact: nothing outside it is within the buffer of the grid).
    minx, miny, maxx, maxy = area_poly.bounds
    margin = rules.buffer_m * 1.01
    near = shapely.clip_by_rect(lines, minx - margin, miny - margin, maxx + margin, maxy + margin)
    if near.is_empty:
        return 0.0
    # GPS jitter makes many tiny overlapping segments, which GEOS buffers slowly; dropping
    # vertices that move the line by less than SIMPLIFY_M changes the covered area by a
    # negligible sliver at the buffer's edge.
    near = shapely.simplify(near, SIMPLIFY_M, preserve_topology=False)
    pieces = _pieces(near, COVER_PIECE)
    if not pieces:
        return 0.0
    buffered = shapely.union_all(shapely.buffer(pieces, rules.buffer_m, quad_segs=16))
    covered = buffered.intersection(area_poly)
    return float(min(1.0, covered.area / area_poly.area))


def _pieces(lines: BaseGeometry, size: int) -> list[BaseGeometry]:
    """The lines cut into linestrings of at most `size` segments (consecutive pieces share
    their end vertex, so together they are exactly the same point set); a lone point stays."""
    out: list[BaseGeometry] = []
    for part in shapely.get_parts(lines):
        coords = shapely.get_coordinates(part)
        if len(coords) == 1:
            out.append(shapely.points(coords[0]))
            continue
        for i in range(0, len(coords) - 1, size):
            out.append(shapely.linestrings(coords[i : i + size + 1]))
    return out


def key_points_visited(
    kept: Track,
    points: Sequence[tuple[float, float]],
    rules: TrackRules = DEFAULT_RULES,
    runs: list[tuple[int, int]] | None = None,
) -> list[int]:
    """Indices of `points` (lon, lat) that a kept, non-gap segment passes within `buffer_m` of."""
    runs = kept_segment_runs(kept, rules) if runs is None else runs
    if not runs or not points:
        return []
    visited = []
    for index, (lon, lat) in enumerate(points):
        project = laea_projector(lon, lat)
        lines = _projected_lines(kept, runs, project)
        if lines is not None and lines.distance(Point(0.0, 0.0)) <= rules.buffer_m:
            visited.append(index)
    return visited
