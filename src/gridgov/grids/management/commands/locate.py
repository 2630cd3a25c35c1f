"""`gridgov locate LON LAT [--crs wgs84|gcj02|bd09]` or `gridgov locate --csv FILE`: the unit
grid of a point and its ancestors as JSON, or {"outside": true}. With --csv (columns lon,lat)
one JSON line per row, in order; a bad row gets an error line naming it, not a crash."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from gridgov.core.coords import CRS_NAMES
from gridgov.core.errors import ImportRejectedError
from gridgov.grids.index import OUTSIDE, locate_points
from gridgov.grids.management.commands._common import GridCommand, read_bytes, usage_error
from gridgov.grids.textfiles import decode_csv

BATCH = 100_000


class Command(GridCommand):
    help = (
        "Resolve points to their unit grid (JSON). With --csv a bad row gets an error line "
        'naming it ({"row": N, "error": …}) and the others are still located.'
    )
    exit_done = 'points located, or answered {"outside": true}'
    exit_rejected = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("lon", nargs="?", type=str)
        parser.add_argument("lat", nargs="?", type=str)
        parser.add_argument("--crs", choices=CRS_NAMES, default="wgs84")
        parser.add_argument("--csv", metavar="FILE", help="CSV with columns lon,lat")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["csv"]:
            if options["lon"] is not None:
                raise usage_error(_("--csv 与 LON LAT 不能同时使用"))
            self.locate_csv(options["csv"], options["crs"])
            return
        if options["lon"] is None or options["lat"] is None:
            raise usage_error(_("请给出 LON LAT,或 --csv FILE"))
        lon, lat, error = parse_point(options["lon"], options["lat"])
        if error:
            raise usage_error(error)
        self.emit(locate_points([lon], [lat], crs=options["crs"])[0])

    def emit(self, found: Any) -> None:
        body = found.as_dict() if found is not None else OUTSIDE
        self.stdout.write(json.dumps(body, ensure_ascii=False))

    def locate_csv(self, path: str, crs: str) -> None:
        try:
            text = decode_csv(read_bytes(path), source=path).text
        except ImportRejectedError as exc:
            raise usage_error(str(exc.problems[0])) from None
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in next(reader, [])]
        if "lon" not in header or "lat" not in header:
            raise usage_error(_("CSV 表头须包含 lon 和 lat 两列"))
        lon_col, lat_col = header.index("lon"), header.index("lat")
        pending: list[tuple[int, float, float] | tuple[int, str]] = []
        for line, record in enumerate(reader, start=2):
            try:
                raw_lon, raw_lat = record[lon_col], record[lat_col]
            except IndexError:
                pending.append((line, _("缺少 lon 或 lat 列")))
                continue
            lon, lat, error = parse_point(raw_lon, raw_lat)
            pending.append((line, error) if error else (line, lon, lat))
            if len(pending) >= BATCH:
                self.flush(pending, crs)
                pending = []
        self.flush(pending, crs)

    def flush(self, rows: list[Any], crs: str) -> None:
        good = [r for r in rows if len(r) == 3]
        found = iter(locate_points([r[1] for r in good], [r[2] for r in good], crs=crs))
        for row in rows:
            if len(row) == 3:
                self.emit(next(found))
            else:
                body = {"row": row[0], "error": row[1]}
                self.stdout.write(json.dumps(body, ensure_ascii=False))


def parse_point(raw_lon: str, raw_lat: str) -> tuple[float, float, str]:
    """(lon, lat, "") or (nan, nan, message)."""
    try:
        lon, lat = float(raw_lon), float(raw_lat)
    except (TypeError, ValueError):
        return (
            math.nan,
            math.nan,
            _("经纬度不是数字:%(lon)r, %(lat)r") % {"lon": raw_lon, "lat": raw_lat},
        )
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (
        -180 <= lon <= 180 and -90 <= lat <= 90
    ):
        return (
            math.nan,
            math.nan,
            _("坐标超出经纬度范围:%(lon)s, %(lat)s") % {"lon": raw_lon, "lat": raw_lat},
        )
    return lon, lat, ""
