"""The track rules of STANDARDS.md on hand-made tracks with known answers, on generated tracks
against a plain reference implementation, and on the real GeoLife tracks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box, mapping

from gridgov.core.testing import require_realdata
from gridgov.fieldwork import tracks
from gridgov.fieldwork.tests import reference
from gridgov.fieldwork.trackfiles import read_plt
from gridgov.fieldwork.tracks import Track

R = 6_371_008.8
M_PER_DEG = R * math.pi / 180
LON0, LAT0 = 113.3, 34.8


def north(metres: float) -> float:
    """Latitude `metres` north of LAT0 along the meridian (exact on the sphere)."""
    return LAT0 + metres / M_PER_DEG


def east(metres: float, lat: float = LAT0) -> float:
    return LON0 + metres / (M_PER_DEG * math.cos(math.radians(lat)))


def meridian_track(rows: list[tuple[float, float]], accuracy: list[float] | None = None) -> Track:
    """Fixes (t, metres north of the origin) on the meridian LON0."""
    return Track.of([t for t, _ in rows], [LON0] * len(rows), [north(m) for _, m in rows], accuracy)


def test_distance_is_great_circle_on_the_mean_radius() -> None:
    assert tracks.haversine_m(0, 0, 0, 1) == pytest.approx(R * math.pi / 180, rel=1e-12)
    assert tracks.haversine_m(0, 0, 180, 0) == pytest.approx(R * math.pi, rel=1e-12)


def test_filter_drops_inaccurate_repeated_backward_and_too_fast_fixes() -> None:
    track = meridian_track(
        [
            (0, 0),  # 0 kept
            (10, 100),  # 1 kept: accuracy exactly 100 is not worse than 100
            (20, 200),  # 2 dropped: accuracy 100.5
            (20, 200),  # 3 kept: 100 m in 10 s after fix 1
            (20, 210),  # 4 dropped: same time as the previous kept fix
            (15, 210),  # 5 dropped: earlier
            (30, 800),  # 6 dropped: 600 m in 10 s = 60 m/s
            (31, 850),  # 7 dropped: fine after 6, but 650 m in 11 s after the kept fix 3
            (60, 1000),  # 8 kept: 800 m in 40 s after fix 3
        ],
        accuracy=[5, 100, 100.5, 5, 5, 5, 5, 5, math.nan],
    )
    assert np.flatnonzero(tracks.keep_mask(track)).tolist() == [0, 1, 3, 8]


def test_mileage_leaves_out_gaps_of_more_than_300_s_and_300_m() -> None:
    kept = meridian_track(
        [
            (0, 0),
            (60, 50),
            (400, 400),  # 340 s and 350 m: a gap
            (460, 450),
            (800, 700),  # 340 s but 250 m: not a gap
            (860, 1000),  # 60 s, 300 m: not a gap (both must exceed)
            (1200, 1299.5),  # 340 s and 299.5 m: not a gap
        ]
    )
    assert tracks.mileage_m(kept) == pytest.approx(50 + 50 + 250 + 300 + 299.5, abs=1e-6)
    assert tracks.duration_s(kept) == pytest.approx(60 + 60 + 340 + 60 + 340)
    assert tracks.kept_segment_runs(kept) == [(0, 1), (2, 6)]


def test_stay_points_slide_from_the_first_fix_of_each_run() -> None:
    kept = meridian_track(
        [
            (0, 0),
            (60, 10),
            (120, 20),
            (180, 45),
            (240, 30),
            (300, 49),  # 300 s after the first, still within 50 m: a stay
            (360, 100),  # 100 m from the run's first fix: ends the run, starts the next
            (420, 120),
            (659, 110),  # 299 s after 360: not a stay
            (700, 150.5),  # 50.5 m from the fix at 100 m: ends that run
            (800, 160),
            (1000, 190),  # open at the end, 300 s long: a stay
        ]
    )
    stays = tracks.stay_points(kept)
    assert [(s.arrived, s.left) for s in stays] == [(0, 300), (700, 1000)]
    assert stays[0].lat == pytest.approx(north((0 + 10 + 20 + 45 + 30 + 49) / 6), abs=1e-12)
    assert stays[0].lon == pytest.approx(LON0)
    assert stays[1].lat == pytest.approx(north((150.5 + 160 + 190) / 3), abs=1e-12)


def test_a_fix_back_near_an_earlier_anchor_does_not_rejoin_its_run() -> None:
    kept = meridian_track([(0, 0), (200, 10), (260, 80), (400, 5), (600, 5)])
    # Runs: [0, 200] (200 s), [260] alone, [400, 600] (200 s): none lasts 300 s.
    assert tracks.stay_points(kept) == []


def test_coverage_of_a_band_through_a_box_is_its_share_of_the_spherical_area() -> None:
    west, east_edge = LON0, LON0 + 0.003  # about 274 m wide
    south, north_edge = LAT0, LAT0 + 0.002  # about 222 m tall
    middle = (west + east_edge) / 2
    kept = Track.of(
        [0, 60, 120], [middle] * 3, [south - 0.001, (south + north_edge) / 2, north_edge + 0.001]
    )
    share = tracks.coverage_share(kept, mapping(box(west, south, east_edge, north_edge)))
    # Exact area of a lon/lat box on the sphere; the band is 60 m wide along a meridian.
    box_area = (
        R**2
        * math.radians(east_edge - west)
        * (math.sin(math.radians(north_edge)) - math.sin(math.radians(south)))
    )
    band = 60 * R * math.radians(north_edge - south)
    assert share == pytest.approx(band / box_area, rel=2e-3)


def test_coverage_leaves_out_a_gap_crossing_the_grid() -> None:
    grid = mapping(box(LON0, LAT0, LON0 + 0.003, LAT0 + 0.002))
    lon = LON0 + 0.0015
    crossing_gap = Track.of([0, 400], [lon, lon], [LAT0 - 0.001, LAT0 + 0.003])  # 444 m, 400 s
    crossing_walk = Track.of([0, 200], [lon, lon], [LAT0 - 0.001, LAT0 + 0.003])  # 200 s
    assert tracks.coverage_share(crossing_gap, grid) == 0.0
    assert tracks.coverage_share(crossing_walk, grid) > 0.2


def test_a_key_point_is_visited_within_30_m_of_a_kept_segment() -> None:
    kept = meridian_track([(0, 0), (60, 100), (500, 500), (560, 600)])  # 100-500 is a gap
    points = [
        (east(29, north(50)), north(50)),  # 29 m from the middle of the first segment
        (east(31, north(50)), north(50)),
        (LON0, north(300)),  # on the gap
        (LON0, north(630)),  # 30 m beyond the end of the last segment... just outside
        (LON0, north(625)),
    ]
    assert tracks.key_points_visited(kept, points) == [0, 4]


def test_summary_of_an_empty_or_single_fix_track() -> None:
    assert tracks.summarise(Track.of([], [], [])).mileage_m == 0
    one = tracks.summarise(meridian_track([(0, 0)]))
    assert (one.kept, one.mileage_m, one.duration_s, one.stay_points) == (1, 0, 0, [])


fix_steps = st.lists(
    st.tuples(
        st.integers(min_value=-30, max_value=600),  # seconds since previous fix
        st.floats(min_value=-2000, max_value=2000),  # metres north
        st.floats(min_value=-2000, max_value=2000),  # metres east
        st.one_of(st.just(math.nan), st.floats(min_value=0, max_value=200)),
    ),
    min_size=1,
    max_size=80,
)


def _walk(steps: list[tuple[int, float, float, float]]) -> list[reference.Fix]:
    fixes: list[reference.Fix] = []
    t, y, x = 1_700_000_000.0, 0.0, 0.0
    for dt, dy, dx, acc in steps:
        # Small moves most of the time, so that stays and gaps both occur.
        t, y, x = t + dt, y + dy / 40, x + dx / 40
        fixes.append((t, east(x), north(y), acc))
    return fixes


@pytest.mark.parametrize("window", [2, 7, 512])
@settings(max_examples=150, deadline=None)
@given(steps=fix_steps)
def test_vectorised_rules_agree_with_the_plain_reference(
    window: int, steps: list[tuple[int, float, float, float]]
) -> None:
    fixes = _walk(steps)
    track = Track.of(*zip(*fixes, strict=True))
    saved = tracks._WINDOW
    tracks._WINDOW = window
    try:
        keep = np.flatnonzero(tracks.keep_mask(track)).tolist()
        kept = track.take(keep)
        stays = tracks.stay_points(kept)
    finally:
        tracks._WINDOW = saved
    assert keep == reference.kept(fixes)
    kept_fixes = [fixes[i] for i in keep]
    mileage, seconds = reference.mileage_and_duration(kept_fixes)
    assert tracks.mileage_m(kept) == pytest.approx(mileage, rel=1e-9, abs=1e-6)
    assert tracks.duration_s(kept) == pytest.approx(seconds)
    expected = reference.stays(kept_fixes)
    assert [(s.arrived, s.left) for s in stays] == [(a, b) for _, _, a, b in expected]
    for got, (lon, lat, _, _) in zip(stays, expected, strict=True):
        assert (got.lon, got.lat) == pytest.approx((lon, lat), abs=1e-9)


@pytest.mark.parametrize("window", [1, 3])
@settings(max_examples=60, deadline=None)
@given(steps=fix_steps)
def test_coverage_is_a_share_and_zero_without_segments(
    window: int, steps: list[tuple[int, float, float, float]]
) -> None:
    fixes = _walk(steps)
    kept = tracks.filter_track(Track.of(*zip(*fixes, strict=True)))
    grid = box(east(-300), north(-300), east(300), north(300))
    share = tracks.coverage_share(kept, grid)
    assert 0.0 <= share <= 1.0
    if not tracks.kept_segment_runs(kept):
        assert share == 0.0


def _geolife_files() -> list[Path]:
    root = require_realdata("gps_geolife_trackintel", "geolife_long_10_MB")
    return sorted(root.glob("*/Trajectory/*.plt"))


def test_geolife_tracks_agree_with_the_reference() -> None:
    files = _geolife_files()
    assert len(files) == 111
    total_fixes = total_kept = total_stays = 0
    total_mileage = 0.0
    for path in files:
        track, problems = read_plt(path.read_text(), source=path.name)
        assert problems == []
        fixes = list(zip(track.t, track.lon, track.lat, track.accuracy, strict=True))
        keep = np.flatnonzero(tracks.keep_mask(track)).tolist()
        assert keep == reference.kept(fixes), path
        kept = track.take(keep)
        kept_fixes = [fixes[i] for i in keep]
        mileage, seconds = reference.mileage_and_duration(kept_fixes)
        assert tracks.mileage_m(kept) == pytest.approx(mileage, rel=1e-9), path
        assert tracks.duration_s(kept) == pytest.approx(seconds), path
        stays = tracks.stay_points(kept)
        assert [(s.arrived, s.left) for s in stays] == [
            (a, b) for _, _, a, b in reference.stays(kept_fixes)
        ], path
        total_fixes += len(track)
        total_kept += len(kept)
        total_stays += len(stays)
        total_mileage += mileage
    assert total_fixes == 164_531
    # The real tracks exercise the rules: GPS spikes are dropped, people stop somewhere.
    assert 0 < total_fixes - total_kept < total_fixes // 10
    assert total_stays > 50
    assert total_mileage > 1_000_000


def test_geolife_coverage_of_the_tsinghua_area() -> None:
    """Coverage on real data against an independent estimate: sample the area on a 5 m lattice
    and count lattice points within 30 m of a segment (computed in a different projection)."""
    path = _geolife_files()[0]
    track, _ = read_plt(path.read_text())
    kept = tracks.filter_track(track)
    # A 600 m square around the track's first kept fix.
    lon0, lat0 = float(kept.lon[0]), float(kept.lat[0])
    half_lat = 300 / M_PER_DEG
    half_lon = 300 / (M_PER_DEG * math.cos(math.radians(lat0)))
    square = box(lon0 - half_lon, lat0 - half_lat, lon0 + half_lon, lat0 + half_lat)
    share = tracks.coverage_share(kept, square)
    # Independent: equirectangular metres around the square's centre, a lattice, distances.
    from shapely import STRtree, points
    from shapely.geometry import LineString

    def xy(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (
            (lon - lon0) * M_PER_DEG * math.cos(math.radians(lat0)),
            (lat - lat0) * M_PER_DEG,
        )

    x, y = xy(kept.lon, kept.lat)
    segments = [
        LineString([(x[a], y[a]), (x[a + 1], y[a + 1])])
        for a, b in tracks.kept_segment_runs(kept)
        for a in range(a, b)
    ]
    grid_x, grid_y = np.meshgrid(np.arange(-297.5, 300, 5), np.arange(-297.5, 300, 5))
    lattice = points(grid_x.ravel(), grid_y.ravel())
    tree = STRtree(segments)
    hit, _ = tree.query(lattice, predicate="dwithin", distance=30)
    expected = np.unique(hit).size / lattice.size
    assert 0.02 < share < 1
    assert share == pytest.approx(expected, abs=0.01)
