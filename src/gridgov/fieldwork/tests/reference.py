"""An independent, deliberately plain implementation of the track rules of STANDARDS.md: one
Python loop per rule, scalar math, no windows and no numpy. The tests compare the vectorised
module `fieldwork.tracks` with it on hand-made, generated and real (GeoLife) tracks.
(trackintel would be the outside oracle, but it pulls geopandas and is not installed.)"""

from __future__ import annotations

import math

R = 6_371_008.8


def dist(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(math.sqrt(min(1.0, h)))


Fix = tuple[float, float, float, float]  # t, lon, lat, accuracy (nan = unknown)


def kept(fixes: list[Fix]) -> list[int]:
    out: list[int] = []
    for i, (t, lon, lat, acc) in enumerate(fixes):
        if acc > 100:
            continue
        if out:
            pt, plon, plat, _ = fixes[out[-1]]
            if t <= pt:
                continue
            if dist(plon, plat, lon, lat) / (t - pt) > 50:
                continue
        out.append(i)
    return out


def mileage_and_duration(points: list[Fix]) -> tuple[float, float]:
    total = 0.0
    seconds = 0.0
    for a, b in zip(points, points[1:], strict=False):
        d = dist(a[1], a[2], b[1], b[2])
        dt = b[0] - a[0]
        if dt > 300 and d > 300:
            continue
        total += d
        seconds += dt
    return total, seconds


def stays(points: list[Fix]) -> list[tuple[float, float, float, float]]:
    result = []
    i = 0
    while i < len(points):
        j = i + 1
        while j < len(points) and dist(points[i][1], points[i][2], points[j][1], points[j][2]) < 50:
            j += 1
        run = points[i:j]
        if run[-1][0] - run[0][0] >= 300:
            result.append(
                (
                    sum(p[1] for p in run) / len(run),
                    sum(p[2] for p in run) / len(run),
                    run[0][0],
                    run[-1][0],
                )
            )
        i = j
    return result
