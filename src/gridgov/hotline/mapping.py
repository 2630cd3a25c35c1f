"""The mapping of an outside export onto hotline records (issue 13), read from TOML:

    crs = "wgs84"                 # wgs84 | gcj02 | bd09
    timezone = "Asia/Shanghai"    # for times written without a zone
    placeholder_points = [[-77.0, 39.0]]   # [lon, lat] the source writes for "unknown"

    [columns]                     # our field = the source's column header (any may be absent)
    external_number = "工单编号"
    ...

    [categories]                  # source value = catalogue item code
    [statuses]                    # source value = "open" | "closed" | "cancelled"

Two optional tables go beyond that: `[formats]` (our date field = "iso", "excel" or a strptime
pattern, when detection per column is not wanted) and `[satisfaction]` (source value =
"satisfied", "fairly_satisfied" or "dissatisfied", for ratings other than the usual ones).
"""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from gridgov.core.coords import CRS_NAMES
from gridgov.core.errors import DomainError

FIELDS = (
    "external_number",
    "received_at",
    "description",
    "category",
    "lon",
    "lat",
    "address",
    "status",
    "due_at",
    "closed_at",
    "satisfaction",
)
DATE_FIELDS = ("received_at", "due_at", "closed_at")
STATUSES = ("open", "closed", "cancelled")
SATISFACTION_SCORES = {"satisfied": 5, "fairly_satisfied": 4, "dissatisfied": 3}
TOP_LEVEL = {"columns", "crs", "timezone", "categories", "statuses", "placeholder_points"}
EXTRA_TABLES = {"formats", "satisfaction"}


class MappingError(DomainError):
    """A mapping file that cannot be used; `field` names the key."""


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str]
    crs: str = "wgs84"
    timezone: str = "Asia/Shanghai"
    categories: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    placeholder_points: tuple[tuple[float, float], ...] = ()
    formats: dict[str, str] = field(default_factory=dict)
    satisfaction: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "crs": self.crs,
            "timezone": self.timezone,
            "categories": self.categories,
            "statuses": self.statuses,
            "placeholder_points": [list(p) for p in self.placeholder_points],
            "formats": self.formats,
            "satisfaction": self.satisfaction,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mapping:
        return check_mapping(data)


def _table(data: dict[str, Any], key: str) -> dict[str, str]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise MappingError(_("映射中的 [%(key)s] 须为表") % {"key": key}, field=key)
    out: dict[str, str] = {}
    for name, target in value.items():
        if not isinstance(target, str):
            raise MappingError(
                _("映射 [%(key)s] 中 %(name)s 的值须为字符串") % {"key": key, "name": name},
                field=f"{key}.{name}",
            )
        out[str(name)] = target.strip()
    return out


def check_mapping(data: dict[str, Any]) -> Mapping:
    """A Mapping from parsed TOML (or its stored JSON), or a MappingError naming the key."""
    unknown = sorted(set(data) - TOP_LEVEL - EXTRA_TABLES)
    if unknown:
        raise MappingError(
            _("映射中有未知的键:%(keys)s") % {"keys": ", ".join(unknown)}, field=unknown[0]
        )
    columns = _table(data, "columns")
    bad = sorted(set(columns) - set(FIELDS))
    if bad:
        raise MappingError(
            _("[columns] 中有未知字段 %(bad)s;可用字段:%(fields)s")
            % {"bad": ", ".join(bad), "fields": ", ".join(FIELDS)},
            field=f"columns.{bad[0]}",
        )
    columns = {k: v for k, v in columns.items() if v}
    for needed in ("external_number", "received_at"):
        if needed not in columns:
            raise MappingError(
                _("[columns] 须指明 %(field)s 所在的列") % {"field": needed},
                field=f"columns.{needed}",
            )
    if ("lon" in columns) != ("lat" in columns):
        raise MappingError(_("[columns] 的 lon 与 lat 须同时给出"), field="columns.lon")
    crs = str(data.get("crs", "wgs84")).strip().lower()
    if crs not in CRS_NAMES:
        raise MappingError(
            _("crs 须为 %(names)s 之一") % {"names": ", ".join(CRS_NAMES)}, field="crs"
        )
    tz = str(data.get("timezone", "Asia/Shanghai")).strip()
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise MappingError(_("未知的时区:%(tz)s") % {"tz": tz}, field="timezone") from None
    statuses = _table(data, "statuses")
    for value, target in statuses.items():
        if target not in STATUSES:
            raise MappingError(
                _("[statuses] 中 %(value)s 须映射为 open、closed 或 cancelled") % {"value": value},
                field=f"statuses.{value}",
            )
    formats = _table(data, "formats")
    for name in formats:
        if name not in DATE_FIELDS:
            raise MappingError(
                _("[formats] 只能用于 %(fields)s") % {"fields": ", ".join(DATE_FIELDS)},
                field=f"formats.{name}",
            )
    satisfaction = _table(data, "satisfaction")
    for value, target in satisfaction.items():
        if target not in SATISFACTION_SCORES:
            raise MappingError(
                _(
                    "[satisfaction] 中 %(value)s 须映射为 satisfied、fairly_satisfied 或 dissatisfied"
                )
                % {"value": value},
                field=f"satisfaction.{value}",
            )
    points = data.get("placeholder_points", [])
    placeholders: list[tuple[float, float]] = []
    if not isinstance(points, list):
        raise MappingError(
            _("placeholder_points 须为 [[经度, 纬度], …]"), field="placeholder_points"
        )
    for point in points:
        if (
            not isinstance(point, list)
            or len(point) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
        ):
            raise MappingError(
                _("placeholder_points 须为 [[经度, 纬度], …],而非 %(p)r") % {"p": point},
                field="placeholder_points",
            )
        placeholders.append((float(point[0]), float(point[1])))
    return Mapping(
        columns=columns,
        crs=crs,
        timezone=tz,
        categories=_table(data, "categories"),
        statuses=statuses,
        placeholder_points=tuple(placeholders),
        formats=formats,
        satisfaction=satisfaction,
    )


