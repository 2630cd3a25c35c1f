"""A batch of fixes packed into one compact binary value (TrackChunk.data).

One row per fix does not scale (issue 11: 5,594 workers, a fix every 10 s for 8 hours is 16 M
rows a day), so a batch as the phone sent it is one row: times in milliseconds and positions in
1e-7 degree (about 1 cm) as delta-coded integers, accuracy in decimetres, deflated. A walking
worker's consecutive fixes differ by small numbers, which is what makes the deltas compress.

Layout: b"GT1", then little-endian int64 first time (ms), uint32 count, then zlib of the
columns int64 Δt, Δlon, Δlat (high bytes are zeros and deflate away), uint16 accuracy (65535 = not reported).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from numpy.typing import NDArray

MAGIC = b"GT1"
_HEADER = struct.Struct("<qI")
_SCALE = 1e7
_NO_ACCURACY = 65535
_MAX_ACCURACY_DM = 65534

FloatArray = NDArray[np.float64]


def pack(t: FloatArray, lon: FloatArray, lat: FloatArray, accuracy: FloatArray) -> bytes:
    """Pack parallel arrays (t in epoch seconds) in their given order."""
    n = int(t.shape[0])
    if n == 0:
        return MAGIC + _HEADER.pack(0, 0)
    t_ms = np.round(t * 1000).astype(np.int64)
    lon_i = np.round(lon * _SCALE).astype(np.int64)
    lat_i = np.round(lat * _SCALE).astype(np.int64)
    acc = np.where(
        np.isnan(accuracy), _NO_ACCURACY, np.clip(np.round(accuracy * 10), 0, _MAX_ACCURACY_DM)
    ).astype("<u2")
    body = b"".join(
        (
            np.diff(t_ms, prepend=t_ms[0]).astype("<i8").tobytes(),
            np.diff(lon_i, prepend=0).astype("<i8").tobytes(),
            np.diff(lat_i, prepend=0).astype("<i8").tobytes(),
            acc.tobytes(),
        )
    )
    return MAGIC + _HEADER.pack(int(t_ms[0]), n) + zlib.compress(body, 1)


def unpack(data: bytes) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The arrays `pack` was given, at its resolution (1 ms, 1e-7 degree, 0.1 m)."""
    if data[:3] != MAGIC:
        raise ValueError("not a packed track chunk")
    t0, n = _HEADER.unpack_from(data, 3)
    if n == 0:
        empty = np.empty(0)
        return empty, empty, empty, empty
    body = zlib.decompress(data[3 + _HEADER.size :])
    offsets = np.cumsum([0, 8 * n, 8 * n, 8 * n])
    dt = np.frombuffer(body, "<i8", n, offsets[0])
    dlon = np.frombuffer(body, "<i8", n, offsets[1])
    dlat = np.frombuffer(body, "<i8", n, offsets[2])
    acc = np.frombuffer(body, "<u2", n, offsets[3]).astype(np.float64)
    t = (t0 + np.cumsum(dt)) / 1000.0
    lon = np.cumsum(dlon) / _SCALE
    lat = np.cumsum(dlat) / _SCALE
    accuracy = np.where(acc == _NO_ACCURACY, np.nan, acc / 10.0)
    return t, lon, lat, accuracy
