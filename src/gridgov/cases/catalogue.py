"""The catalogue of matters (事项清单): routing a case to its default department, loading the
starting catalogue, and the Excel ledger the town office keeps it in (import is all-or-nothing
with row-numbered errors; export writes the same layout back)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.cases.models import MatterClass, MatterItem, MatterRoute, PlatformLevel
from gridgov.core.errors import ImportRejectedError, ImportRowError
from gridgov.core.hooks import find_facility
from gridgov.core.inputguard import reject_nul_rows
from gridgov.grids.models import Region, path_with_ancestors
from gridgov.people.models import Department, DepartmentKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet

    from gridgov.cases.models import Case

ROUTE_LEVELS = [
    PlatformLevel.VILLAGE,
    PlatformLevel.TOWN,
    PlatformLevel.COUNTY,
    PlatformLevel.CITY,
]


def ancestor_regions(region: Region) -> list[Region]:
    """The region and the regions above it, nearest first (one query, from the path)."""
    codes = [part.ljust(12, "0") for part in region.path.split("/") if part]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in reversed(codes) if c in found]


def route_department(*, item: MatterItem | None, level: str, region: Region) -> Department | None:
    """The default handling department for a matter at a platform level serving `region`.

    A route naming a department wins when that department is active and serves the region or
    a region above it; otherwise the active department of the route's kind at that level, the
    nearest one up the region chain (FixMyStreet: routing is data, category × body)."""
    if item is None:
        return None
    routes = list(item.routes.filter(level=level).select_related("department__region"))
    if not routes:
        return None
    chain = ancestor_regions(region)
    chain_ids = [r.pk for r in chain]
    for route in routes:
        dept = route.department
        if dept is not None and dept.is_active and dept.region_id in chain_ids:
            return dept
    kinds = [r.department_kind for r in routes if r.department_kind]
    if not kinds:
        return None
    candidates = list(
        Department.objects.active().filter(kind__in=kinds, level=level, region_id__in=chain_ids)
    )
    rank = {pk: i for i, pk in enumerate(chain_ids)}
    kind_rank = {k: i for i, k in enumerate(kinds)}
    candidates.sort(key=lambda d: (kind_rank[d.kind], rank[d.region_id], d.code))
    return candidates[0] if candidates else None


def facility_owner(case: Case) -> Department | None:
    """The owner of the facility the case is about, when the case's level may dispatch to it:
    active, serving the case's area, and inside the level's own area (a county bureau owning
    a facility is reached from the town by escalation, as any county department)."""
    ref = find_facility(case.facility_code) if case.facility_code else None
    if ref is None or ref.owner_id is None:
        return None
    owner = Department.objects.select_related("region").filter(pk=ref.owner_id).first()
    if owner is None or not owner.is_active:
        return None
    region_path = owner.region.path
    if case.grid.region.path.startswith(region_path) and region_path.startswith(
        case.level_region.path
    ):
        return owner
    return None


def default_department(case: Case) -> Department | None:
    """Who a case goes to when the dispatcher names no one. STANDARDS.md: facilities (部件) go
    first to their owner, then to the territory (先属主后属地); everything else follows the
    catalogue's route for the level."""
    return facility_owner(case) or route_department(
        item=case.item, level=case.level, region=case.level_region
    )


def catalogue_items() -> list[MatterItem]:
    """Active items with their class and routes, in catalogue order (for pickers and the API)."""
    return list(
        MatterItem.objects.active()
        .select_related("matter_class")
        .prefetch_related("routes__department")
    )


