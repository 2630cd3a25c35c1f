"""The deterministic demo: seed 004's town, or seed 001's district for benchmarks.

`build_demo("town")` builds 齐村镇 (枣庄市市中区, 370402103): 25 administrative villages as work
stations, 52 base grids from the natural villages, 126 unit grids from the villager groups,
21,105 households (seed 004), with the one-leader-three-members team of every station, a
worker in every unit grid (一格一员, seed 001), officers embedded from the town's departments,
and town leaders answerable for stations (五级联动, seed 002). `build_demo("district")` builds
1 / 25 / 593 / 4,418 grids (seed 001).

Codes (documented in the README):
- town grid = the town's 12-digit statistical code (370402103000);
- station = its village's 12-digit code, 370402103201 … 370402103225, numbered in reading order;
- base grid = the village's 12 digits + a 2-digit serial (37040210320101), 14 digits;
- unit grid = the village's 12 digits + a 3-digit serial (370402103201001), 15 digits;
serials run west → east, north → south inside the village (layout.reading_order), so a code's
length tells its level. At district scale: district 370402000000, streets and towns
3704020xx000 / 3704021xx000, communities and villages their 12-digit codes, units 15 digits.

Log-ins use the test cast's names and password (core/testing/town.py), mapped onto the demo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import importlib.util
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Count, ProtectedError, QuerySet, RestrictedError, Sum
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role
from gridgov.core.testing.town import PASSWORD, build_levels, build_region_chain
from gridgov.demo import names
from gridgov.demo.bulk import (
    GrantPlan,
    GridPlan,
    LiaisonPlan,
    PersonPlan,
    Places,
    PostPlan,
    write_admin,
    write_grids,
    write_people,
)
from gridgov.demo.layout import (
    LocalFrame,
    allocate,
    blob,
    conform,
    distribute,
    partition,
    reading_order,
    rng_for,
)
from gridgov.grids.models import Grid, GridLevel, Region
from gridgov.grids.services import create_region
from gridgov.people.models import (
    ONE_LEADER_THREE_MEMBERS,
    Department,
    DepartmentKind,
    DepartmentLevel,
    Jurisdiction,
    Liaison,
    LiaisonKind,
    Post,
    PostDuty,
    PostKind,
    Staff,
)
from gridgov.people.services import create_department

SCALES = ("town", "district")
# seed 004: the town has run grid management "since July 2014".
STARTED_ON = dt.date(2014, 7, 1)

TOWN_ROOT = "370402103000"
# Where the demo sits (the metric frame's origin): 齐村镇 and 市中区 of 枣庄.
TOWN_FRAME = LocalFrame(117.535, 34.915)
DISTRICT_FRAME = LocalFrame(117.56, 34.86)
DISTRICT_ROOT = "370402000000"
ROOTS = {"town": TOWN_ROOT, "district": DISTRICT_ROOT}

TOWN_STATIONS, TOWN_BASE_GRIDS, TOWN_UNIT_GRIDS = 25, 52, 126
TOWN_HOUSEHOLDS = 21_105
DISTRICT_STREETS, DISTRICT_COMMUNITIES, DISTRICT_UNITS = 25, 593, 4_418
DISTRICT_HOUSEHOLDS = 530_160

# The cast of core/testing/town.py, in the order it is printed.
CAST = ("admin", "town_office", "village_a", "worker_a1", "worker_b1", "env_handler", "leader")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    role_label: str
    scope: str


@dataclass(frozen=True)
class DemoSummary:
    """What `build_demo` built (or found): benchmarks and browser tests read it."""

    scale: str
    root_code: str
    root_name: str
    levels: list[tuple[str, int]]
    households: int
    population: int
    departments: int
    staff: int
    posts: int
    liaisons: int
    logins: list[DemoLogin]
    password: str
    bbox: tuple[float, float, float, float]
    built: bool
    seconds: float

    @property
    def level_counts(self) -> list[int]:
        return [count for _name, count in self.levels]


class DemoConflictError(DomainError):
    """The database holds other grid data; the demo will not mix with it."""


def build_demo(scale: str = "town", *, reset: bool = False) -> DemoSummary:
    """Build the demo into the configured database, or leave an existing one as it is.

    `reset=True` first deletes what a demo consists of (see `clear_demo_data`), inside the same
    transaction as the build, so a failed build leaves the old data in place."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, not {scale!r}")
    started = time.monotonic()
    with transaction.atomic():
        if reset:
            clear_demo_data()
        if Grid.objects.filter(code=ROOTS[scale]).exists():
            return summarise_demo(scale, built=False, seconds=time.monotonic() - started)
        if Grid.objects.exists() or GridLevel.objects.exists():
            raise DemoConflictError(
                _(
                    "数据库中已有其他网格数据(或另一种规模的演示),演示不与之混合;"
                    "如要删除现有网格、人员和账号后重建演示,请加 --reset"
                )
            )
        if get_user_model().objects.filter(username__in=CAST).exists():
            raise DemoConflictError(_("数据库中已有演示用的登录名(如 admin);请加 --reset 重建"))
        if scale == "town":
            _TownBuilder().build()
        else:
            _DistrictBuilder().build()
        summary = summarise_demo(scale, built=True, seconds=time.monotonic() - started)
        seed_cases_hook(summary)
    return summary


