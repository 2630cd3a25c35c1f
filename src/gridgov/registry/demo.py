"""The demo town's registry, deterministic and plausible (issue 10): the households each unit grid
declares (21,105 in all, seed 004) registered at 100 % in most villages and below in a few (seed
004: "全镇已完成90%的入户网格信息录入工作"), about 61,000 residents, key households at realistic
shares (seed 003 六类户), a building per rural household, businesses with risk grades, party
organisations on the grids with 双报到 members (seed 001), and public facilities.

Everything is written with bulk_create: encryption and blind indexes run in the fields, so the
data is private at rest exactly as if entered by hand.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import Count
from stdnum.cn import uscc

from gridgov.core.masking import id_check_digit
from gridgov.grids.models import Grid
from gridgov.people.models import Department, Post, PostKind
from gridgov.registry.models import (
    Building,
    BuildingUse,
    CheckInKind,
    Facility,
    Household,
    HouseholdTag,
    KeyHouseholdKind,
    Organisation,
    OrganisationKind,
    PartyLevel,
    PartyMembership,
    Person,
    PopulationType,
    RiskGrade,
)

SEED = 20261206
# Shares of households per key kind (of registered households); rural Shandong orders of
# magnitude: 低保/五保 ~3 %, 重病重残 ~2 %, 易返贫致贫 ~1 %, 空巢老人 ~8 %, 留守儿童 ~3 %, 烈属军属 ~1.5 %.
KEY_SHARES = {
    KeyHouseholdKind.LOW_INCOME: 0.03,
    KeyHouseholdKind.ILL_DISABLED: 0.02,
    KeyHouseholdKind.POVERTY_RISK: 0.01,
    KeyHouseholdKind.EMPTY_NEST: 0.08,
    KeyHouseholdKind.LEFT_BEHIND: 0.03,
    KeyHouseholdKind.MILITARY: 0.015,
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华玉兰志强海燕凤英春梅红梅淑珍"
FACILITIES = [
    ("0101", "上水井盖", 3),
    ("0103", "污水井盖", 3),
    ("0201", "路灯", 5),
    ("0109", "消防栓", 1),
    ("0401", "垃圾箱", 2),
    ("0301", "指示牌", 1),
]
INDUSTRIES = [
    ("零售业", "个体工商户"),
    ("餐饮业", "个体工商户"),
    ("农副食品加工业", "有限责任公司"),
    ("建材批发", "有限责任公司"),
    ("机械加工", "有限责任公司"),
    ("煤炭开采和洗选业", "股份有限公司"),
    ("道路货物运输", "有限责任公司"),
]


def _name(rng: random.Random) -> str:
    given = GIVEN[rng.randrange(len(GIVEN))]
    if rng.random() < 0.6:
        given += GIVEN[rng.randrange(len(GIVEN))]
    return SURNAMES[rng.randrange(len(SURNAMES))] + given


def _credit_code(rng: random.Random, region: str) -> str:
    body = "92" + region + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc.calc_check_digit(body)


def completion_rate(village_index: int) -> float:
    """Most stations have entered every household; every fifth is still at 84–96 %."""
    if village_index % 5 != 3:
        return 1.0
    return 0.84 + 0.03 * (village_index % 4)


@transaction.atomic
def seed_demo_registry(*, root: Grid) -> dict[str, int]:
    """Build the registry under `root` (the demo town). Deterministic for a given grid tree."""
    rng = random.Random(SEED)  # noqa: S311 - a reproducible demo, not a secret
    today = dt.date(2026, 6, 30)
    units = list(
        Grid.objects.filter(path__startswith=root.path, is_active=True)
        .annotate(n_children=Count("children"))
        .filter(n_children=0)
        .select_related("region", "parent")
        .order_by("code")
    )
    villages = sorted({u.region.code for u in units})
    workers = dict(
        Post.objects.filter(
            grid__in=units,
            kind__in=[PostKind.WORKER_FULL, PostKind.WORKER_PART],
            ended_on__isnull=True,
        ).values_list("grid_id", "staff_id")
    )
    departments = list(Department.objects.filter(region__path__startswith=root.region.path))
    counts = {"households": 0, "persons": 0, "buildings": 0, "organisations": 0, "facilities": 0}
    building_serial: dict[int, int] = {}
    id_serial = 0

    plans: list[tuple[Grid, list[tuple[Household, Building, list[Person]]]]] = []
    for unit in units:
        rate = completion_rate(villages.index(unit.region.code))
        registered = round(unit.households * rate)
        per_household = unit.population / unit.households if unit.households else 2.9
        lon = unit.label_lon or ((unit.min_lon or 0) + (unit.max_lon or 0)) / 2
        lat = unit.label_lat or ((unit.min_lat or 0) + (unit.max_lat or 0)) / 2
        entries = []
        for i in range(registered):
            serial = building_serial.get(unit.region_id, 0) + 1
            building_serial[unit.region_id] = serial
            building = Building(
                grid=unit,
                community_id=unit.region_id,
                number=f"{serial:05d}",
                address=f"{unit.region.name}{unit.name[-6:]}{i + 1}号",
                use=BuildingUse.RESIDENTIAL,
                floors=rng.choice((1, 1, 1, 2, 2, 3)),
                lon=lon + rng.uniform(-0.002, 0.002),
                lat=lat + rng.uniform(-0.002, 0.002),
            )
            household = Household(
                grid=unit,
                number=f"{unit.code}{i + 1:04d}",
                address=building.address,
                # Seed 003: each household has a contact worker; a few are still unassigned.
                contact_worker_id=None if rng.random() < 0.01 else workers.get(unit.pk),
            )
            size = max(1, round(rng.gauss(per_household, 1.0)))
            members = []
            surname = SURNAMES[rng.randrange(len(SURNAMES))]
            for m in range(size):
                id_serial += 1
                age = rng.randint(30, 80) if m == 0 else rng.randint(1, 85)
                birth = today - dt.timedelta(days=age * 365 + rng.randrange(365))
                first17 = f"370402{birth:%Y%m%d}{id_serial % 1000:03d}"
                # The thousands of the running serial go into the region digits' last two, so
                # every number is distinct while staying a plausible 3704xx code.
                first17 = f"3704{id_serial // 1000 % 100:02d}{first17[6:]}"
                floating = rng.random() < 0.06
                members.append(
                    Person(
                        grid=unit,
                        name=surname + _name(rng)[1:] if m != 1 else _name(rng),
                        id_number=first17 + id_check_digit(first17),
                        gender="1" if int(first17[16]) % 2 else "2",
                        birth_date=birth,
                        ethnicity="01",
                        political_status=(
                            "01" if rng.random() < 0.07 else ("03" if age < 28 else "13")
                        ),
                        relation_to_head="02" if m == 0 else rng.choice(("10", "20", "30", "50")),
                        phone=f"+8613{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
                        if age >= 16 and rng.random() < 0.8
                        else "",
                        population_type=(
                            PopulationType.FLOATING if floating else PopulationType.REGISTERED
                        ),
                        registered_place="山东省枣庄市市中区" if not floating else "山东省临沂市",
                        residence_address=building.address,
                    )
                )
            entries.append((household, building, members))
        plans.append((unit, entries))

    Building.objects.bulk_create([b for _u, es in plans for _h, b, _m in es], batch_size=2000)
    for _unit, entries in plans:
        for household, building, _members in entries:
            household.building = building
    Household.objects.bulk_create([h for _u, es in plans for h, _b, _m in es], batch_size=2000)
    persons = []
    for _unit, entries in plans:
        for household, _building, members in entries:
            for person in members:
                person.household = household
                persons.append(person)
    Person.objects.bulk_create(persons, batch_size=2000)
    heads = []
    tags = []
    for _unit, entries in plans:
        for household, _building, members in entries:
            household.head = members[0]
            heads.append(household)
            for kind, share in KEY_SHARES.items():
                if rng.random() < share:
                    since = today - dt.timedelta(days=rng.randrange(30, 2000))
                    tags.append(HouseholdTag(household=household, kind=kind, since=since))
    Household.objects.bulk_update(heads, ["head"], batch_size=2000)
    HouseholdTag.objects.bulk_create(tags, batch_size=2000)
    counts["households"] = len(heads)
    counts["persons"] = len(persons)
    counts["buildings"] = len(heads)
    counts["key_households"] = len({t.household.pk for t in tags})

    organisations: list[Organisation] = []
    facilities: list[Facility] = []
    for unit, _entries in plans:
        lon = unit.label_lon or 0.0
        lat = unit.label_lat or 0.0
        for b in range(rng.randint(1, 5)):
            industry, org_type = INDUSTRIES[rng.randrange(len(INDUSTRIES))]
            grade = rng.choices(list(RiskGrade.values), weights=(1, 4, 25, 70))[0]
            organisations.append(
                Organisation(
                    grid=unit,
                    kind=OrganisationKind.BUSINESS,
                    name=f"枣庄市{unit.region.name[:2]}{industry[:2]}{['商行', '有限公司', '加工厂', '经营部', '门市'][b]}",
                    credit_code=_credit_code(rng, "370402"),
                    org_type=org_type,
                    legal_representative=_name(rng),
                    address=f"{unit.region.name}{rng.randint(1, 200)}号",
                    lon=lon + rng.uniform(-0.002, 0.002),
                    lat=lat + rng.uniform(-0.002, 0.002),
                    employees=rng.randint(1, 120),
                    industry=industry,
                    risk_grade=grade,
                    key_supervision=grade in {RiskGrade.MAJOR, RiskGrade.HIGH},
                )
            )
        for class_code, name, count in FACILITIES:
            for _ in range(count):
                owner = departments[rng.randrange(len(departments))] if departments else None
                facilities.append(
                    Facility(
                        grid=unit,
                        code=f"{unit.code}{class_code}{len(facilities) + 1:06d}",
                        class_code=class_code,
                        name=name,
                        lon=lon + rng.uniform(-0.003, 0.003),
                        lat=lat + rng.uniform(-0.003, 0.003),
                        owner=owner,
                        maintainer=owner,
                    )
                )
    Organisation.objects.bulk_create(organisations, batch_size=2000)
    Facility.objects.bulk_create(facilities, batch_size=2000)

    # Party: a branch (党支部) per village, a party group (网格党小组) per unit grid whose
    # secretary and members are the grid's party members; some check in from outside (双报到).
    members_by_unit: dict[int, list[Person]] = {}
    for person in persons:
        if person.political_status == "01":
            members_by_unit.setdefault(person.grid_id, []).append(person)
    branches: dict[int, Organisation] = {}
    for unit in units:
        if unit.region_id not in branches:
            branches[unit.region_id] = Organisation(
                grid=unit,
                kind=OrganisationKind.PARTY,
                name=f"中共{unit.region.name}支部委员会",
                party_level=PartyLevel.BRANCH,
            )
    Organisation.objects.bulk_create(branches.values())
    groups = []
    for unit in units:
        party = members_by_unit.get(unit.pk, [])
        groups.append(
            Organisation(
                grid=unit,
                kind=OrganisationKind.PARTY,
                name=f"{unit.name}党小组",
                party_level=PartyLevel.GRID_GROUP,
                parent=branches[unit.region_id],
                secretary=party[0] if party else None,
            )
        )
    Organisation.objects.bulk_create(groups)
    memberships = []
    for group, unit in zip(groups, units, strict=True):
        for person in members_by_unit.get(unit.pk, []):
            checked = rng.random() < 0.15
            memberships.append(
                PartyMembership(
                    organisation=group,
                    person=person,
                    check_in=CheckInKind.WORKPLACE if checked else "",
                    checked_in_on=today - dt.timedelta(days=rng.randrange(400))
                    if checked
                    else None,
                    home_organisation="中共枣庄市市中区机关党支部" if checked else "",
                )
            )
    PartyMembership.objects.bulk_create(memberships, batch_size=2000)
    counts["organisations"] = len(organisations) + len(branches) + len(groups)
    counts["facilities"] = len(facilities)
    counts["party_members"] = len(memberships)
    return counts


def seed_hook(root_code: str, *, with_data: bool = True) -> dict[str, int] | None:
    """Called by the demo builder after the town is built (small additive hook): the registry,
    and log-ins for the special-groups officer (综治专干) and the discipline office (纪检监察)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from gridgov.core.jurisdiction import Role
    from gridgov.core.testing.town import PASSWORD
    from gridgov.people.services import create_user, grant_role

    root = Grid.objects.filter(code=root_code).first()
    if root is None:
        return None
    for username, role in (("special_officer", Role.SPECIAL), ("discipline", Role.DISCIPLINE)):
        if not get_user_model().objects.filter(username=username).exists():
            user = create_user(username=username, password=PASSWORD)
            # A fixed salt: two builds of the demo must give byte-identical data.
            user.password = make_password(PASSWORD, salt="gridgovregistrydemo")
            user.save(update_fields=["password"])
            grant_role(user=user, role=role, grid=root)
    if not with_data or Person.objects.exists():
        return None
    return seed_demo_registry(root=root)


def clear_registry() -> None:
    """Delete every registry row at once (demo --reset): one DELETE per table in dependency order,
    without a change-log row per resident (tens of thousands of rows of demo data)."""
    from django.db import router

    from gridgov.registry import models as m

    using = router.db_for_write(m.Person)
    m.Household.objects.update(head=None)
    m.Organisation.objects.update(parent=None, secretary=None)
    for model in (
        m.DrugUserVisit,
        *m.SPECIAL_GROUP_MODELS,
        m.PartyMembership,
        m.HouseholdTag,
        m.Organisation,
        m.Facility,
        m.Person,
        m.Household,
        m.Room,
        m.Building,
    ):
        model.objects.all()._raw_delete(using)  # type: ignore[attr-defined]
