"""Coordinate conversion against the prcoords oracle (hypothesis over mainland China)."""

from __future__ import annotations

import warnings

import numpy as np
import prcoords
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.core import coords

# Inside the GCJ-02 box, away from its edges so the oracle and we agree on "in China".
china_lon = st.floats(min_value=73.0, max_value=135.0, allow_nan=False)
china_lat = st.floats(min_value=4.0, max_value=53.0, allow_nan=False)
world_lon = st.floats(min_value=-180.0, max_value=180.0, allow_nan=False)
world_lat = st.floats(min_value=-90.0, max_value=90.0, allow_nan=False)

EXACT = 1e-9
ROUND_TRIP = 1e-6  # the bar: inverse accurate to better than 1e-6 degree
OURS = 1e-8  # what our iteration actually reaches


@given(china_lon, china_lat)
def test_wgs84_to_gcj02_matches_prcoords(lon: float, lat: float) -> None:
    expected = prcoords.wgs_gcj((lat, lon))
    got = coords.wgs84_to_gcj02(lon, lat)
    assert got == pytest.approx((expected.lon, expected.lat), abs=EXACT)


@given(china_lon, china_lat)
def test_wgs84_to_bd09_matches_prcoords(lon: float, lat: float) -> None:
    expected = prcoords.wgs_bd((lat, lon))
    assert coords.wgs84_to_bd09(lon, lat) == pytest.approx((expected.lon, expected.lat), abs=EXACT)


@given(china_lon, china_lat)
def test_gcj02_inverse_round_trips_below_a_microdegree(lon: float, lat: float) -> None:
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    back = coords.gcj02_to_wgs84(glon, glat)
    assert back == pytest.approx((lon, lat), abs=OURS)
    # and it agrees with the oracle's precise ("bored") inverse
    oracle = prcoords.gcj_wgs_bored((glat, glon))
    # the oracle stops iterating at 1e-5 of a degree sum, so it is only good to ~1e-7
    assert back == pytest.approx((oracle.lon, oracle.lat), abs=ROUND_TRIP)


@given(china_lon, china_lat)
def test_bd09_inverse_round_trips_below_a_microdegree(lon: float, lat: float) -> None:
    blon, blat = coords.wgs84_to_bd09(lon, lat)
    assert coords.bd09_to_wgs84(blon, blat) == pytest.approx((lon, lat), abs=OURS)
    oracle = prcoords.bd_wgs_bored((blat, blon))
    assert coords.bd09_to_wgs84(blon, blat) == pytest.approx(
        (oracle.lon, oracle.lat), abs=ROUND_TRIP
    )


@given(world_lon, world_lat)
def test_outside_china_gcj02_is_wgs84(lon: float, lat: float) -> None:
    if coords.in_china(lon, lat):
        return
    assert coords.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert coords.gcj02_to_wgs84(lon, lat) == (lon, lat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = prcoords.wgs_gcj((lat, lon))
    assert (expected.lon, expected.lat) == (lon, lat)


@settings(max_examples=25)
@given(st.lists(st.tuples(world_lon, world_lat), min_size=1, max_size=50))
def test_vectorised_versions_equal_the_scalar_ones(points: list[tuple[float, float]]) -> None:
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    for array_fn, scalar_fn in (
        (coords.wgs84_to_gcj02_array, coords.wgs84_to_gcj02),
        (coords.gcj02_to_wgs84_array, coords.gcj02_to_wgs84),
        (coords.wgs84_to_bd09_array, coords.wgs84_to_bd09),
        (coords.bd09_to_wgs84_array, coords.bd09_to_wgs84),
    ):
        xs, ys = array_fn(lon, lat)
        for i, (x, y) in enumerate(points):
            assert (xs[i], ys[i]) == pytest.approx(scalar_fn(x, y), abs=1e-9)


def test_known_point_tiananmen() -> None:
    # Tian'anmen in WGS84 shows about 600 m east-north-east on an Amap (GCJ-02) map.
    glon, glat = coords.wgs84_to_gcj02(116.397, 39.909)
    assert glon == pytest.approx(116.40324, abs=1e-5)
    assert glat == pytest.approx(39.91040, abs=1e-5)


def test_vectorised_inverse_does_not_change_its_input() -> None:
    lon, lat = np.array([113.3, 2.0]), np.array([34.8, 48.0])
    coords.gcj02_to_wgs84_array(lon, lat)
    assert lon.tolist() == [113.3, 2.0]
    assert lat.tolist() == [34.8, 48.0]


def test_to_wgs84_rejects_an_unknown_crs() -> None:
    with pytest.raises(ValueError, match="bd09"):
        coords.to_wgs84(113.3, 34.8, "cgcs2000")
    assert coords.to_wgs84(113.3, 34.8, "wgs84") == (113.3, 34.8)
