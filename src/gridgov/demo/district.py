"""Seed 001's district: 1 / 25 / 593 / 4,418 grids (区 — 镇街 — 村居 — 单元网格), for benchmarks."""

from __future__ import annotations

from gridgov.core.jurisdiction import Role
from gridgov.core.testing.town import build_levels, build_region_chain
from gridgov.demo import names
from gridgov.demo.base import (
    DISTRICT_COMMUNITIES,
    DISTRICT_FRAME,
    DISTRICT_HOUSEHOLDS,
    DISTRICT_ROOT,
    DISTRICT_STREETS,
    DISTRICT_UNITS,
    DemoBuilder,
    numbered,
    pick_tier,
    sum_up,
)
from gridgov.demo.bulk import (
    GrantPlan,
    GridPlan,
    LiaisonPlan,
    PostPlan,
)
from gridgov.demo.layout import (
    allocate,
    blob,
    distribute,
    partition,
)
from gridgov.grids.models import Region
from gridgov.people.models import (
    DepartmentKind,
    DepartmentLevel,
    LiaisonKind,
    PostKind,
)


class DistrictBuilder(DemoBuilder):
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
        streets = numbered(
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
            cells = numbered(
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
                unit_cells = numbered(partition(community_xy, m, seed=f"{code}/units", relax=2))
                for serial_u, unit_xy in enumerate(unit_cells, start=1):
                    units.append(
                        GridPlan(
                            f"{code}{serial_u:03d}",
                            f"{label}第{serial_u}网格",
                            3,
                            code,
                            code,
                            (unit_xy),
                            tier=pick_tier(self.rng),
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
        sum_up(plans)
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
