"""Importing outside-source records by mapping, and their KPIs (issue 13; STANDARDS: hotline
records).

An import reads every row first. A bad row is reported by its number with the reason and the
good rows are imported, or with `strict` nothing is written when any row is bad. A re-import
updates the records of the same source by their external number. Records keep the source's own
dates and status: a closed historical record creates no dispatch work.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from gridgov.cases.catalogue import read_sheet_rows
from gridgov.cases.models import MatterItem
from gridgov.core.errors import DomainError, ImportRejectedError, ImportRowError
from gridgov.core.inputguard import read_csv_rows
from gridgov.grids.index import locate_points
from gridgov.grids.textfiles import decode_csv
from gridgov.hotline import dates
from gridgov.hotline.mapping import (
    DATE_FIELDS,
    SATISFACTION_SCORES,
    Mapping,
    MappingError,
    parse_mapping,
    write_mapping,
)
from gridgov.hotline.models import HotlineImport, HotlineRecord, HotlineSource, RecordStatus
from gridgov.hotline.permissions import require

if TYPE_CHECKING:
    from django.contrib.auth.models import User

NUMBER_MAX = 64
DESCRIPTION_MAX = 4000
ADDRESS_MAX = 300
CATEGORY_MAX = 200
STORED_PROBLEMS = 1000
BATCH = 2000
# Ratings as hotlines write them (seed 002's scores 5 / 4 / 3).
DEFAULT_SATISFACTION = {
    "满意": 5,
    "非常满意": 5,
    "很满意": 5,
    "基本满意": 4,
    "比较满意": 4,
    "较满意": 4,
    "一般": 4,
    "不满意": 3,
    "很不满意": 3,
    "satisfied": 5,
    "fairly satisfied": 4,
    "dissatisfied": 3,
    "5": 5,
    "4": 4,
    "3": 3,
}
UPDATED_FIELDS = [
    "received_at",
    "description",
    "category_value",
    "item",
    "status_value",
    "status",
    "due_at",
    "closed_at",
    "satisfaction_value",
    "satisfaction",
    "lon",
    "lat",
    "address",
    "grid",
]


@dataclass
class ImportResult:
    """What an import did (or, dry-run, would do)."""

    source: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unclassified: int = 0
    located: int = 0
    problems: list[ImportRowError] = field(default_factory=list)
    dry_run: bool = False
    run_id: int | None = None
    taken_in: int = 0

    @property
    def bad(self) -> int:
        return len(self.problems)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def read_table(data: bytes, *, filename: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows (as text) of a CSV (UTF-8, GBK, UTF-16) or Excel file."""
    lower = filename.lower()
    if lower.endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        raw = read_sheet_rows(data, filename=filename)
        rows = [[_cell(v) for v in row] for row in raw]
    elif lower.endswith((".csv", ".txt")):
        text = decode_csv(data, source=filename).text
        # One reader for every importer: a cell over the csv limit or a NUL names its row.
        rows = [[c.strip() for c in row] for row in read_csv_rows(text, source=filename)]
    else:
        raise ImportRejectedError(
            [ImportRowError(_("文件须为 CSV 或 Excel(.xlsx/.xls)"), source=filename)]
        )
    if not rows or not any(rows[0]):
        raise ImportRejectedError([ImportRowError(_("文件没有表头行"), source=filename)])
    header = [h.lstrip("\ufeff").strip() for h in rows[0]]
    return header, rows[1:]


def starting_mapping(data: bytes, *, filename: str) -> str:
    """`--write-mapping`: a commented mapping from the file's header and values."""
    from gridgov.hotline.mapping import guess_columns

    header, rows = read_table(data, filename=filename)
    guessed = guess_columns(header)
    statuses: list[str] = []
    categories: list[tuple[str, int]] = []
    if "status" in guessed:
        col = header.index(guessed["status"])
        statuses = sorted({r[col] for r in rows if col < len(r) and r[col]})
    if "category" in guessed:
        col = header.index(guessed["category"])
        counts = Counter(r[col] for r in rows if col < len(r) and r[col])
        categories = counts.most_common(200)
    return write_mapping(header, statuses=statuses, categories=categories)


def resolve_mapping(source_name: str, mapping_text: str | None) -> Mapping:
    if mapping_text is not None:
        return parse_mapping(mapping_text)
    source = HotlineSource.objects.filter(name=source_name).first()
    if source is None or not source.mapping:
        raise MappingError(
            _("来源 %(name)s 还没有保存的映射,请用 --mapping 给出") % {"name": source_name},
            field="mapping",
        )
    return Mapping.from_json(source.mapping)


