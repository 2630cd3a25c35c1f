"""The ledgers of places and things: buildings (房屋/楼栋), organisations (生产经营单位, 社会组织)
and public facilities (部件). Natural keys: building number inside its community, unified social
credit code, facility code. A row may give a point instead of a grid code."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.db.models import Max
from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from gridgov.grids.models import Grid
from gridgov.people.models import Department
from gridgov.registry.ledgers.base import (
    NO_PROGRESS,
    LedgerKind,
    LedgerResult,
    Progress,
    Records,
    Row,
    labels,
    point_grid,
    save_all,
    scoped,
    visible_grids,
)
from gridgov.registry.models import (
    Building,
    BuildingUse,
    Facility,
    Organisation,
    OrganisationKind,
    RiskGrade,
)

if TYPE_CHECKING:
    from gridgov.registry.ledgers.base import AnyUser

LON = (73.0, 136.0)  # China's extent: a point outside is a swapped or mistyped coordinate
LAT = (3.0, 54.0)


def _place(row: Row, grids: dict[str, Grid]) -> tuple[Grid | None, float | None, float | None]:
    """The grid of a row: its code, else the unit grid its point falls in."""
    lon = row.number("经度", *LON)
    lat = row.number("纬度", *LAT)
    if str(row.rec.get("所属网格", "")).strip():
        return row.grid("所属网格", grids), lon, lat
    return point_grid(row, grids, lon, lat), lon, lat


def _point(obj: Any) -> list[Any]:
    return ["" if obj.lon is None else obj.lon, "" if obj.lat is None else obj.lat]


# --- buildings -------------------------------------------------------------------------------

BUILDING_COLUMNS = ["楼栋编号", "地址", "用途", "层数", "经度", "纬度", "所属网格"]
BUILDING_USES = labels(BuildingUse.choices)


def import_buildings(
    records: Records, *, by: AnyUser, dry_run: bool, progress: Progress = NO_PROGRESS
) -> LedgerResult:
    """A blank number gets the next free one of the community, in file order (numbers are
    appended in time order, DB6101/T 3185-2024); a given number updates that building."""
    result = LedgerResult(kind="buildings", rows=len(records), dry_run=dry_run)
    grids = visible_grids(by)
    existing = {(b.community_id, b.number): b for b in Building.objects.all()}
    last = {
        c: int(n or 0)
        for c, n in Building.objects.values_list("community_id").annotate(n=Max("number"))
    }
    seen: dict[tuple[int, str], int] = {}
    buildings: list[Building] = []
    for line, rec in progress.rows(records):
        row = Row(line, rec, result.errors)
        grid, lon, lat = _place(row, grids)
        number = row.text("楼栋编号", 5)
        if number and not (number.isdigit() and 1 <= int(number) <= 99999):
            row.bad("楼栋编号", _("应为 00001–99999"))
            number = ""
        values = {
            "address": row.text("地址", 200, required=True),
            "use": row.choice("用途", BUILDING_USES, BuildingUse.RESIDENTIAL),
            "floors": row.number("层数", 1, 200, integer=True) or 1,
            "lon": lon,
            "lat": lat,
        }
        if grid is None:
            continue
        community = grid.region_id
        if number:
            number = f"{int(number):05d}"
        else:
            last[community] = last.get(community, 0) + 1
            if last[community] > 99999:
                row.bad("楼栋编号", _("本社区楼栋编号已用完"))
            number = f"{last[community]:05d}"
        key = (community, number)
        row.once("楼栋编号", key, seen)
        building = existing.get(key) or Building(community_id=community, number=number)
        row.owned("楼栋编号", building, grids)
        building.grid = grid
        for attr, value in values.items():
            setattr(building, attr, value)
        buildings.append(building)
    fields = ["grid", "address", "use", "floors", "lon", "lat"]
    return save_all(result, buildings, fields, dry_run=dry_run, progress=progress)


def export_buildings(*, by: AnyUser, grid: Grid | None, clear: bool) -> list[list[Any]]:
    qs = scoped(Building.objects.select_related("grid"), by, grid)
    return [
        [b.number, b.address, b.get_use_display(), b.floors, *_point(b), b.grid.code]
        for b in qs.order_by("community__code", "number").iterator(chunk_size=2000)
    ]


# --- organisations ---------------------------------------------------------------------------

ORGANISATION_COLUMNS = [
    "统一社会信用代码",
    "名称",
    "类别",
    "单位类型",
    "法定代表人",
    "行业",
    "从业人数",
    "安全风险等级",
    "重点监管",
    "地址",
    "经度",
    "纬度",
    "所属网格",
]
# Party organisations have no credit code of their own here: they are kept on the party pages.
ORGANISATION_KINDS = labels(
    (k, label) for k, label in OrganisationKind.choices if k != OrganisationKind.PARTY
)
RISK_GRADES = labels(RiskGrade.choices) | {
    short: grade
    for grade, names in {
        RiskGrade.MAJOR: ("红", "重大", "重大风险"),
        RiskGrade.HIGH: ("橙", "较大", "较大风险"),
        RiskGrade.MODERATE: ("黄", "一般", "一般风险"),
        RiskGrade.LOW: ("蓝", "低", "低风险"),
    }.items()
    for short in names
}


def credit_code_problem(code: str) -> str | None:
    """Why a unified social credit code (GB 32100) is wrong, or None (its check character
    is verified)."""
    try:
        uscc.validate(code)
    except ValidationError as exc:
        return str(exc.message if hasattr(exc, "message") else exc)
    return None


def import_organisations(
    records: Records, *, by: AnyUser, dry_run: bool, progress: Progress = NO_PROGRESS
) -> LedgerResult:
    result = LedgerResult(kind="organisations", rows=len(records), dry_run=dry_run)
    grids = visible_grids(by)
    existing = {o.credit_code: o for o in Organisation.objects.filter(credit_code__isnull=False)}
    seen: dict[str, int] = {}
    organisations: list[Organisation] = []
    for line, rec in progress.rows(records):
        row = Row(line, rec, result.errors)
        code = row.text("统一社会信用代码", 18, required=True).upper()
        if code and credit_code_problem(code):
            row.bad("统一社会信用代码", _("统一社会信用代码无效(长度、字符或校验码不符)"))
        else:
            row.once("统一社会信用代码", code, seen)
        org = existing.get(code) or Organisation(credit_code=code)
        row.owned("统一社会信用代码", org, grids)
        if org.pk is not None and org.kind == OrganisationKind.PARTY:
            row.bad("统一社会信用代码", _("该代码属于党组织,不能在此台账中修改"))
        grid, org.lon, org.lat = _place(row, grids)
        org.grid = grid  # type: ignore[assignment]
        org.name = row.text("名称", 120, required=True)
        org.kind = row.choice("类别", ORGANISATION_KINDS, OrganisationKind.BUSINESS)
        org.org_type = row.text("单位类型", 40)
        org.legal_representative = row.text("法定代表人", 50)
        org.industry = row.text("行业", 60)
        org.employees = row.number("从业人数", 0, 10_000_000, integer=True)
        org.risk_grade = row.choice("安全风险等级", RISK_GRADES)
        org.key_supervision = row.flag("重点监管")
        org.address = row.text("地址", 200)
        organisations.append(org)
    fields = [
        "grid",
        "name",
        "kind",
        "org_type",
        "legal_representative",
        "industry",
        "employees",
        "risk_grade",
        "key_supervision",
        "address",
        "lon",
        "lat",
    ]
    return save_all(result, organisations, fields, dry_run=dry_run, progress=progress)


def export_organisations(*, by: AnyUser, grid: Grid | None, clear: bool) -> list[list[Any]]:
    qs = scoped(
        Organisation.objects.filter(closed_on__isnull=True)
        .exclude(kind=OrganisationKind.PARTY)
        .select_related("grid"),
        by,
        grid,
    )
    return [
        [
            o.credit_code or "",
            o.name,
            o.get_kind_display(),
            o.org_type,
            o.legal_representative,
            o.industry,
            "" if o.employees is None else o.employees,
            o.get_risk_grade_display() if o.risk_grade else "",
            "是" if o.key_supervision else "否",
            o.address,
            *_point(o),
            o.grid.code,
        ]
        for o in qs.order_by("grid__code", "name").iterator(chunk_size=2000)
    ]


# --- facilities ------------------------------------------------------------------------------

FACILITY_COLUMNS = [
    "部件标识码",
    "部件类别代码",
    "名称",
    "经度",
    "纬度",
    "所属网格",
    "主管部门",
    "权属单位",
    "养护单位",
]
CLASS_CODE = re.compile(r"^\d{6}$")  # CJ/T 214: major (2) + minor (2) + kind (2) digits


def departments_lookup(by: AnyUser) -> dict[str, Department | None]:
    """Code or name → department; a name two departments share maps to None (ambiguous)."""
    qs = Department.objects.filter(is_active=True)
    if by is not None:
        qs = qs.visible_to(by)
    found: dict[str, Department | None] = {}
    for department in qs:
        found[department.code] = department
        found[department.name] = None if department.name in found else department
    return found


def department_cell(row: Row, column: str, departments: dict[str, Department | None]) -> Any:
    value = row.text(column, 100)
    if not value:
        return None
    if departments.get(value) is None:
        row.bad(
            column,
            _("找不到该部门") if value not in departments else _("同名部门不止一个,请填写部门编码"),
        )
    return departments.get(value)


def import_facilities(
    records: Records, *, by: AnyUser, dry_run: bool, progress: Progress = NO_PROGRESS
) -> LedgerResult:
    result = LedgerResult(kind="facilities", rows=len(records), dry_run=dry_run)
    grids = visible_grids(by)
    departments = departments_lookup(by)
    existing = {f.code: f for f in Facility.objects.all()}
    seen: dict[str, int] = {}
    facilities: list[Facility] = []
    for line, rec in progress.rows(records):
        row = Row(line, rec, result.errors)
        code = row.text("部件标识码", 32, required=True)
        row.once("部件标识码", code, seen)
        facility = existing.get(code) or Facility(code=code)
        row.owned("部件标识码", facility, grids)
        grid, lon, lat = _place(row, grids)
        if lon is None or lat is None:
            row.bad("经度", _("部件须有经纬度"))
        facility.grid, facility.lon, facility.lat = grid, lon, lat  # type: ignore[assignment]
        facility.class_code = row.text("部件类别代码", 6, required=True)
        if facility.class_code and not CLASS_CODE.match(facility.class_code):
            row.bad("部件类别代码", _("应为 6 位数字(CJ/T 214)"))
        facility.name = row.text("名称", 60, required=True)
        facility.owner = department_cell(row, "主管部门", departments)
        facility.owner_name = row.text("权属单位", 100)
        facility.maintainer = department_cell(row, "养护单位", departments)
        facilities.append(facility)
    fields = ["grid", "lon", "lat", "class_code", "name", "owner", "owner_name", "maintainer"]
    return save_all(result, facilities, fields, dry_run=dry_run, progress=progress)


def export_facilities(*, by: AnyUser, grid: Grid | None, clear: bool) -> list[list[Any]]:
    qs = scoped(
        Facility.objects.filter(closed_on__isnull=True).select_related(
            "grid", "owner", "maintainer"
        ),
        by,
        grid,
    )
    return [
        [
            f.code,
            f.class_code,
            f.name,
            *_point(f),
            f.grid.code,
            f.owner.code if f.owner else "",
            f.owner_name,
            f.maintainer.code if f.maintainer else "",
        ]
        for f in qs.order_by("grid__code", "code").iterator(chunk_size=2000)
    ]


BUILDINGS = LedgerKind(
    "buildings", BUILDING_COLUMNS, ("地址", "所属网格"), import_buildings, export_buildings
)
ORGANISATIONS = LedgerKind(
    "organisations",
    ORGANISATION_COLUMNS,
    ("统一社会信用代码", "名称", "所属网格"),
    import_organisations,
    export_organisations,
)
FACILITIES = LedgerKind(
    "facilities",
    FACILITY_COLUMNS,
    ("部件标识码", "部件类别代码", "名称", "经度", "纬度"),
    import_facilities,
    export_facilities,
)
