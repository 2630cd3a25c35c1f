"""The named test cast (STYLE): one mini town, two villages, four unit grids, and the users
`worker_a1`, `village_a`, `town_office`, `env_handler`, `worker_b1` (the outsider), `leader`
(read-only) and `admin`. Built once per test session; each test is rolled back.

The town is 王村镇 of 荥阳市 (seed 000). Village A is the west half, village B the east half;
each splits into a west (serial 001) and an east (serial 002) unit grid, numbered west to east.

    113.30      113.31      113.32      113.33      113.34   lon
      +-----------+-----------+-----------+-----------+  34.82
      |    A1     |    A2     |    B1     |    B2     |
      +-----------+-----------+-----------+-----------+  34.80
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from shapely.geometry import box

from gridgov.core.jurisdiction import Role, forget_scope
from gridgov.grids.models import Grid, GridLevel, Region
from gridgov.grids.services import create_grid, create_region
from gridgov.people.models import Department, DepartmentKind, DepartmentLevel, PostKind, Staff
from gridgov.people.services import (
    add_liaison,
    assign_post,
    create_department,
    create_staff,
    create_user,
    grant_role,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PASSWORD = "gridgov-demo-2026"

TOWN_CODE = "410182100000"
VILLAGE_A = "410182100201"
VILLAGE_B = "410182100202"
UNIT_A1 = VILLAGE_A + "001"
UNIT_A2 = VILLAGE_A + "002"
UNIT_B1 = VILLAGE_B + "001"
UNIT_B2 = VILLAGE_B + "002"

WEST, EAST, SOUTH, NORTH = 113.30, 113.34, 34.80, 34.82
# A point inside each unit grid, for tests that report or locate.
INSIDE = {
    UNIT_A1: (113.305, 34.81),
    UNIT_A2: (113.315, 34.81),
    UNIT_B1: (113.325, 34.81),
    UNIT_B2: (113.335, 34.81),
}
OUTSIDE_POINT = (113.50, 34.50)

USERNAMES = ("admin", "town_office", "village_a", "worker_a1", "worker_b1", "env_handler", "leader")


def build_levels(names: list[str], code_digits: list[int]) -> list[GridLevel]:
    """The deployment's grid levels, top first (e.g. 镇 / 村 / 单元网格)."""
    return [
        GridLevel.objects.create(depth=depth, name=name, code_digits=digits)
        for depth, (name, digits) in enumerate(zip(names, code_digits, strict=True))
    ]


def build_region_chain(chain: list[tuple[str, str]]) -> Region:
    """Create (or reuse) province → … regions from (code, name) pairs; returns the last."""
    parent: Region | None = None
    for code, name in chain:
        existing = Region.objects.filter(code=code.ljust(12, "0")).first()
        parent = existing or create_region(code=code, name=name, parent=parent)
    if parent is None:
        raise ValueError("empty region chain")
    return parent