def _items_for(mapping: Mapping) -> dict[str, MatterItem]:
    codes = set(mapping.categories.values()) - {""}
    items = {i.code: i for i in MatterItem.objects.filter(code__in=codes, is_active=True)}
    missing = sorted(codes - set(items))
    if missing:
        raise MappingError(
            _("[categories] 引用了不存在或已停用的事项编码:%(codes)s")
            % {"codes": ", ".join(missing)},
            field="categories",
        )
    return items


def _lookup(table: dict[str, str], value: str) -> str | None:
    if value in table:
        return table[value]
    folded = value.strip().casefold()
    for key, target in table.items():
        if key.strip().casefold() == folded:
            return target
    return None


def _satisfaction(mapping: Mapping, value: str) -> int | None:
    target = _lookup(mapping.satisfaction, value)
    if target is not None:
        return SATISFACTION_SCORES[target]
    return DEFAULT_SATISFACTION.get(value.strip().casefold())


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    lon: float | None = None
    lat: float | None = None


def _parse_rows(
    mapping: Mapping,
    header: list[str],
    rows: list[list[str]],
    items: dict[str, MatterItem],
    filename: str,
) -> tuple[list[_Row], list[ImportRowError]]:
    missing = [col for col in mapping.columns.values() if col not in header]
    if missing:
        raise MappingError(
            _("文件中没有映射指明的列:%(cols)s;文件的列:%(header)s")
            % {"cols": ", ".join(missing), "header": ", ".join(header)},
            field="columns",
        )
    index = {name: header.index(col) for name, col in mapping.columns.items()}

    def get(row: list[str], name: str) -> str:
        i = index.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    patterns: dict[str, str | None] = {}
    for name in DATE_FIELDS:
        if name in index:
            patterns[name] = mapping.formats.get(name) or dates.detect(
                get(r, name) for r in rows[: dates.SAMPLE * 5]
            )
    problems: list[ImportRowError] = []
    good: list[_Row] = []
    seen: dict[str, int] = {}
    placeholders = mapping.placeholder_points
    for offset, row in enumerate(rows):
        number = offset + 2  # the header is row 1, as a spreadsheet numbers them
        if not any(c.strip() for c in row):
            continue
        errors: list[str] = []
        external = get(row, "external_number")
        if not external:
            errors.append(_("缺少工单编号"))
        elif len(external) > NUMBER_MAX:
            errors.append(_("工单编号超过 %(n)d 个字符") % {"n": NUMBER_MAX})
        elif external in seen:
            errors.append(
                _("工单编号 %(n)s 与第 %(row)d 行重复") % {"n": external, "row": seen[external]}
            )
        when: dict[str, dt.datetime | None] = {}
        for name, pattern in patterns.items():
            text = get(row, name)
            if not text:
                when[name] = None
                continue
            parsed = dates.parse_with(text, pattern) if pattern else None
            if parsed is None:
                errors.append(
                    _("列“%(col)s”的时间 %(value)r 无法按 %(fmt)s 读取")
                    % {
                        "col": mapping.columns[name],
                        "value": text,
                        "fmt": dates.describe(pattern or "?"),
                    }
                )
                continue
            when[name] = dates.aware(parsed, mapping.timezone)
        if not errors and when.get("received_at") is None:
            errors.append(_("缺少受理时间(列“%(col)s”)") % {"col": mapping.columns["received_at"]})
        lon = lat = None
        raw_lon, raw_lat = get(row, "lon"), get(row, "lat")
        if raw_lon or raw_lat:
            try:
                lon, lat = float(raw_lon.replace(",", "")), float(raw_lat.replace(",", ""))
            except ValueError:
                errors.append(
                    _("经纬度不是数字:%(lon)r, %(lat)r") % {"lon": raw_lon, "lat": raw_lat}
                )
            else:
                if not (math.isfinite(lon) and math.isfinite(lat)) or not (
                    -180 <= lon <= 180 and -90 <= lat <= 90
                ):
                    errors.append(
                        _("坐标超出经纬度范围:%(lon)s, %(lat)s") % {"lon": raw_lon, "lat": raw_lat}
                    )
                    lon = lat = None
                elif any(
                    abs(lon - p_lon) < 1e-9 and abs(lat - p_lat) < 1e-9
                    for p_lon, p_lat in placeholders
                ):
                    lon = lat = None  # the source's "unknown place"
        status_value = get(row, "status")
        if "status" in index:
            status = _lookup(mapping.statuses, status_value)
            if status is None:
                errors.append(
                    _("状态 %(value)r 未在映射的 [statuses] 中") % {"value": status_value}
                )
        else:
            status = RecordStatus.CLOSED if when.get("closed_at") else RecordStatus.OPEN
        satisfaction_value = get(row, "satisfaction")
        satisfaction = None
        if satisfaction_value:
            satisfaction = _satisfaction(mapping, satisfaction_value)
            if satisfaction is None:
                errors.append(
                    _("满意度 %(value)r 无法识别;请在映射的 [satisfaction] 中说明")
                    % {"value": satisfaction_value}
                )
        if errors:
            problems.append(
                ImportRowError(
                    "; ".join(errors), source=filename, location=_("第 %(n)d 行") % {"n": number}
                )
            )
            continue
        seen[external] = number
        category = get(row, "category")[:CATEGORY_MAX]
        code = _lookup(mapping.categories, category) if category else None
        good.append(
            _Row(
                number=number,
                lon=lon,
                lat=lat,
                values={
                    "external_number": external,
                    "received_at": when["received_at"],
                    "due_at": when.get("due_at"),
                    "closed_at": when.get("closed_at"),
                    "description": get(row, "description")[:DESCRIPTION_MAX],
                    "category_value": category,
                    "item": items.get(code) if code else None,
                    "status_value": status_value[:60],
                    "status": status,
                    "satisfaction_value": satisfaction_value[:40],
                    "satisfaction": satisfaction,
                    "address": get(row, "address")[:ADDRESS_MAX],
                },
            )
        )
    return good, problems