@transaction.atomic
def ensure_default_catalogue() -> int:
    """Create the starting catalogue (catalogue_seed.py) where its codes are missing; returns
    the items created. Migration 0002 loads it on a new database; this restores it after a
    flush (transactional tests) and before the demo seeds cases. Existing rows, as the
    deployment edited them, are left alone."""
    from gridgov.cases.catalogue_seed import CLASSES, ITEMS

    classes = {}
    for order, (code, name) in enumerate(CLASSES, start=1):
        classes[code], _created = MatterClass.objects.get_or_create(
            code=code, defaults={"name": name, "order": order}
        )
    created = 0
    for order, (cls, code, name, days, urgent, emergency, on_spot, routes) in enumerate(ITEMS):
        item, was_created = MatterItem.objects.get_or_create(
            code=code,
            defaults={
                "matter_class": classes[cls],
                "name": name,
                "limit_days": days,
                "urgent_hours": urgent,
                "emergency_hours": emergency,
                "on_spot_allowed": on_spot,
                "order": order,
            },
        )
        if was_created:
            created += 1
            MatterRoute.objects.bulk_create(
                MatterRoute(item=item, level=level, department_kind=kind)
                for level, kind in routes.items()
            )
    return created


# ---------------------------------------------------------------------------------------------
# Excel ledger

HEADERS = [
    "大类编码",
    "大类名称",
    "事项编码",
    "事项名称",
    "说明",
    "办理时限(工作日)",
    "紧急时限(工作小时)",
    "突发时限(自然小时)",
    "可现场处理",
    "村级处置部门",
    "镇级处置部门",
    "县级处置部门",
    "市级处置部门",
    "启用",
]
LEVEL_COLUMNS = dict(zip(ROUTE_LEVELS, HEADERS[9:13], strict=True))
YES = {"是", "y", "yes", "true", "1", "√"}
NO = {"否", "n", "no", "false", "0", ""}


def export_catalogue_xlsx() -> bytes:
    """The catalogue as one sheet in the import layout (routes as kind labels or dept codes)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title="事项清单")
    ws.append(HEADERS)
    items = (
        MatterItem.objects.select_related("matter_class")
        .prefetch_related("routes__department")
        .order_by("matter_class__order", "matter_class__code", "order", "code")
    )
    for item in items:
        by_level: dict[str, list[str]] = {}
        for route in item.routes.all():
            label = (
                route.department.code if route.department else route.get_department_kind_display()
            )
            by_level.setdefault(route.level, []).append(str(label))
        ws.append(
            [
                item.matter_class.code,
                item.matter_class.name,
                item.code,
                item.name,
                item.description,
                item.limit_days,
                item.urgent_hours,
                item.emergency_hours,
                "是" if item.on_spot_allowed else "否",
                *("、".join(by_level.get(level, [])) for level in ROUTE_LEVELS),
                "是" if item.is_active and item.matter_class.is_active else "否",
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@dataclass
class CatalogueImport:
    classes_created: int = 0
    items_created: int = 0
    items_updated: int = 0
    problems: list[ImportRowError] = field(default_factory=list)


@dataclass
class _Row:
    number: int
    class_code: str
    class_name: str
    code: str
    name: str
    description: str
    days: int
    urgent: int
    emergency: int
    on_spot: bool
    active: bool
    routes: list[tuple[str, str, Department | None]]


def read_sheet_rows(data: bytes, *, filename: str) -> list[list[Any]]:
    """All rows of the first sheet of an .xlsx/.xls/.ods file, or a clear error."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        rows = [list(row) for row in sheet.to_python(skip_empty_area=False)]
    except (CalamineError, ValueError, OSError) as exc:
        raise ImportRejectedError(
            [ImportRowError(_("无法读取 Excel 文件:%(error)s") % {"error": exc}, source=filename)]
        ) from None
    reject_nul_rows(rows, source=filename, header=rows[0] if rows else ())
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _positive_int(value: Any, column: str, problems: list[str]) -> int:
    text = _text(value)
    try:
        number = int(float(text))
    except ValueError:
        problems.append(
            _("“%(column)s”须为正整数,而非 %(value)r") % {"column": column, "value": text}
        )
        return 1
    if number < 1 or number > 1000 or float(text) != number:
        problems.append(
            _("“%(column)s”须为 1–1000 的整数,而非 %(value)s") % {"column": column, "value": text}
        )
        return 1
    return number