def clear_demo_data() -> None:
    """Delete every region, grid level and grid, every department and person with their posts,
    liaisons and grants, every user and session, and everything that hangs on them (cases on a
    grid, …). Configuration that belongs to no place or person stays: the matter catalogue, the
    work calendar, the role groups (rows that data migrations put there)."""
    for model in (Jurisdiction, Liaison, Post, PostDuty, Staff, Department, Grid, GridLevel):
        _delete_with_dependents(model._base_manager.all())
    _delete_with_dependents(Region._base_manager.all())
    _delete_with_dependents(get_user_model()._base_manager.all())
    Session.objects.all().delete()


def _delete_with_dependents(queryset: QuerySet[Any]) -> None:
    """Delete the rows, first deleting whatever protects them (a case protects its grid)."""
    for _attempt in range(100):
        try:
            queryset.delete()
            return
        except (ProtectedError, RestrictedError) as exc:
            blockers = (
                exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            )
            by_model: dict[type[Any], list[Any]] = defaultdict(list)
            for obj in blockers:
                by_model[type(obj)].append(obj.pk)
            for model, pks in by_model.items():
                _delete_with_dependents(model._base_manager.filter(pk__in=pks))
    raise RuntimeError(f"could not clear {queryset.model.__name__}: protection cycle")


def seed_cases_hook(summary: DemoSummary) -> None:
    """Hook for the cases app: when `gridgov.cases.demo` exists, its
    `seed_demo_cases(summary=..., by=...)` adds demo cases to the freshly built demo."""
    if importlib.util.find_spec("gridgov.cases.demo") is None:
        return
    module = importlib.import_module("gridgov.cases.demo")
    seed = getattr(module, "seed_demo_cases", None)
    if seed is not None:
        seed(summary=summary, by=get_user_model().objects.get(username="admin"))


def summarise_demo(scale: str, *, built: bool, seconds: float = 0.0) -> DemoSummary:
    root = Grid.objects.get(code=ROOTS[scale])
    counts = dict(
        Grid.objects.values_list("level__depth")
        .annotate(n=Count("pk"))
        .values_list("level__depth", "n")
    )
    levels = [(lv.name, counts.get(lv.depth, 0)) for lv in GridLevel.objects.order_by("depth")]
    population = Grid.objects.filter(pk=root.pk).aggregate(p=Sum("population"))["p"] or 0
    return DemoSummary(
        scale=scale,
        root_code=root.code,
        root_name=root.name,
        levels=levels,
        households=root.households,
        population=population,
        departments=Department.objects.count(),
        staff=Staff.objects.count(),
        posts=Post.objects.current().count(),
        liaisons=Liaison.objects.current().count(),
        logins=demo_logins(),
        password=PASSWORD,
        bbox=(root.min_lon or 0.0, root.min_lat or 0.0, root.max_lon or 0.0, root.max_lat or 0.0),
        built=built,
        seconds=seconds,
    )


def demo_logins() -> list[DemoLogin]:
    """Every active grant, the cast first, then by role and user name."""
    rank = {name: i for i, name in enumerate(CAST)}
    roles = {role: i for i, role in enumerate(Role.values)}
    rows = Jurisdiction.objects.filter(active=True).select_related(
        "user", "grid", "region", "department"
    )
    logins = []
    for row in rows:
        if row.grid is not None:
            scope = f"{row.grid.name} ({row.grid.code})"
        elif row.region is not None:
            scope = f"{row.region.name} ({row.region.code})"
        elif row.department is not None:
            scope = row.department.name
        else:
            scope = "全部"
        logins.append(DemoLogin(row.user.username, row.role, str(row.get_role_display()), scope))
    return sorted(
        logins, key=lambda x: (rank.get(x.username, len(CAST)), roles[x.role], x.username)
    )


