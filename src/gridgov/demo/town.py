"""齐村镇, seed 004: the town grid, 25 work stations (工作站), 52 base grids (基础网格) and 126
unit grids (单元网格), with its people."""

from __future__ import annotations

import datetime as dt

from shapely.geometry.base import BaseGeometry

from gridgov.core.jurisdiction import Role
from gridgov.core.testing.town import build_levels, build_region_chain
from gridgov.demo import names
from gridgov.demo.base import (
    STARTED_ON,
    TOWN_BASE_GRIDS,
    TOWN_FRAME,
    TOWN_HOUSEHOLDS,
    TOWN_ROOT,
    TOWN_STATIONS,
    TOWN_UNIT_GRIDS,
    DemoBuilder,
    numbered,
    pick_tier,
    sum_up,
)
from gridgov.demo.bulk import (
    GrantPlan,
    GridPlan,
    LiaisonPlan,
    PersonPlan,
    PostPlan,
)
from gridgov.demo.layout import (
    allocate,
    blob,
    distribute,
    partition,
    reading_order,
)
from gridgov.grids.models import Region
from gridgov.grids.services import create_region
from gridgov.people.models import (
    ONE_LEADER_THREE_MEMBERS,
    DepartmentKind,
    DepartmentLevel,
    LiaisonKind,
    PostKind,
)

# The town's departments: (code suffix, name, kind, user name of its log-in handler, the title
# its staff take when embedded in a station, or "" when it embeds no one).
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


class TownBuilder(DemoBuilder):
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
        stations = numbered(
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
            bases = numbered(partition(station_xy, k, seed=f"{code}/bases", relax=3))
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
                    tier=pick_tier(self.rng),
                )
                units.append(unit)
        units.sort(key=lambda u: u.code)
        self._households(units, TOWN_HOUSEHOLDS)
        plans.extend(units)
        sum_up(plans)
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
        # The district leader answering for the town also reads the whole county (领导只读).
        county_leader = self.person("市中区委副书记", username="county_leader")
        county_leader.liaisons.append(
            LiaisonPlan(LiaisonKind.LEADER, "区领导分包齐村镇", region=town_region.code)
        )
        county_leader.grants.append(GrantPlan(Role.LEADER, region=county.code))

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

        # One leader, three members in every station (一长三员, seed 004): 工作站站长 (grid
        # leader, the village party secretary), 网格信息管理员 (full-time worker, who holds the
        # station's log-in), 网格信息协管员 (assistant), 网格信息志愿员 (volunteer).
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

        # The county's grid centre takes in what the town cannot handle (逐级上报, seed 002) and
        # dispatches it to the county bureaus. Its operator's scope is the county region: the
        # cases app reads a region scope as that region's platform. Planned last, so the names
        # drawn for everyone above stay as they were.
        county_grid = f"{county.code[:6]}-GRID"
        county_office = self.person(
            "区网格中心值班长", department=county_grid, username="county_office"
        )
        county_office.posts.append(
            PostPlan(PostKind.HANDLER, "区网格中心值班长", department=county_grid)
        )
        county_office.grants.append(GrantPlan(Role.OFFICE, region=county.code))