def _yes_no(value: Any, column: str, problems: list[str], default: bool) -> bool:
    text = _text(value).lower()
    if text == "":
        return default
    if text in YES:
        return True
    if text in NO:
        return False
    problems.append(
        _("“%(column)s”须为“是”或“否”,而非 %(value)r") % {"column": column, "value": text}
    )
    return default


def _kind_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in DepartmentKind.choices:
        table[value] = value
        table[str(label)] = value
    return table


def _parse_routes(
    value: Any, level: str, column: str, problems: list[str], kinds: dict[str, str]
) -> list[tuple[str, str, Department | None]]:
    routes: list[tuple[str, str, Department | None]] = []
    for part in _text(value).replace(",", "、").replace(",", "、").split("、"):
        token = part.strip()
        if not token:
            continue
        if token in kinds:
            routes.append((level, kinds[token], None))
            continue
        dept = Department.objects.filter(code=token).first()
        if dept is None:
            problems.append(
                _("“%(column)s”中的 %(token)r 既不是部门类别也不是部门编码")
                % {"column": column, "token": token}
            )
        elif dept.level != level:
            problems.append(
                _("“%(column)s”中的部门 %(token)s 不是该层级的部门")
                % {"column": column, "token": token}
            )
        else:
            routes.append((level, "", dept))
    return routes


def _parse(rows: list[list[Any]], filename: str) -> tuple[list[_Row], list[ImportRowError]]:
    errors: list[ImportRowError] = []
    if not rows:
        return [], [ImportRowError(_("文件为空"), source=filename)]
    header = [_text(h) for h in rows[0]]
    index = {name: i for i, name in enumerate(header)}
    missing = [h for h in HEADERS[:9] if h not in index]
    if missing:
        return [], [
            ImportRowError(
                _("缺少列:%(columns)s") % {"columns": _("、").join(missing)},
                source=filename,
                location=_("第1行"),
            )
        ]
    kinds = _kind_lookup()
    parsed: list[_Row] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        if not any(_text(v) for v in raw):
            continue
        cell = dict.fromkeys(HEADERS, None)
        for name, i in index.items():
            if name in cell and i < len(raw):
                cell[name] = raw[i]
        problems: list[str] = []
        class_code, code = _text(cell["大类编码"]), _text(cell["事项编码"])
        name, class_name = _text(cell["事项名称"]), _text(cell["大类名称"])
        for column, value in (("大类编码", class_code), ("事项编码", code), ("事项名称", name)):
            if not value:
                problems.append(_("“%(column)s”不能为空") % {"column": column})
        if len(code) > 16 or len(class_code) > 16:
            problems.append(_("编码不能超过 16 个字符"))
        if len(name) > 80:
            problems.append(_("事项名称不能超过 80 个字符"))
        if code and code in seen:
            problems.append(
                _("事项编码 %(code)s 与第%(row)s行重复") % {"code": code, "row": seen[code]}
            )
        seen.setdefault(code, number)
        row = _Row(
            number=number,
            class_code=class_code,
            class_name=class_name,
            code=code,
            name=name,
            description=_text(cell["说明"]),
            days=_positive_int(cell["办理时限(工作日)"], "办理时限(工作日)", problems),
            urgent=_positive_int(cell["紧急时限(工作小时)"], "紧急时限(工作小时)", problems),
            emergency=_positive_int(cell["突发时限(自然小时)"], "突发时限(自然小时)", problems),
            on_spot=_yes_no(cell["可现场处理"], "可现场处理", problems, False),
            active=_yes_no(cell["启用"], "启用", problems, True),
            routes=[],
        )
        for level, column in LEVEL_COLUMNS.items():
            if column in index:
                row.routes += _parse_routes(cell[column], level, column, problems, kinds)
        for problem in problems:
            errors.append(
                ImportRowError(problem, source=filename, location=_("第%(n)s行") % {"n": number})
            )
        parsed.append(row)
    return parsed, errors


