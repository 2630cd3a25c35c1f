"""WGS84 / GCJ-02 / BD-09 conversion, scalar and vectorised.

Phones using Amap or Tencent maps send GCJ-02 ("Mars coordinates"), Baidu sends BD-09; we store
WGS84 and convert at the boundary (STACK.md). GCJ-02 is a published, deterministic obfuscation
of WGS84 on the Krasovsky 1940 ellipsoid; BD-09 adds Baidu's rotation and shift on top of GCJ-02.
Outside China (the rough bounding box every implementation uses) GCJ-02 equals WGS84.

The forward directions are closed formulas. The inverse directions are solved by fixed-point
iteration (Caijun 2014): start from the rough inverse and correct by the forward error until it
is below 1e-9 degree (about 0.1 mm), so a round trip is far better than the 1e-6 degree we need.

`prcoords` is used only by the tests, as an oracle.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Krasovsky 1940 ellipsoid, as used by GCJ-02.
GCJ_A = 6378245.0
GCJ_EE = 0.00669342162296594323
# Baidu's fixed shift of BD-09 against GCJ-02.
BD_DLON = 0.0065
BD_DLAT = 0.0060
# The bounding box within which GCJ-02 is applied (lon, lat).
CHINA_MIN_LON, CHINA_MAX_LON = 72.004, 137.8347
CHINA_MIN_LAT, CHINA_MAX_LAT = 0.8293, 55.8271

INVERSE_EPS = 1e-9
INVERSE_MAX_STEPS = 30

CRS_NAMES = ("wgs84", "gcj02", "bd09")

FloatArray = NDArray[np.float64]


def in_china(lon: float, lat: float) -> bool:
    """Inside the box where GCJ-02 differs from WGS84."""
    return CHINA_MIN_LON <= lon <= CHINA_MAX_LON and CHINA_MIN_LAT <= lat <= CHINA_MAX_LAT


def in_china_array(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    result: NDArray[np.bool_] = (
        (lon_a >= CHINA_MIN_LON)
        & (lon_a <= CHINA_MAX_LON)
        & (lat_a >= CHINA_MIN_LAT)
        & (lat_a <= CHINA_MAX_LAT)
    )
    return result


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 shift (dlon, dlat) in degrees at a WGS84 point; works on scalars and arrays."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = 2.0 * np.sin(6.0 * math.pi * x) + 2.0 * np.sin(2.0 * math.pi * x)
    dlat_m = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + (
            common
            + 2.0 * np.sin(math.pi * y)
            + 4.0 * np.sin(math.pi * y / 3.0)
            + 16.0 * np.sin(math.pi * y / 12.0)
            + 32.0 * np.sin(math.pi * y / 30.0)
        )
        * 20.0
        / 3.0
    )
    dlon_m = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + (
            common
            + 2.0 * np.sin(math.pi * x)
            + 4.0 * np.sin(math.pi * x / 3.0)
            + 15.0 * np.sin(math.pi * x / 12.0)
            + 30.0 * np.sin(math.pi * x / 30.0)
        )
        * 20.0
        / 3.0
    )
    rad_lat = np.radians(lat)
    magic = 1.0 - GCJ_EE * np.sin(rad_lat) ** 2
    # Metres per degree of latitude and longitude on the Krasovsky ellipsoid.
    lat_deg_len = np.radians(GCJ_A * (1.0 - GCJ_EE) / magic**1.5)
    lon_deg_len = np.radians(GCJ_A * np.cos(rad_lat) / np.sqrt(magic))
    return dlon_m / lon_deg_len, dlat_m / lat_deg_len


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a = np.array(lon, dtype=np.float64, copy=True)
    lat_a = np.array(lat, dtype=np.float64, copy=True)
    if lon_a.shape != lat_a.shape:
        raise ValueError("lon and lat must have the same shape")
    return lon_a, lat_a


# --- vectorised ---------------------------------------------------------------------------------


def wgs84_to_gcj02_array(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a, lat_a = _as_arrays(lon, lat)
    inside = in_china_array(lon_a, lat_a)
    dlon, dlat = _gcj_offset(lon_a[inside], lat_a[inside])
    lon_a[inside] += dlon
    lat_a[inside] += dlat
    return lon_a, lat_a


def gcj02_to_wgs84_array(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Iterative inverse; points outside China (judged on the GCJ-02 input) pass unchanged."""
    gx, gy = _as_arrays(lon, lat)
    inside = in_china_array(gx, gy)
    tx, ty = gx[inside], gy[inside]
    dlon, dlat = _gcj_offset(tx, ty)
    wx, wy = tx - dlon, ty - dlat
    for _step in range(INVERSE_MAX_STEPS):
        dlon, dlat = _gcj_offset(wx, wy)
        ex, ey = wx + dlon - tx, wy + dlat - ty
        wx, wy = wx - ex, wy - ey
        if ex.size == 0 or max(np.abs(ex).max(), np.abs(ey).max()) < INVERSE_EPS:
            break
    gx[inside], gy[inside] = wx, wy
    return gx, gy


def gcj02_to_bd09_array(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, y = _as_arrays(lon, lat)
    r = np.hypot(x, y) + 0.00002 * np.sin(np.radians(y) * 3000.0)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(np.radians(x) * 3000.0)
    return r * np.cos(theta) + BD_DLON, r * np.sin(theta) + BD_DLAT


def bd09_to_gcj02_array(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Baidu's rough inverse, then refined by iteration like GCJ-02's."""
    bx, by = _as_arrays(lon, lat)
    x, y = bx - BD_DLON, by - BD_DLAT
    r = np.hypot(x, y) - 0.00002 * np.sin(np.radians(y) * 3000.0)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(np.radians(x) * 3000.0)
    gx, gy = r * np.cos(theta), r * np.sin(theta)
    for _step in range(INVERSE_MAX_STEPS):
        fx, fy = gcj02_to_bd09_array(gx, gy)
        ex, ey = fx - bx, fy - by
        gx, gy = gx - ex, gy - ey
        if ex.size == 0 or max(np.abs(ex).max(), np.abs(ey).max()) < INVERSE_EPS:
            break
    return gx, gy


def wgs84_to_bd09_array(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return gcj02_to_bd09_array(*wgs84_to_gcj02_array(lon, lat))


def bd09_to_wgs84_array(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return gcj02_to_wgs84_array(*bd09_to_gcj02_array(lon, lat))


def to_wgs84_array(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """Convert a batch from `crs` ("wgs84", "gcj02" or "bd09") to WGS84."""
    if crs == "wgs84":
        return _as_arrays(lon, lat)
    if crs == "gcj02":
        return gcj02_to_wgs84_array(lon, lat)
    if crs == "bd09":
        return bd09_to_wgs84_array(lon, lat)
    raise ValueError(f"unknown coordinate system {crs!r}; expected one of {', '.join(CRS_NAMES)}")


# --- scalar -------------------------------------------------------------------------------------


def _scalar(result: tuple[FloatArray, FloatArray]) -> tuple[float, float]:
    return float(result[0]), float(result[1])


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(wgs84_to_gcj02_array(lon, lat))


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(gcj02_to_wgs84_array(lon, lat))


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(gcj02_to_bd09_array(lon, lat))


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(bd09_to_gcj02_array(lon, lat))


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(wgs84_to_bd09_array(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(bd09_to_wgs84_array(lon, lat))


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    return _scalar(to_wgs84_array(lon, lat, crs))
