"""What both demo scales share: where they sit, their counts, the standard duties and the
county's bureaus, and the builder that turns plans into rows (demo.bulk)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from shapely.geometry.base import BaseGeometry

from gridgov.core.jurisdiction import Role
from gridgov.demo import names
from gridgov.demo.bulk import (
    GrantPlan,
    GridPlan,
    PersonPlan,
    Places,
    PostPlan,
    write_admin,
    write_grids,
    write_people,
)
from gridgov.demo.layout import (
    LocalFrame,
    conform,
    reading_order,
    rng_for,
)
from gridgov.grids.models import Grid, GridLevel, Region
from gridgov.people.models import (
    Department,
    DepartmentKind,
    DepartmentLevel,
    PostDuty,
    PostKind,
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
# Log-ins printed one by one after the cast: the county level the town escalates to (town demo)
# and the district's own operator (district demo).
FEATURED = (*CAST, "county_office", "county_leader", "district_office")


# --- shared pieces ------------------------------------------------------------------------------


def pick_tier(rng: np.random.Generator) -> int:
    """seed 001: grids are tiered by hotline volume; about one in seven is a focus grid."""
    r = rng.random()
    return 1 if r < 0.15 else 3 if r > 0.75 else 2


def numbered(cells: list[BaseGeometry]) -> list[BaseGeometry]:
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


def write_duties(levels: list[GridLevel]) -> None:
    PostDuty.objects.bulk_create(
        [
            PostDuty(kind=kind, level=levels[depth] if depth is not None else None, duties=text)
            for kind, depth, text in DUTIES
            if depth is None or depth < len(levels)
        ]
    )


# The county's bureaus (code suffix, name, kind), where cases go beyond a town's remit.
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


class DemoBuilder:
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
        write_duties(levels)
        write_admin()
        write_people(
            self.people, Places(grids, self.regions, self.departments), started_on=STARTED_ON
        )
        return grids


def sum_up(plans: list[GridPlan]) -> None:
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
