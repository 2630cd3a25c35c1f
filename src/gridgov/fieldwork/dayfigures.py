"""The stored figures of one person's day from their fixes, as plain functions (no Django), so
the nightly run can compute many days in worker processes; `daily` stores what they return,
for one person or for everyone, by the same code.

The figures are those of `services.summarise_track_for_grids` for the person's posted grids
(mileage, duration, stay points, coverage of each grid, key points passed) plus the share of
kept fixes farther than the buffer from every posted grid."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from gridgov.fieldwork import packing, tracks
from gridgov.fieldwork.tracks import DEFAULT_RULES, Track, TrackRules


def decode(chunks: Iterable[bytes | memoryview]) -> Track:
    """Stored chunks (in storage order) as one track in time order (a stable sort)."""
    parts = [packing.unpack(bytes(c)) for c in chunks]
    if not parts:
        return Track.of([], [], [])
    t, lon, lat, acc = (np.concatenate([p[i] for p in parts]) for i in range(4))
    order = np.argsort(t, kind="stable")
    return Track(t=t[order], lon=lon[order], lat=lat[order], accuracy=acc[order])


def outside_share(
    kept: Track, boundaries: Sequence[dict[str, Any]], rules: TrackRules = DEFAULT_RULES
) -> float:
    """Share of kept fixes farther than the buffer from every one of the areas."""
    polygons = [shape(b) for b in boundaries if b]
    if len(kept) == 0 or not polygons:
        return 0.0
    area = shapely.union_all(polygons)
    centre = area.centroid
    project = tracks.laea_projector(centre.x, centre.y)
    projected = shapely.transform(area, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1])))  # type: ignore[operator]
    x, y = project(kept.lon, kept.lat)  # type: ignore[operator]
    shapely.prepare(projected)
    near = shapely.dwithin(projected, shapely.points(x, y), rules.buffer_m)
    return float(1.0 - near.mean())


def day_figures(
    track: Track,
    grids: Sequence[tuple[str, dict[str, Any] | None]],
    key_points: Sequence[tuple[float, float]],
    rules: TrackRules = DEFAULT_RULES,
) -> dict[str, Any]:
    """Figures of a day's track for the person's grids ((code, boundary) by code) and the key
    points (lon, lat) of those grids; `first_t`/`last_t` are epoch seconds or None."""
    kept = tracks.filter_track(track, rules)
    runs = tracks.kept_segment_runs(kept, rules)
    coverage = {
        code: (tracks.coverage_share(kept, boundary, rules, runs) if boundary else 0.0)
        for code, boundary in grids
    }
    visited = tracks.key_points_visited(kept, list(key_points), rules, runs)
    return {
        "fixes": len(track),
        "kept": len(kept),
        "mileage_m": tracks.mileage_m(kept, rules),
        "duration_s": tracks.duration_s(kept, rules),
        "stay_points": len(tracks.stay_points(kept, rules)),
        "coverage": {code: round(share, 4) for code, share in coverage.items()},
        "key_points_visited": len(visited),
        "outside_share": outside_share(kept, [b for _, b in grids if b], rules),
        "first_t": float(kept.t[0]) if len(kept) else None,
        "last_t": float(kept.t[-1]) if len(kept) else None,
    }


@dataclass(frozen=True)
class DayInput:
    """What a worker process needs for one person's day (picklable)."""

    key: int
    chunks: list[bytes]
    start_ts: float
    end_ts: float
    grids: list[tuple[str, dict[str, Any] | None]]
    key_points: list[tuple[float, float]]


def compute(item: DayInput, rules: TrackRules = DEFAULT_RULES) -> tuple[int, dict[str, Any]]:
    track = decode(item.chunks)
    inside = (track.t >= item.start_ts) & (track.t < item.end_ts)
    return item.key, day_figures(track.take(inside), item.grids, item.key_points, rules)