def import_catalogue(*, data: bytes, filename: str, by: User | None) -> CatalogueImport:
    """Create or update classes and items from the Excel ledger, replacing each listed item's
    routes for the level columns present. Any bad row rejects the whole file (nothing written)."""
    rows = read_sheet_rows(data, filename=filename)
    parsed, errors = _parse(rows, filename)
    class_names: dict[str, tuple[str, int]] = {}
    for row in parsed:
        known = class_names.get(row.class_code)
        if known and row.class_name and known[0] and known[0] != row.class_name:
            errors.append(
                ImportRowError(
                    _("大类 %(code)s 的名称与第%(row)s行不一致")
                    % {"code": row.class_code, "row": known[1]},
                    source=filename,
                    location=_("第%(n)s行") % {"n": row.number},
                )
            )
        class_names.setdefault(row.class_code, (row.class_name, row.number))
    existing_classes = set(MatterClass.objects.values_list("code", flat=True))
    for row in parsed:
        if row.class_code not in existing_classes and not class_names[row.class_code][0]:
            errors.append(
                ImportRowError(
                    _("新大类 %(code)s 须填写大类名称") % {"code": row.class_code},
                    source=filename,
                    location=_("第%(n)s行") % {"n": row.number},
                )
            )
    if errors:
        raise ImportRejectedError(errors)
    if not parsed:
        raise ImportRejectedError([ImportRowError(_("文件中没有事项"), source=filename)])
    return _write(parsed, class_names, present_levels=_present_levels(rows))


def _present_levels(rows: list[list[Any]]) -> list[str]:
    header = {_text(h) for h in rows[0]}
    return [level for level, column in LEVEL_COLUMNS.items() if column in header]


@transaction.atomic
def _write(
    parsed: Iterable[_Row], class_names: dict[str, tuple[str, int]], present_levels: list[str]
) -> CatalogueImport:
    report = CatalogueImport()
    classes = {c.code: c for c in MatterClass.objects.all()}
    next_order = max((c.order for c in classes.values()), default=0) + 1
    for code, (name, _row) in class_names.items():
        cls = classes.get(code)
        if cls is None:
            classes[code] = MatterClass.objects.create(code=code, name=name, order=next_order)
            next_order += 1
            report.classes_created += 1
        elif name and cls.name != name:
            cls.name = name
            cls.save(update_fields=["name"])
    for order, row in enumerate(parsed):
        item = MatterItem.objects.filter(code=row.code).first()
        values = {
            "matter_class": classes[row.class_code],
            "name": row.name,
            "description": row.description,
            "limit_days": row.days,
            "urgent_hours": row.urgent,
            "emergency_hours": row.emergency,
            "on_spot_allowed": row.on_spot,
            "is_active": row.active,
        }
        if item is None:
            item = MatterItem.objects.create(code=row.code, order=order, **values)
            report.items_created += 1
        else:
            for key, value in values.items():
                setattr(item, key, value)
            item.save()
            report.items_updated += 1
        item.routes.filter(level__in=present_levels).delete()
        MatterRoute.objects.bulk_create(
            MatterRoute(item=item, level=level, department_kind=kind, department=dept)
            for level, kind, dept in row.routes
        )
    return report


def catalogue_file_name() -> str:
    return "事项清单.xlsx"


def read_upload(upload: IO[bytes], *, max_bytes: int = 5 * 1024 * 1024) -> bytes:
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImportRejectedError(
            [ImportRowError(_("文件超过 %(mb)s MB") % {"mb": max_bytes // (1024 * 1024)})]
        )
    return data


def dispatch_targets(case: Case) -> QuerySet[Department]:
    """Active departments the case's level may dispatch it to: serving the case's area, at or
    below the level's own region (one above needs an escalation, seed 002)."""
    serving = path_with_ancestors(case.grid.region.path)
    level_path = case.level_region.path
    return Department.objects.filter(
        is_active=True, region__path__in=[p for p in serving if p.startswith(level_path)]
    )
