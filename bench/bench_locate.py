"""Batch point-to-grid throughput: our STRtree index against a naive loop over every polygon
with shapely `contains`, on the 4,418 unit grids of the demo district (seed 001).

    .venv/bin/python bench/bench_locate.py [--points 1000000] [--naive-sample 1000] [--db FILE]

Points are uniform in the district's bounding box (about three quarters fall inside a grid).
The naive loop is too slow for a million points, so it is timed on a sample and its rate
reported; both answer the same points and the answers are compared on the sample.
Targets (issue 2): the index at least 100 times the naive loop and at least 300,000 points/s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely
from district import add_db_argument, setup_district


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--naive-sample", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="index runs; the best is reported")
    parser.add_argument("--seed", type=int, default=2026)
    add_db_argument(parser)
    args = parser.parse_args()
    setup_district(args.db)

    from django.db.models import Max, Min

    from gridgov.grids.geometry import shapes_from_geojson
    from gridgov.grids.index import get_index, locate_points
    from gridgov.grids.models import Grid

    started = time.monotonic()
    index = get_index()
    build = time.monotonic() - started
    box = Grid.objects.filter(is_active=True).aggregate(
        west=Min("min_lon"), south=Min("min_lat"), east=Max("max_lon"), north=Max("max_lat")
    )
    rng = np.random.default_rng(args.seed)
    lon = rng.uniform(box["west"], box["east"], args.points)
    lat = rng.uniform(box["south"], box["north"], args.points)

    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        answers = locate_points(lon, lat)
        timings.append(time.perf_counter() - started)
    index_seconds = min(timings)
    inside = sum(1 for a in answers if a is not None and a.unit)

    # The naive way: every unit polygon, unprepared, tested with `contains` until one matches.
    leaves = Grid.objects.filter(is_active=True, children__isnull=True).order_by("code")
    codes, boundaries = zip(*leaves.values_list("code", "boundary"), strict=True)
    polygons = list(shapes_from_geojson(list(boundaries)))
    sample = args.naive_sample
    naive: list[str | None] = []
    started = time.perf_counter()
    for x, y in zip(lon[:sample].tolist(), lat[:sample].tolist(), strict=True):
        point = shapely.Point(x, y)
        found = None
        for code, polygon in zip(codes, polygons, strict=True):
            if polygon.contains(point):
                found = code
                break
        naive.append(found)
    naive_seconds = time.perf_counter() - started
    agree = sum(
        1
        for mine, theirs in zip(answers[:sample], naive, strict=True)
        if (mine.code if mine is not None and mine.unit else None) == theirs
    )

    index_rate = args.points / index_seconds
    naive_rate = sample / naive_seconds
    print(
        f"unit grids: {index.size:,}; index built in {build:.2f} s; points inside a grid: {inside / args.points:.1%}"
    )
    print(f"{'method':<28}{'points':>12}{'seconds':>10}{'points/s':>14}")
    print(f"{'naive loop + contains':<28}{sample:>12,}{naive_seconds:>10.2f}{naive_rate:>14,.0f}")
    print(
        f"{'STRtree index (batch)':<28}{args.points:>12,}{index_seconds:>10.2f}{index_rate:>14,.0f}"
    )
    print(
        f"speed-up: {index_rate / naive_rate:,.0f}x; answers agree on {agree}/{sample} sample points"
    )
    ok_speedup = index_rate >= 100 * naive_rate
    ok_rate = index_rate >= 300_000
    print(
        f"target >= 100x naive: {'PASS' if ok_speedup else 'FAIL'}; target >= 300,000 points/s: {'PASS' if ok_rate else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