def demo_fingerprint() -> str:
    """SHA-256 of a canonical dump of everything the demo writes except build-time timestamps
    and primary keys: two builds of the same scale must give the same fingerprint."""
    user_model = get_user_model()
    dump = {
        "regions": list(
            Region.objects.order_by("code").values_list("code", "name", "level", "path")
        ),
        "levels": list(
            GridLevel.objects.order_by("depth").values_list("depth", "name", "code_digits")
        ),
        "grids": [
            [
                g.code,
                g.name,
                g.level.depth,
                g.region.code,
                g.parent.code if g.parent else None,
                g.path,
                json.dumps(g.boundary, sort_keys=True),
                g.area_m2,
                g.households,
                g.population,
                g.tier,
                g.label_lon,
                g.label_lat,
            ]
            for g in Grid.objects.select_related("level", "region", "parent").order_by("code")
        ],
        "departments": list(
            Department.objects.order_by("code").values_list(
                "code", "name", "kind", "level", "region__code", "phone"
            )
        ),
        "users": list(
            user_model.objects.order_by("username").values_list(
                "username", "password", "is_staff", "is_superuser"
            )
        ),
        "staff": sorted(
            Staff.objects.values_list(
                "name", "gender", "phone", "title", "department__code", "user__username"
            ),
            key=repr,
        ),
        "posts": sorted(
            Post.objects.values_list(
                "staff__name",
                "kind",
                "title",
                "grid__code",
                "department__code",
                "is_public",
                "started_on",
                "ended_on",
            ),
            key=repr,
        ),
        "liaisons": sorted(
            Liaison.objects.values_list(
                "staff__name", "kind", "note", "grid__code", "region__code", "started_on"
            ),
            key=repr,
        ),
        "grants": sorted(
            Jurisdiction.objects.values_list(
                "user__username", "role", "grid__code", "region__code", "department__code", "active"
            ),
            key=repr,
        ),
        "duties": sorted(PostDuty.objects.values_list("kind", "level__depth", "duties"), key=repr),
    }
    text = json.dumps(dump, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# --- shared pieces ------------------------------------------------------------------------------


def _tier(rng: np.random.Generator) -> int:
    """seed 001: grids are tiered by hotline volume; about one in seven is a focus grid."""
    r = rng.random()
    return 1 if r < 0.15 else 3 if r > 0.75 else 2


def _numbered(cells: list[BaseGeometry]) -> list[BaseGeometry]:
    return [cells[i] for i in reading_order(cells)]


# The standard duties behind the public board (定责): seed 003's three grid levels, seed 004's
# information roles, seed 002's embedded officers. Rows, so each deployment edits its own.
DUTIES: list[tuple[str, int | None, str]] = [
    (PostKind.GRID_LEADER, 0, "对全镇网格化服务管理负第一责任:统筹部署、协调解决网格内重大事项,督导考核各级网格。"),
    (PostKind.GRID_LEADER, 1, "落实上级党委政府的工作部署并分解到网格员;解决下级网格上报的问题,解决不了的及时上报镇党委并跟踪落实;定期巡视各级网格,监督考评网格员。"),
    (PostKind.GRID_LEADER, 2, "落实工作站部署的各项任务;召集单元网格员和辖内党员开展活动;协调解决单元网格上报的问题。"),
    (PostKind.WORKER_FULL, 1, "将网格服务团队收集的信息和群众诉求及时录入信息系统,跟踪办理进度并反馈群众。"),
    (PostKind.WORKER_FULL, None, "负责信息采集、巡查走访、矛盾排查、民生服务和政策宣传;每月至少联系一次重点户,每季度至少上门联系一次普通户;记好民情日记,发现问题及时上报。"),
    (PostKind.WORKER_PART, None, "协助采集网格内人、地、物、事、组织信息;走访联系村民,发现问题及时报告。"),
    (PostKind.ASSISTANT, None, "协助网格信息管理员采集、核实、更新网格信息,收集反映群众诉求。"),
    (PostKind.VOLUNTEER, None, "参与网格巡查、政策宣传和志愿服务,发现问题及时报告。"),
    (PostKind.INFORMANT, None, "发现并报告网格内的安全隐患、环境污染和矛盾纠纷线索。"),
    (PostKind.EMBEDDED_OFFICER, None, "每周至少巡查一次责任网格,定期与网格员沟通;第一时间收集上报网格内涉及本部门职责的问题,能解决的立即解决,解决不了的及时上报并跟踪反馈。"),
]  # fmt: skip


def _write_duties(levels: list[GridLevel]) -> None:
    PostDuty.objects.bulk_create(
        [
            PostDuty(kind=kind, level=levels[depth] if depth is not None else None, duties=text)
            for kind, depth, text in DUTIES
            if depth is None or depth < len(levels)
        ]
    )


# (code suffix, name, kind, username of its log-in handler, embedded title or "")
TOWN_DEPARTMENTS = [
    ("GRID", "齐村镇网格化社会管理服务指挥中心", DepartmentKind.OFFICE, "", ""),
    ("POLICE", "齐村派出所", DepartmentKind.POLICE, "police_handler", "驻村首席民警"),
    ("ENV", "齐村镇环保所", DepartmentKind.ENVIRONMENT, "env_handler", "下沉环保员"),
    ("SAFETY", "齐村镇安监办", DepartmentKind.SAFETY, "safety_handler", "下沉安监员"),
    ("URBAN", "齐村镇城管中队", DepartmentKind.URBAN, "urban_handler", "下沉城管队员"),
    ("MARKET", "齐村市场监管所", DepartmentKind.MARKET, "market_handler", "下沉市场监管员"),
    ("CIVIL", "齐村镇民政办", DepartmentKind.CIVIL_AFFAIRS, "civil_handler", ""),
    ("HOUSING", "齐村镇住建办", DepartmentKind.HOUSING, "housing_handler", ""),
    ("JUSTICE", "齐村司法所", DepartmentKind.JUSTICE, "justice_handler", ""),
    ("PETITION", "齐村镇信访办", DepartmentKind.PETITION, "petition_handler", ""),
    ("SANITATION", "齐村镇环卫所", DepartmentKind.SANITATION, "sanitation_handler", ""),
]
COUNTY_DEPARTMENTS = [
    ("GRID", "市中区网格化服务管理中心", DepartmentKind.OFFICE),
    ("POLICE", "枣庄市公安局市中分局", DepartmentKind.POLICE),
    ("ENV", "枣庄市生态环境局市中分局", DepartmentKind.ENVIRONMENT),
    ("SAFETY", "市中区应急管理局", DepartmentKind.SAFETY),
    ("URBAN", "市中区综合行政执法局", DepartmentKind.URBAN),
    ("MARKET", "市中区市场监督管理局", DepartmentKind.MARKET),
    ("CIVIL", "市中区民政局", DepartmentKind.CIVIL_AFFAIRS),
    ("TRANSPORT", "市中区交通运输局", DepartmentKind.TRANSPORT),
    ("HOUSING", "市中区住房和城乡建设局", DepartmentKind.HOUSING),
]


class _Builder:
    def __init__(self, seed: str, frame: LocalFrame) -> None:
        self.cast = names.Cast(seed)
        self.frame = frame
        self.rng = rng_for("builder", seed)
        self.people: list[PersonPlan] = []
        self.regions: dict[str, Region] = {}
        self.departments: dict[str, Department] = {}

    def person(
        self, title: str = "", department: str | None = None, username: str | None = None
    ) -> PersonPlan:
        name, gender = self.cast.person()
        plan = PersonPlan(
            name=name,
            gender=gender,
            phone=self.cast.mobile(),
            title=title,
            department=department,
            username=username,
        )
        self.people.append(plan)
        return plan

    def department(self, code: str, name: str, kind: str, level: str, region: Region) -> Department:
        dept = create_department(
            code=code, name=name, kind=kind, level=level, region=region, phone=self.cast.landline()
        )
        self.departments[code] = dept
        return dept

    def staff_department(
        self, code: str, head_title: str, handlers: int, username: str = ""
    ) -> list[PersonPlan]:
        """A department's head and handlers; the first handler gets the log-in."""
        head = self.person(head_title, department=code)
        head.posts.append(PostPlan(PostKind.DEPARTMENT_HEAD, head_title, department=code))
        team = [head]
        for i in range(handlers):
            member = self.person(
                "工作人员", department=code, username=username if i == 0 and username else None
            )
            member.posts.append(PostPlan(PostKind.HANDLER, department=code))
            if member.username:
                member.grants.append(GrantPlan(Role.HANDLER, department=code))
            team.append(member)
        return team

    def county_departments(self, county: Region) -> None:
        for suffix, name, kind in COUNTY_DEPARTMENTS:
            code = f"{county.code[:6]}-{suffix}"
            self.department(code, name, kind, DepartmentLevel.COUNTY, county)
            username = f"county_{suffix.lower()}_handler" if kind != DepartmentKind.OFFICE else ""
            self.staff_department(
                code, "局长" if kind != DepartmentKind.OFFICE else "主任", 1, username
            )

    def lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        return self.frame.to_lonlat(geom)

    def write(self, plans: list[GridPlan], levels: list[GridLevel]) -> dict[str, Grid]:
        # Plans hold metric outlines until here: make them conforming, then go to degrees.
        for plan, outline in zip(plans, conform([p.boundary for p in plans]), strict=True):
            plan.boundary = self.lonlat(outline)
        grids = write_grids(plans, levels, self.regions)
        _write_duties(levels)
        write_admin()
        write_people(
            self.people, Places(grids, self.regions, self.departments), started_on=STARTED_ON
        )
        return grids


class _TownBuilder(_Builder):
    """齐村镇, seed 004: 工作站 — 基础网格 — 单元网格 under the town grid."""

    def __init__(self) -> None:
        super().__init__("370402103", TOWN_FRAME)

    def build(self) -> None:
        town_region = build_region_chain([names.PROVINCE, names.CITY, names.COUNTY, names.TOWN])
        county = Region.objects.get(code=names.COUNTY[0].ljust(12, "0"))
        self.regions[town_region.code] = town_region
        self.regions[county.code] = county
        levels = build_levels(["镇", "工作站", "基础网格", "单元网格"], [0, 0, 2, 3])
        plans = self.plan_grids(town_region)
        self.plan_people(plans, town_region, county)
        self.write(plans, levels)

    def plan_grids(self, town_region: Region) -> list[GridPlan]:
        outline = blob(4700, seed=TOWN_ROOT)
        stations = _numbered(
            partition(outline, TOWN_STATIONS, seed=f"{TOWN_ROOT}/stations", relax=4)
        )
        bases_per_station = distribute(TOWN_BASE_GRIDS, TOWN_STATIONS, low=1, high=3, seed="bases")
        units_per_base = distribute(TOWN_UNIT_GRIDS, TOWN_BASE_GRIDS, low=2, high=4, seed="units")
        root = GridPlan(TOWN_ROOT, names.TOWN[1], 0, town_region.code, None, (outline))
        plans, units = [root], []
        base_index = 0
        for i, (station_xy, village) in enumerate(zip(stations, names.TOWN_VILLAGES, strict=True)):
            code = f"{names.TOWN[0]}{201 + i}"
            region = create_region(code=code, name=f"{village}村委会", parent=town_region)
            self.regions[code] = region
            plans.append(GridPlan(code, f"{village}村工作站", 1, code, TOWN_ROOT, (station_xy)))
            k = bases_per_station[i]
            bases = _numbered(partition(station_xy, k, seed=f"{code}/bases", relax=3))
            naturals = [f"{village}村", *names.natural_village_names(code, k - 1)]
            station_units: list[tuple[BaseGeometry, str]] = []
            for j, base_xy in enumerate(bases):
                base_code = f"{code}{j + 1:02d}"
                plans.append(GridPlan(base_code, naturals[j], 2, code, code, (base_xy)))
                m = units_per_base[base_index]
                base_index += 1
                for unit_xy in partition(base_xy, m, seed=f"{base_code}/units", relax=3):
                    station_units.append((unit_xy, base_code))
            # Unit serials run across the whole village, not per base grid (GB/T 30428).
            order = reading_order([u for u, _b in station_units])
            for serial, idx in enumerate(order, start=1):
                unit_xy, base_code = station_units[idx]
                unit = GridPlan(
                    f"{code}{serial:03d}",
                    f"{village}村第{serial}村民小组",
                    3,
                    code,
                    base_code,
                    (unit_xy),
                    tier=_tier(self.rng),
                )
                units.append(unit)
        units.sort(key=lambda u: u.code)
        self._households(units, TOWN_HOUSEHOLDS)
        plans.extend(units)
        _sum_up(plans)
        return plans

    def _households(self, units: list[GridPlan], total: int) -> None:
        weights = self.rng.uniform(0.55, 1.45, size=len(units))
        for unit, households in zip(units, allocate(total, list(weights)), strict=True):
            unit.households = households
            unit.population = round(households * float(self.rng.uniform(2.55, 3.25)))

    def plan_people(self, plans: list[GridPlan], town_region: Region, county: Region) -> None:
        town = TOWN_ROOT[:9]
        for suffix, name, kind, _username, _embedded in TOWN_DEPARTMENTS:
            self.department(f"{town}-{suffix}", name, kind, DepartmentLevel.TOWN, town_region)
        self.county_departments(county)
        stations = [p for p in plans if p.depth == 1]

        # The grid office: three full-time staff (seed 004), its head is the town operator.
        office = self.person("网格办主任", department=f"{town}-GRID", username="town_office")
        office.posts.append(
            PostPlan(PostKind.DEPARTMENT_HEAD, "网格办主任", department=f"{town}-GRID")
        )
        office.grants.append(GrantPlan(Role.OFFICE, grid=TOWN_ROOT))
        for n in (2, 3):
            member = self.person(
                "网格办专职人员", department=f"{town}-GRID", username=f"town_office{n}"
            )
            member.posts.append(
                PostPlan(PostKind.HANDLER, "网格办专职人员", department=f"{town}-GRID")
            )
            member.grants.append(GrantPlan(Role.OFFICE, grid=TOWN_ROOT))

        # Town leaders answer for stations (五级联动, seed 002: 乡镇办领导分包村).
        titles = ["镇党委书记", "镇长", "镇党委副书记", "镇人大主席", "镇纪委书记", "副镇长", "副镇长", "镇党委组织委员"]  # fmt: skip
        leaders = []
        for i, title in enumerate(titles):
            leader = self.person(title, username="leader" if i == 0 else None)
            leaders.append(leader)
        leaders[0].posts.append(
            PostPlan(PostKind.GRID_LEADER, "镇网格长(镇党委书记)", grid=TOWN_ROOT)
        )
        leaders[0].grants.append(GrantPlan(Role.LEADER, grid=TOWN_ROOT))
        for i, station in enumerate(stations):
            leader = leaders[i % len(leaders)]
            leader.liaisons.append(
                LiaisonPlan(
                    LiaisonKind.LEADER, f"{leader.title}分包{station.name}", grid=station.code
                )
            )
        county_leader = self.person("市中区委副书记")
        county_leader.liaisons.append(
            LiaisonPlan(LiaisonKind.LEADER, "区领导分包齐村镇", region=town_region.code)
        )

        # Department staff; some are embedded down into the stations (下沉人员, seed 002).
        embedded: list[tuple[PersonPlan, str]] = []
        for suffix, _name, kind, username, embedded_title in TOWN_DEPARTMENTS[1:]:
            code = f"{town}-{suffix}"
            head_title = {DepartmentKind.POLICE: "所长", DepartmentKind.URBAN: "中队长"}.get(
                kind, "主任"
            )
            team = self.staff_department(code, head_title, 3 if embedded_title else 1, username)
            if embedded_title:
                embedded.extend((member, embedded_title) for member in team[1:])
        police = [(p, t) for p, t in embedded if p.department == f"{town}-POLICE"]
        others = [(p, t) for p, t in embedded if p.department != f"{town}-POLICE"]
        for i, station in enumerate(stations):
            # Every village police room has a chief officer (seed 002: 首席民警), plus one
            # officer of another department in rotation.
            for person, title in (police[i % len(police)], others[i % len(others)]):
                person.posts.append(PostPlan(PostKind.EMBEDDED_OFFICER, title, grid=station.code))
        for code, title in (("ENV", "区生态环境分局驻镇联络员"), ("URBAN", "区执法局驻镇联络员")):
            officer = self.person(title, department=f"{county.code[:6]}-{code}")
            officer.liaisons.append(
                LiaisonPlan(
                    LiaisonKind.DEPARTMENT, f"{title}(业务分包齐村镇)", region=town_region.code
                )
            )

        # One leader, three members in every station (一长三员, seed 004).
        for i, station in enumerate(stations):
            username = "village_a" if i == 0 else f"station_{station.code[-3:]}"
            for post_kind, title in ONE_LEADER_THREE_MEMBERS:
                member = self.person(
                    "村党支部书记" if post_kind == PostKind.GRID_LEADER else title,
                    username=username if post_kind == PostKind.WORKER_FULL else None,
                )
                member.posts.append(PostPlan(post_kind, title, grid=station.code))
                if member.username:
                    member.grants.append(GrantPlan(Role.OFFICE, grid=station.code))

        for base in (p for p in plans if p.depth == 2):
            head = self.person(self.cast.pick(["党支部书记", "片长"]))
            head.posts.append(PostPlan(PostKind.GRID_LEADER, "基础网格长", grid=base.code))

        # A worker in every unit grid (一格一员, seed 001): the villager group leader part-time
        # or a full-time worker; some grids also keep a confidential informant.
        for unit in (p for p in plans if p.depth == 3):
            village = unit.code[:12]
            if village == stations[0].code and unit.code.endswith("001"):
                username = "worker_a1"
            elif village == stations[1].code and unit.code.endswith("001"):
                username = "worker_b1"
            else:
                username = f"worker_{unit.code[-6:]}"
            full = self.cast.chance(0.3)
            worker = self.person("专职网格员" if full else "村民小组长", username=username)
            worker.posts.append(
                PostPlan(
                    PostKind.WORKER_FULL if full else PostKind.WORKER_PART,
                    "专职网格员" if full else "兼职网格员",
                    grid=unit.code,
                    started_on=STARTED_ON + dt.timedelta(days=self.cast.integer(0, 3650)),
                )
            )
            worker.grants.append(GrantPlan(Role.WORKER, grid=unit.code))
            if self.cast.chance(0.25):
                informant = self.person("信息员")
                # Informants pass on leads quietly: kept off the public board.
                informant.posts.append(
                    PostPlan(PostKind.INFORMANT, "信息员", grid=unit.code, is_public=False)
                )


class _DistrictBuilder(_Builder):
    """Seed 001's district: 1 / 25 / 593 / 4,418 grids (区 — 镇街 — 村居 — 单元网格)."""

    def __init__(self) -> None:
        super().__init__("370402", DISTRICT_FRAME)

    def build(self) -> None:
        county = build_region_chain([names.PROVINCE, names.CITY, names.COUNTY])
        self.regions[county.code] = county
        levels = build_levels(["区", "镇街", "村居", "单元网格"], [0, 0, 0, 3])
        plans = self.plan_grids(county)
        self.plan_people(plans, county)
        self.write(plans, levels)

    def plan_grids(self, county: Region) -> list[GridPlan]:
        outline = blob(17_000, seed=DISTRICT_ROOT)
        streets = _numbered(
            partition(outline, DISTRICT_STREETS, seed=f"{DISTRICT_ROOT}/streets", relax=4)
        )
        per_street = distribute(
            DISTRICT_COMMUNITIES, DISTRICT_STREETS, low=15, high=35, seed="communities"
        )
        per_community = distribute(
            DISTRICT_UNITS, DISTRICT_COMMUNITIES, low=3, high=14, seed="units"
        )
        community_names = names.community_names(DISTRICT_ROOT, DISTRICT_COMMUNITIES)
        plans = [GridPlan(DISTRICT_ROOT, names.COUNTY[1], 0, county.code, None, (outline))]
        street_regions, community_regions = [], []
        community_index = 0
        units: list[GridPlan] = []
        for i, street_xy in enumerate(streets):
            suffix, name = names.DISTRICT_STREETS[i]
            kind = "street" if suffix.startswith("0") else "town"
            short = f"{county.code[:6]}{suffix}"
            street_code = short.ljust(12, "0")
            street_regions.append(
                Region(
                    code=street_code,
                    name=name,
                    level=4,
                    parent=county,
                    path=f"{county.path}{short}/",
                )
            )
            plans.append(GridPlan(street_code, name, 1, street_code, DISTRICT_ROOT, (street_xy)))
            cells = _numbered(
                partition(street_xy, per_street[i], seed=f"{street_code}/communities", relax=3)
            )
            for j, community_xy in enumerate(cells):
                serial = (1 if kind == "street" else 201) + j
                code = f"{short}{serial:03d}"
                stem = community_names[community_index]
                label = f"{stem}社区" if kind == "street" else f"{stem}村"
                community_regions.append(
                    Region(
                        code=code,
                        name=f"{label}{'居委会' if kind == 'street' else '委会'}",
                        level=5,
                        path=f"{county.path}{short}/{code}/",
                    )
                )
                plans.append(GridPlan(code, label, 2, code, street_code, (community_xy)))
                m = per_community[community_index]
                community_index += 1
                unit_cells = _numbered(partition(community_xy, m, seed=f"{code}/units", relax=2))
                for serial_u, unit_xy in enumerate(unit_cells, start=1):
                    units.append(
                        GridPlan(
                            f"{code}{serial_u:03d}",
                            f"{label}第{serial_u}网格",
                            3,
                            code,
                            code,
                            (unit_xy),
                            tier=_tier(self.rng),
                        )
                    )
        for region in Region.objects.bulk_create(street_regions):
            self.regions[region.code] = region
        for region in community_regions:
            region.parent = self.regions[region.code[:9].ljust(12, "0")]
        for region in Region.objects.bulk_create(community_regions, batch_size=500):
            self.regions[region.code] = region
        weights = self.rng.uniform(0.5, 1.5, size=len(units))
        for unit, households in zip(
            units, allocate(DISTRICT_HOUSEHOLDS, list(weights)), strict=True
        ):
            unit.households = households
            unit.population = round(households * float(self.rng.uniform(2.4, 3.1)))
        plans.extend(units)
        _sum_up(plans)
        return plans

    def plan_people(self, plans: list[GridPlan], county: Region) -> None:
        self.county_departments(county)
        streets = [p for p in plans if p.depth == 1]
        qicun = next(s for s in streets if s.name == names.TOWN[1])
        for street in streets:
            short = street.code[:9]
            region = self.regions[street.code]
            self.department(
                f"{short}-GRID",
                f"{street.name}网格化服务管理中心",
                DepartmentKind.OFFICE,
                DepartmentLevel.TOWN,
                region,
            )
            self.department(
                f"{short}-POLICE",
                f"{street.name.removesuffix('街道').removesuffix('镇')}派出所",
                DepartmentKind.POLICE,
                DepartmentLevel.TOWN,
                region,
            )
            self.department(
                f"{short}-ENV",
                f"{street.name}环保所",
                DepartmentKind.ENVIRONMENT,
                DepartmentLevel.TOWN,
                region,
            )
            is_qicun = street is qicun
            self.staff_department(f"{short}-ENV", "所长", 1, "env_handler" if is_qicun else "")
            head = self.person("党(工)委书记")
            head.posts.append(PostPlan(PostKind.GRID_LEADER, "镇街网格长", grid=street.code))
            if is_qicun:
                office = self.person(
                    "网格中心主任", department=f"{short}-GRID", username="town_office"
                )
                office.posts.append(
                    PostPlan(PostKind.DEPARTMENT_HEAD, "网格中心主任", department=f"{short}-GRID")
                )
                office.grants.append(GrantPlan(Role.OFFICE, grid=street.code))
        district_office = self.person(
            "区网格中心主任", department=f"{county.code[:6]}-GRID", username="district_office"
        )
        district_office.grants.append(GrantPlan(Role.OFFICE, grid=DISTRICT_ROOT))
        leader = self.person("区委书记", username="leader")
        leader.posts.append(
            PostPlan(PostKind.GRID_LEADER, "区网格长(区委书记)", grid=DISTRICT_ROOT)
        )
        leader.grants.append(GrantPlan(Role.LEADER, grid=DISTRICT_ROOT))
        # District leaders answer for streets and towns (五级联动, seed 002: 县区领导分包乡镇).
        district_leaders = [leader] + [self.person(t) for t in ("区长", "区委副书记", "常务副区长", "副区长", "副区长", "区委组织部长", "区委政法委书记")]  # fmt: skip
        for i, street in enumerate(streets):
            liaison = district_leaders[i % len(district_leaders)]
            liaison.liaisons.append(
                LiaisonPlan(
                    LiaisonKind.LEADER, f"{liaison.title}分包{street.name}", grid=street.code
                )
            )

        communities = [p for p in plans if p.depth == 2]
        qicun_communities = [c for c in communities if c.parent_code == qicun.code]
        for community in communities:
            head = self.person(
                "村居党组织书记",
                username="village_a" if community is qicun_communities[0] else None,
            )
            head.posts.append(PostPlan(PostKind.GRID_LEADER, "村居网格长", grid=community.code))
            if head.username:
                head.grants.append(GrantPlan(Role.OFFICE, grid=community.code))
        cast_units = {
            f"{qicun_communities[0].code}001": "worker_a1",
            f"{qicun_communities[1].code}001": "worker_b1",
        }
        for unit in (p for p in plans if p.depth == 3):
            full = self.cast.chance(0.5)
            worker = self.person(
                "专职网格员" if full else "兼职网格员", username=cast_units.get(unit.code)
            )
            worker.posts.append(
                PostPlan(PostKind.WORKER_FULL if full else PostKind.WORKER_PART, grid=unit.code)
            )
            if worker.username:
                worker.grants.append(GrantPlan(Role.WORKER, grid=unit.code))


def _sum_up(plans: list[GridPlan]) -> None:
    """Households and population of every grid above the units are its children's sums."""
    by_code = {p.code: p for p in plans}
    for depth in range(max(p.depth for p in plans) - 1, -1, -1):
        for plan in (p for p in plans if p.depth == depth):
            plan.households = 0
            plan.population = 0
        for child in (p for p in plans if p.depth == depth + 1):
            parent = by_code[child.parent_code]  # type: ignore[index]
            parent.households += child.households
            parent.population += child.population
