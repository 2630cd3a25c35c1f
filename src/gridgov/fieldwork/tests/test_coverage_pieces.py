"""Coverage buffers the track in pieces and unites them (for speed): the same share as buffering
the whole line at once, on real GeoLife tracks and on a long self-crossing walk."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import shapely
from shapely import transform as transform_coords
from shapely.geometry import box

from gridgov.core.testing import require_realdata
from gridgov.fieldwork import tracks
from gridgov.fieldwork.trackfiles import read_plt
from gridgov.fieldwork.tracks import Track

R = 6_371_008.8
M_PER_DEG = R * math.pi / 180


def whole_line_share(kept: Track, polygon: shapely.Geometry) -> float:
    """The previous formula: the whole (clipped, thinned) track buffered as one geometry."""
    runs = tracks.kept_segment_runs(kept)
    if not runs:
        return 0.0
    centre = polygon.centroid
    project = tracks.laea_projector(centre.x, centre.y)
    area = transform_coords(polygon, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1])))  # type: ignore[operator]
    lines = tracks._projected_lines(kept, runs, project)
    minx, miny, maxx, maxy = area.bounds
    m = 30 * 1.01
    near = shapely.clip_by_rect(lines, minx - m, miny - m, maxx + m, maxy + m)
    if near.is_empty:
        return 0.0
    near = shapely.simplify(near, tracks.SIMPLIFY_M, preserve_topology=False)
    return float(min(1.0, near.buffer(30, quad_segs=16).intersection(area).area / area.area))


def square(lon0: float, lat0: float, half_m: float) -> shapely.Geometry:
    half_lat = half_m / M_PER_DEG
    half_lon = half_m / (M_PER_DEG * math.cos(math.radians(lat0)))
    return box(lon0 - half_lon, lat0 - half_lat, lon0 + half_lon, lat0 + half_lat)


def test_pieces_cover_what_the_whole_line_covers_on_a_self_crossing_walk() -> None:
    rng = random.Random(3)
    lon, lat, heading = 113.3, 34.8, 0.0
    rows = []
    for i in range(2000):  # 12 m steps, turning at random, inside a 700 m square
        rows.append((10.0 * i, lon, lat))
        heading += rng.gauss(0, 0.6)
        nlon = lon + 12 * math.sin(heading) / (M_PER_DEG * math.cos(math.radians(lat)))
        nlat = lat + 12 * math.cos(heading) / M_PER_DEG
        if abs(nlon - 113.3) < 0.004 and abs(nlat - 34.8) < 0.0036:
            lon, lat = nlon, nlat
        else:
            heading += math.pi
    kept = tracks.filter_track(Track.of(*zip(*rows, strict=True)))
    grid = square(113.3, 34.8, 300)
    expected = whole_line_share(kept, grid)
    assert 0.3 < expected < 1.0
    assert tracks.coverage_share(kept, grid) == pytest.approx(expected, rel=1e-4)


def test_pieces_cover_what_the_whole_line_covers_on_geolife() -> None:
    root = require_realdata("gps_geolife_trackintel", "geolife_long_10_MB")
    rng = random.Random(1)
    compared = 0
    for path in sorted(root.glob("*/Trajectory/*.plt"))[:12]:
        track, _ = read_plt(path.read_text())
        kept = tracks.filter_track(track)
        if len(kept) < 2:
            continue
        i = rng.randrange(len(kept))
        grid = square(float(kept.lon[i]), float(kept.lat[i]), 300)
        expected = whole_line_share(kept, grid)
        assert tracks.coverage_share(kept, grid) == pytest.approx(expected, rel=1e-4, abs=1e-9)
        compared += expected > 0
    assert compared >= 10