def build_test_town() -> None:
    """Build the cast; safe to call again (does nothing when the town already exists)."""
    if Grid.objects.filter(code=TOWN_CODE).exists():
        return
    town_region = build_region_chain(
        [("41", "河南省"), ("4101", "郑州市"), ("410182", "荥阳市"), ("410182100", "王村镇")]
    )
    county = Region.objects.get(code="410182000000")
    village_a_region = create_region(code=VILLAGE_A, name="王村", parent=town_region)
    village_b_region = create_region(code=VILLAGE_B, name="小村", parent=town_region)
    town_level, village_level, unit_level = build_levels(["镇", "村", "单元网格"], [0, 0, 3])

    town = create_grid(
        code=TOWN_CODE,
        name="王村镇",
        level=town_level,
        region=town_region,
        boundary=box(WEST, SOUTH, EAST, NORTH),
        households=400,
        population=1300,
    )
    mid = (WEST + EAST) / 2
    village_a = create_grid(
        code=VILLAGE_A,
        name="王村",
        level=village_level,
        region=village_a_region,
        parent=town,
        boundary=box(WEST, SOUTH, mid, NORTH),
        households=200,
        population=650,
    )
    village_b = create_grid(
        code=VILLAGE_B,
        name="小村",
        level=village_level,
        region=village_b_region,
        parent=town,
        boundary=box(mid, SOUTH, EAST, NORTH),
        households=200,
        population=650,
    )
    units = {}
    for parent, region, west, east, label in (
        (village_a, village_a_region, WEST, mid, "王村"),
        (village_b, village_b_region, mid, EAST, "小村"),
    ):
        half = (west + east) / 2
        for serial, (w, e) in enumerate(((west, half), (half, east)), start=1):
            code = f"{parent.code}{serial:03d}"
            units[code] = create_grid(
                code=code,
                name=f"{label}第{serial}网格",
                level=unit_level,
                region=region,
                parent=parent,
                boundary=box(w, SOUTH, e, NORTH),
                households=100,
                population=325,
                tier=1 if serial == 1 else 2,
            )

    env = create_department(
        code="410182100-ENV",
        name="王村镇环保所",
        kind=DepartmentKind.ENVIRONMENT,
        level=DepartmentLevel.TOWN,
        region=town_region,
        phone="0371-64611001",
    )
    create_department(
        code="410182100-POLICE",
        name="王村派出所",
        kind=DepartmentKind.POLICE,
        level=DepartmentLevel.TOWN,
        region=town_region,
        phone="0371-64611110",
    )
    create_department(
        code="410182-ENV",
        name="荥阳市生态环境局",
        kind=DepartmentKind.ENVIRONMENT,
        level=DepartmentLevel.COUNTY,
        region=county,
        phone="0371-64666001",
    )

    def person(
        username: str, name: str, phone: str, *, department: Department | None = None
    ) -> tuple[User, Staff]:
        staff = create_staff(name=name, phone=phone, department=department)
        user = create_user(username=username, password=PASSWORD, staff=staff)
        return user, staff

    admin_user = create_user(username="admin", password=PASSWORD, is_staff=True)
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    grant_role(user=admin_user, role=Role.ADMIN)

    office, office_staff = person("town_office", "周敏", "13800000001")
    grant_role(user=office, role=Role.OFFICE, grid=town)
    assign_post(staff=office_staff, kind=PostKind.GRID_LEADER, grid=town, title="镇网格办主任")

    village_op, village_staff = person("village_a", "王建国", "13800000002")
    grant_role(user=village_op, role=Role.OFFICE, grid=village_a)
    assign_post(staff=village_staff, kind=PostKind.GRID_LEADER, grid=village_a, title="工作站站长")

    worker_a1, worker_a1_staff = person("worker_a1", "李娜", "13800000003")
    grant_role(user=worker_a1, role=Role.WORKER, grid=units[UNIT_A1])
    assign_post(staff=worker_a1_staff, kind=PostKind.WORKER_FULL, grid=units[UNIT_A1])

    worker_b1, worker_b1_staff = person("worker_b1", "赵强", "13800000004")
    grant_role(user=worker_b1, role=Role.WORKER, grid=units[UNIT_B1])
    assign_post(staff=worker_b1_staff, kind=PostKind.WORKER_FULL, grid=units[UNIT_B1])

    handler, handler_staff = person("env_handler", "陈刚", "13800000005", department=env)
    grant_role(user=handler, role=Role.HANDLER, department=env)
    assign_post(staff=handler_staff, kind=PostKind.HANDLER, department=env)
    assign_post(staff=handler_staff, kind=PostKind.EMBEDDED_OFFICER, grid=village_a)

    leader, leader_staff = person("leader", "孙书记", "13800000006")
    grant_role(user=leader, role=Role.LEADER, grid=town)
    add_liaison(staff=leader_staff, kind="leader", grid=village_a, note="镇党委书记分包王村")
    for user in (admin_user, office, village_op, worker_a1, worker_b1, handler, leader):
        forget_scope(user)


@dataclass
class Town:
    """Fresh instances of the cast for one test (the rows live for the whole session)."""

    def user(self, username: str) -> User:
        return get_user_model().objects.get(username=username)  # type: ignore[no-any-return]

    def grid(self, code: str) -> Grid:
        return Grid.objects.select_related("level", "region", "parent").get(code=code)

    def department(self, code: str) -> Department:
        return Department.objects.get(code=code)

    @property
    def town(self) -> Grid:
        return self.grid(TOWN_CODE)

    @property
    def village_a(self) -> Grid:
        return self.grid(VILLAGE_A)

    @property
    def village_b(self) -> Grid:
        return self.grid(VILLAGE_B)

    @property
    def a1(self) -> Grid:
        return self.grid(UNIT_A1)

    @property
    def a2(self) -> Grid:
        return self.grid(UNIT_A2)

    @property
    def b1(self) -> Grid:
        return self.grid(UNIT_B1)

    @property
    def b2(self) -> Grid:
        return self.grid(UNIT_B2)

    @property
    def env(self) -> Department:
        return self.department("410182100-ENV")

    @property
    def police(self) -> Department:
        return self.department("410182100-POLICE")

    @property
    def county_env(self) -> Department:
        return self.department("410182-ENV")