def _place(good: list[_Row], crs: str) -> int:
    """Resolve each row's point to its grid (vectorised); returns how many were placed."""
    from gridgov.core.coords import to_wgs84_array

    with_point = [r for r in good if r.lon is not None]
    for start in range(0, len(with_point), 10_000):
        chunk = with_point[start : start + 10_000]
        lons = [float(r.lon) for r in chunk if r.lon is not None]
        lats = [float(r.lat) for r in chunk if r.lat is not None]
        wlon, wlat = to_wgs84_array(lons, lats, crs)
        found = locate_points(wlon, wlat, crs="wgs84")
        for row, x, y, hit in zip(chunk, wlon, wlat, found, strict=True):
            row.values["lon"], row.values["lat"] = float(x), float(y)
            row.values["grid_id"] = hit.grid_id if hit is not None else None
    for row in good:
        row.values.setdefault("lon", None)
        row.values.setdefault("lat", None)
        row.values.setdefault("grid_id", None)
    return sum(1 for r in good if r.values["grid_id"] is not None)


def import_hotline(
    *,
    data: bytes,
    filename: str,
    source: str,
    by: User | None,
    mapping_text: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    intake_open: bool = False,
) -> ImportResult:
    """Import (or with `dry_run` check) an export of `source`. A given mapping is saved on the
    source for later imports. Raises MappingError for an unusable mapping, ImportRejectedError
    for an unreadable file or, with `strict`, any bad row."""
    require(by, "hotline.import_records")
    if intake_open:
        from gridgov.cases.models import Channel
        from gridgov.cases.permissions import may_report_through

        if by is None or not may_report_through(by, Channel.HOTLINE):
            raise DomainError(_("转入受理须由可办理热线转办的操作员进行"), field="intake_open")
    source = source.strip()
    if not source or len(source) > 40:
        raise DomainError(_("来源代号须为 1–40 个字符"), field="source")
    # The file is read first, so a damaged file is named as such whatever the mapping says.
    header, rows = read_table(data, filename=filename)
    mapping = resolve_mapping(source, mapping_text)
    items = _items_for(mapping)
    good, problems = _parse_rows(mapping, header, rows, items, filename)
    if strict and problems:
        raise ImportRejectedError(problems)
    result = ImportResult(source=source, problems=problems, dry_run=dry_run)
    result.rows = len(good) + len(problems)
    result.located = _place(good, mapping.crs)
    result.unclassified = sum(1 for r in good if r.values["item"] is None)
    existing_source = HotlineSource.objects.filter(name=source).first()
    existing: dict[str, int] = {}
    if existing_source is not None:
        numbers = [r.values["external_number"] for r in good]
        for start in range(0, len(numbers), BATCH):
            existing.update(
                HotlineRecord.objects.filter(
                    source=existing_source, external_number__in=numbers[start : start + BATCH]
                ).values_list("external_number", "pk")
            )
    result.updated = sum(1 for r in good if r.values["external_number"] in existing)
    result.created = len(good) - result.updated
    if dry_run:
        return result
    with transaction.atomic():
        src = _save_source(source, mapping, mapping_text, existing_source)
        new = [
            HotlineRecord(source=src, **r.values)
            for r in good
            if r.values["external_number"] not in existing
        ]
        HotlineRecord.objects.bulk_create(new, batch_size=BATCH)
        changed = []
        for r in good:
            pk = existing.get(r.values["external_number"])
            if pk is not None:
                changed.append(HotlineRecord(pk=pk, source=src, **r.values))
        HotlineRecord.objects.bulk_update(changed, UPDATED_FIELDS, batch_size=BATCH)
        run = HotlineImport.objects.create(
            source=src,
            filename=filename[:255],
            by=by,
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            bad=result.bad,
            problems=[[p.location, p.message] for p in problems[:STORED_PROBLEMS]],
        )
        result.run_id = run.pk
        from gridgov.hotline.services.suggest import suggest_for_records

        # Unclassified records get the classifier's suggestion for the operator (never applied).
        numbers = [r.values["external_number"] for r in good if r.values["item"] is None]
        unclassified: list[HotlineRecord] = []
        for start in range(0, len(numbers), BATCH):
            unclassified += HotlineRecord.objects.filter(
                source=src, external_number__in=numbers[start : start + BATCH]
            )
        suggest_for_records(unclassified)
        if intake_open and by is not None:  # by was checked before anything was written
            result.taken_in = _take_in_open(src, good, by, result.problems, filename)
    return result


