"""Reading track files: CSV (`time,lon,lat[,accuracy]`) and GeoLife `.plt`, into a `Track`
plus a list of row-numbered problems. Pure (no database), so the CLI and the tests share it.

Times in CSV are ISO 8601; one without an offset is read in Asia/Shanghai (STANDARDS.md).
GeoLife's `.plt` times are GMT (the GeoLife user guide), stored as a date and a time column.
Coordinates in CSV may be GCJ-02 or BD-09 (`crs`), converted to WGS84 here.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from gridgov.core.coords import to_wgs84_array
from gridgov.core.errors import ImportRejectedError, ImportRowError
from gridgov.core.inputguard import read_csv_rows, reject_nul_rows
from gridgov.fieldwork.tracks import Track

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
PLT_HEADER_LINES = 6


def parse_time(text: str) -> float:
    """Epoch seconds of an ISO 8601 time; naive means Asia/Shanghai. Raises ValueError."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.timestamp()


def _number(text: str, name: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} 不是数字: {text!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} 超出范围 [{low}, {high}]: {text!r}")
    return value


def _finish(rows: list[tuple[float, float, float, float]], crs: str) -> Track:
    if not rows:
        return Track.of([], [], [])
    arr = np.array(rows, dtype=np.float64)
    lon, lat = arr[:, 1], arr[:, 2]
    if crs != "wgs84":
        lon, lat = to_wgs84_array(lon, lat, crs)
    # Files are not always in time order (merged exports); the filter compares with the
    # previous kept fix, so sort first (stable: equal times keep file order, then drop).
    order = np.argsort(arr[:, 0], kind="stable")
    return Track.of(arr[order, 0], lon[order], lat[order], arr[order, 3])


def read_csv(
    text: str, *, source: str = "", crs: str = "wgs84"
) -> tuple[Track, list[ImportRowError]]:
    """CSV with a header naming time, lon, lat and optionally accuracy (any column order)."""
    problems: list[ImportRowError] = []
    try:
        # The shared reader names the row of an oversized cell or a NUL (issue 9).
        reader = iter(read_csv_rows(text, source=source))
    except ImportRejectedError as exc:
        return Track.of([], [], []), exc.problems
    header = next(reader, None)
    if header is None:
        return Track.of([], [], []), [ImportRowError("文件为空", source=source, location="第 1 行")]
    columns = [h.strip().lower() for h in header]
    missing = [name for name in ("time", "lon", "lat") if name not in columns]
    if missing:
        problems.append(
            ImportRowError(
                f"表头缺少列: {', '.join(missing)}(需要 time,lon,lat[,accuracy])",
                source=source,
                location="第 1 行",
            )
        )
        return Track.of([], [], []), problems
    i_t, i_lon, i_lat = columns.index("time"), columns.index("lon"), columns.index("lat")
    i_acc = columns.index("accuracy") if "accuracy" in columns else None
    rows: list[tuple[float, float, float, float]] = []
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        try:
            if len(row) < len(columns):
                raise ValueError(f"列数不足: {len(row)} < {len(columns)}")
            try:
                t = parse_time(row[i_t])
            except ValueError:
                raise ValueError(f"time 不是 ISO 8601 时间: {row[i_t]!r}") from None
            lon = _number(row[i_lon], "lon", -180, 180)
            lat = _number(row[i_lat], "lat", -90, 90)
            acc = math.nan
            if i_acc is not None and row[i_acc].strip():
                acc = _number(row[i_acc], "accuracy", 0, 1e6)
        except ValueError as exc:
            problems.append(ImportRowError(str(exc), source=source, location=f"第 {line_no} 行"))
            continue
        rows.append((t, lon, lat, acc))
    return _finish(rows, crs), problems


def read_plt(text: str, *, source: str = "") -> tuple[Track, list[ImportRowError]]:
    """GeoLife: 6 header lines, then `lat,lon,0,altitude_ft,days,date,time` in GMT."""
    problems: list[ImportRowError] = []
    rows: list[tuple[float, float, float, float]] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if line_no <= PLT_HEADER_LINES or not line.strip():
            continue
        parts = line.split(",")
        try:
            if len(parts) < 7:
                raise ValueError(f"列数不足: {len(parts)} < 7")
            lat = _number(parts[0], "lat", -90, 90)
            lon = _number(parts[1], "lon", -180, 180)
            try:
                when = datetime.fromisoformat(f"{parts[5].strip()}T{parts[6].strip()}")
            except ValueError:
                raise ValueError(f"日期或时间无效: {parts[5]!r} {parts[6]!r}") from None
            t = when.replace(tzinfo=UTC).timestamp()
        except ValueError as exc:
            problems.append(ImportRowError(str(exc), source=source, location=f"第 {line_no} 行"))
            continue
        rows.append((t, lon, lat, math.nan))
    return _finish(rows, "wgs84"), problems


def read_track_file(
    name: str, data: bytes, *, crs: str = "wgs84"
) -> tuple[Track, list[ImportRowError]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Track.of([], [], []), [ImportRowError("文件不是 UTF-8 文本", source=name)]
    if name.lower().endswith(".plt"):
        try:
            reject_nul_rows(([line] for line in text.splitlines()), source=name)
        except ImportRejectedError as exc:
            return Track.of([], [], []), exc.problems
        return read_plt(text, source=name)
    return read_csv(text, source=name, crs=crs)