def parse_mapping(text: str) -> Mapping:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(_("映射文件不是有效的 TOML:%(e)s") % {"e": exc}) from None
    return check_mapping(data)


# Header words that suggest a column for --write-mapping (lower-case substrings, first wins).
GUESSES: dict[str, tuple[str, ...]] = {
    "external_number": ("工单编号", "工单号", "编号", "unique key", "servicerequestnum", "id"),
    "received_at": ("受理时间", "来电时间", "创建时间", "created", "received", "opened"),
    "description": ("诉求内容", "内容", "描述", "description", "descriptor"),
    "category": ("诉求分类", "问题分类", "分类", "类别", "complaint type", "srtype", "type"),
    "lon": ("经度", "longitude", "lon", "lng"),
    "lat": ("纬度", "latitude", "lat"),
    "address": ("地址", "地点", "address"),
    "status": ("状态", "status"),
    "due_at": ("期限", "截止", "due"),
    "closed_at": ("办结时间", "结案时间", "closed", "closedate", "close"),
    "satisfaction": ("满意", "satisfaction", "rating"),
}
STATUS_GUESSES = {
    "closed": ("closed", "close", "办结", "结案", "已完成", "完成", "已回访", "resolved"),
    "cancelled": ("cancel", "duplicate", "撤销", "作废", "重复", "transferred"),
}


def guess_columns(header: list[str]) -> dict[str, str]:
    """Our field → the first header that looks like it (each header used once)."""
    lowered = [(h, h.strip().lower()) for h in header if h.strip()]
    used: set[str] = set()
    out: dict[str, str] = {}
    for name, words in GUESSES.items():
        for word in words:
            hit = next(
                (h for h, low in lowered if h not in used and (low == word or word in low)), None
            )
            if hit is not None:
                out[name] = hit
                used.add(hit)
                break
    return out


def guess_status(value: str) -> str:
    low = value.strip().lower()
    # "Closed (Duplicate)": the duplicate part decides (the record does not count).
    for word in STATUS_GUESSES["cancelled"]:
        if word in low:
            return "cancelled"
    for word in STATUS_GUESSES["closed"]:
        if word in low:
            return "closed"
    return "open"


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def write_mapping(
    header: list[str], *, statuses: list[str], categories: list[tuple[str, int]]
) -> str:
    """A commented starting mapping from a file's header and the values seen in it."""
    guessed = guess_columns(header)
    lines = [
        "# gridgov hotline mapping (gridgov import-hotline FILE --source NAME --mapping THIS.toml)",
        "# Columns in the file: " + ", ".join(h for h in header if h.strip()),
        "",
        '# Coordinate system of lon/lat: "wgs84", "gcj02" (Amap, Tencent) or "bd09" (Baidu).',
        'crs = "wgs84"',
        "# Time zone for times written without one.",
        'timezone = "Asia/Shanghai"',
        "# Points the source writes for an unknown place, as [lon, lat]: treated as missing.",
        "placeholder_points = []",
        "",
        "[columns]",
        "# our field = the file's column; delete or comment out what the file does not have.",
    ]
    for name in FIELDS:
        if name in guessed:
            lines.append(f"{name} = {_q(guessed[name])}")
        else:
            lines.append(f'# {name} = ""')
    lines += [
        "",
        "[statuses]",
        '# source value = "open", "closed" or "cancelled" (cancelled records do not count).',
    ]
    lines += [f"{_q(v)} = {_q(guess_status(v))}" for v in statuses]
    lines += [
        "",
        "[categories]",
        "# source value = catalogue item code; values left out are imported as unclassified.",
    ]
    lines += [f'# {_q(v)} = ""  # {n} rows' for v, n in categories]
    return "\n".join(lines) + "\n"