def _take_in_open(
    src: HotlineSource,
    good: list[_Row],
    by: User,
    problems: list[ImportRowError],
    filename: str,
) -> int:
    """Open records without a case enter the normal intake; a refused one is reported by row."""
    from gridgov.cases.models import Channel
    from gridgov.cases.services.intake import report_case

    rows = {r.values["external_number"]: r.number for r in good}
    records = HotlineRecord.objects.filter(
        source=src, status=RecordStatus.OPEN, case__isnull=True, external_number__in=list(rows)
    ).select_related("item")
    taken = 0
    for record in records.order_by("received_at", "pk"):
        try:
            made = report_case(
                by=by,
                channel=Channel.HOTLINE,
                description=record.description or record.category_value,
                item=record.item,
                lon=record.lon,
                lat=record.lat,
                address=record.address,
                external_number=record.external_number,
                received_at=record.received_at,
            )
        except DomainError as exc:
            problems.append(
                ImportRowError(
                    _("未转入受理:%(e)s") % {"e": exc.message},
                    source=filename,
                    location=_("第 %(n)d 行") % {"n": rows[record.external_number]},
                )
            )
            continue
        HotlineRecord.objects.filter(pk=record.pk).update(case=made.case)
        taken += 1
    return taken


def _save_source(
    name: str, mapping: Mapping, mapping_text: str | None, existing: HotlineSource | None
) -> HotlineSource:
    if existing is None:
        return HotlineSource.objects.create(
            name=name, mapping=mapping.as_json(), mapping_text=mapping_text or ""
        )
    if mapping_text is not None:
        existing.mapping = mapping.as_json()
        existing.mapping_text = mapping_text
        existing.save(update_fields=["mapping", "mapping_text", "updated_at"])
    return existing


@dataclass(frozen=True)
class HotlineKpis:
    """STANDARDS, hotline records received in the period, cancelled ones left out."""

    received: int
    closed: int
    closed_on_time: int
    rated: int
    satisfied: int

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def closure_rate(self) -> float | None:
        return self._rate(self.closed, self.received)

    @property
    def on_time_rate(self) -> float | None:
        return self._rate(self.closed_on_time, self.received)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "closed": self.closed,
            "closed_on_time": self.closed_on_time,
            "closure_rate": self.closure_rate,
            "on_time_rate": self.on_time_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "rated": self.rated,
            "satisfied": self.satisfied,
        }


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a YYYY-MM month in the platform's time zone (STANDARDS: months are
    Asia/Shanghai)."""
    from django.utils import timezone

    try:
        first = dt.datetime.strptime(month.strip(), "%Y-%m")  # noqa: DTZ007 - zoned below
    except ValueError:
        raise DomainError(_("月份须为 YYYY-MM,而非 %(m)r") % {"m": month}, field="month") from None
    nxt = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    tz = timezone.get_default_timezone()
    return first.replace(tzinfo=tz), nxt.replace(tzinfo=tz)


def hotline_kpis(records: Any, *, start: dt.datetime, end: dt.datetime) -> HotlineKpis:
    """The figures of `records` (a HotlineRecord queryset) received in [start, end)."""
    closed = Q(status=RecordStatus.CLOSED)
    figures = (
        records.counted()
        .filter(received_at__gte=start, received_at__lt=end)
        .aggregate(
            received=Count("pk"),
            closed=Count("pk", filter=closed),
            on_time=Count(
                "pk",
                filter=closed
                & Q(closed_at__isnull=False, due_at__isnull=False, closed_at__lte=F("due_at")),
            ),
            rated=Count("pk", filter=Q(satisfaction__isnull=False)),
            satisfied=Count("pk", filter=Q(satisfaction__gte=4)),
        )
    )
    return HotlineKpis(
        received=figures["received"],
        closed=figures["closed"],
        closed_on_time=figures["on_time"],
        rated=figures["rated"],
        satisfied=figures["satisfied"],
    )
