import io
import os
import subprocess
import sys
import time
from collections import defaultdict

import pytest
import shapely
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from shapely.strtree import STRtree

from gridgov.core.jurisdiction import Role
from gridgov.core.testing.town import PASSWORD
from gridgov.demo.builder import (
    CAST,
    TOWN_FRAME,
    TOWN_ROOT,
    DemoConflictError,
    build_demo,
    demo_fingerprint,
)
from gridgov.demo.layout import reading_order
from gridgov.grids.geometry import EqualArea, to_shape
from gridgov.grids.models import Grid, Region
from gridgov.people.models import (
    ONE_LEADER_THREE_MEMBERS,
    Department,
    Jurisdiction,
    Liaison,
    Post,
    PostKind,
)


def coverage_faults(tolerance_m2=1.0):
    """Gaps, overlaps and stick-outs between every grid and its children, in square metres
    (不重不漏, seed 002), measured in an equal-area projection as the coverage check does."""
    grids = list(Grid.objects.all())
    shapes = {g.pk: to_shape(g.boundary) for g in grids}
    root = next(g for g in grids if g.parent_id is None)
    projection = EqualArea.around(shapes[root.pk])
    metric = {pk: projection.forward(s) for pk, s in shapes.items()}
    children = defaultdict(list)
    for g in grids:
        if g.parent_id:
            children[g.parent_id].append(g.pk)
    faults = []
    for parent, kids in children.items():
        union = shapely.union_all([metric[k] for k in kids])
        gap = metric[parent].difference(union).area
        outside = union.difference(metric[parent]).area
        if gap >= tolerance_m2 or outside >= tolerance_m2:
            faults.append(("gap/outside", parent, gap, outside))
        tree = STRtree([metric[k] for k in kids])
        for i, k in enumerate(kids):
            for j in tree.query(metric[k]):
                if j > i:
                    overlap = metric[k].intersection(metric[kids[j]]).area
                    if overlap >= tolerance_m2:
                        faults.append(("overlap", k, kids[j], overlap))
    return faults


@pytest.fixture
def demo(db):
    return build_demo("town", reset=True, with_cases=False)


def test_town_has_the_levels_and_households_of_seed_004(demo):
    assert demo.levels == [("镇", 1), ("工作站", 25), ("基础网格", 52), ("单元网格", 126)]
    assert demo.households == 21_105
    units = Grid.objects.filter(level__depth=3)
    assert sum(units.values_list("households", flat=True)) == 21_105
    assert all(30 <= h <= 500 for h in units.values_list("households", flat=True))
    for grid in Grid.objects.filter(level__depth__lt=3):
        children = grid.children.all()
        assert grid.households == sum(c.households for c in children)
        assert grid.population == sum(c.population for c in children)


def test_village_names_of_seed_004_are_stations(demo):
    names = set(Grid.objects.filter(level__depth=1).values_list("name", flat=True))
    for village in ("齐东", "齐西", "朱子埠", "西圩子", "建国", "乔屯", "二街", "胡埠", "齐福"):
        assert f"{village}村工作站" in names


def test_codes_follow_the_statistical_and_unit_grid_rules(demo):
    stations = list(Grid.objects.filter(level__depth=1).order_by("code"))
    assert [s.code for s in stations] == [f"370402103{n}" for n in range(201, 226)]
    for station in stations:
        assert station.region.code == station.code
        bases = list(station.children.order_by("code"))
        assert [b.code for b in bases] == [
            f"{station.code}{n:02d}" for n in range(1, len(bases) + 1)
        ]
        units = sorted(
            Grid.objects.filter(level__depth=3, path__startswith=station.path).values_list(
                "code", flat=True
            )
        )
        assert units == [f"{station.code}{n:03d}" for n in range(1, len(units) + 1)]


def test_unit_serials_run_west_to_east_north_to_south_in_each_village(demo):
    for station in Grid.objects.filter(level__depth=1):
        units = list(
            Grid.objects.filter(level__depth=3, path__startswith=station.path).order_by("code")
        )
        outlines = [TOWN_FRAME.to_xy(to_shape(u.boundary)) for u in units]
        assert reading_order(outlines) == list(range(len(units))), station.code


def test_town_grids_tile_their_parents_exactly(demo):
    assert coverage_faults() == []
    assert all(
        to_shape(b).geom_type == "Polygon" and to_shape(b).is_valid
        for b in Grid.objects.values_list("boundary", flat=True)
    )


def test_the_coverage_check_finds_no_fault_in_the_town(demo):
    coverage = pytest.importorskip("gridgov.grids.coverage")
    report = coverage.check_coverage(tolerance_m2=0.01)
    assert report.families == 1 + 25 + 52
    assert report.faults == []
    call_command("check_coverage", stdout=io.StringIO())  # exits 1 on faults


def test_every_station_has_one_leader_three_members_and_every_unit_a_worker(demo):
    for station in Grid.objects.filter(level__depth=1):
        titles = sorted(
            Post.objects.current()
            .filter(grid=station)
            .exclude(kind=PostKind.EMBEDDED_OFFICER)
            .values_list("kind", "title")
        )
        assert titles == sorted(ONE_LEADER_THREE_MEMBERS)
        officers = Post.objects.current().filter(grid=station, kind=PostKind.EMBEDDED_OFFICER)
        assert officers.filter(department__code="370402103-POLICE").count() == 1
        assert Liaison.objects.current().filter(grid=station).count() == 1
    for unit in Grid.objects.filter(level__depth=3):
        workers = Post.objects.current().filter(
            grid=unit, kind__in=[PostKind.WORKER_FULL, PostKind.WORKER_PART]
        )
        assert workers.count() == 1, unit.code  # 一格一员 (seed 001)
    for base in Grid.objects.filter(level__depth=2):
        assert Post.objects.current().filter(grid=base, kind=PostKind.GRID_LEADER).count() == 1


def test_about_ten_departments_at_town_and_county_level_with_valid_phones(demo):
    town = Department.objects.filter(level="town")
    county = Department.objects.filter(level="county")
    assert town.count() >= 10
    assert county.count() >= 8
    assert all(
        phone.startswith("+86632") for phone in Department.objects.values_list("phone", flat=True)
    )
    phones = Post.objects.values_list("staff__phone", flat=True)
    assert all(p.startswith("+861") and len(p) == 14 for p in phones)


EXPECTED_CAST = {
    "admin": (Role.ADMIN, None),
    "town_office": (Role.OFFICE, TOWN_ROOT),
    "village_a": (Role.OFFICE, "370402103201"),
    "worker_a1": (Role.WORKER, "370402103201001"),
    "worker_b1": (Role.WORKER, "370402103202001"),
    "env_handler": (Role.HANDLER, "370402103-ENV"),
    "leader": (Role.LEADER, TOWN_ROOT),
}


def test_the_test_cast_logs_into_the_demo_with_its_roles(demo):
    assert set(EXPECTED_CAST) == set(CAST)
    for username, (role, scope) in EXPECTED_CAST.items():
        user = get_user_model().objects.get(username=username)
        assert user.check_password(PASSWORD)
        grant = Jurisdiction.objects.get(user=user, active=True)
        target = grant.grid or grant.department
        assert (grant.role, target.code if target else None) == (role, scope)
        assert user.groups.filter(name=role).exists()
    assert get_user_model().objects.get(username="admin").is_superuser
    logins = {x.username for x in demo.logins}
    assert set(CAST) <= logins
    assert {x.role for x in demo.logins} == set(Role.values)


def test_the_county_has_a_grid_office_operator_and_a_leader(demo):
    county = Region.objects.get(code="370402000000")
    office = Jurisdiction.objects.get(user__username="county_office", active=True)
    assert (office.role, office.region, office.grid, office.department) == (
        Role.OFFICE,
        county,
        None,
        None,
    )
    assert office.user.staff.department.code == "370402-GRID"
    leader = Jurisdiction.objects.get(user__username="county_leader", active=True)
    assert (leader.role, leader.region) == (Role.LEADER, county)
    logins = [x.username for x in demo.logins]
    assert logins[: len(CAST) + 2] == [*CAST, "county_office", "county_leader"]


def test_a_case_escalated_to_the_county_is_dispatched_by_the_county_office(demo):
    """village → town → county (逐级上报, seed 002), then the county's grid centre dispatches it
    to a county bureau, whose handler signs for it: no step needs the platform admin."""
    from django.core.exceptions import PermissionDenied

    from gridgov.cases import services as cases
    from gridgov.cases.models import Case, CaseState, Channel, MatterItem, PlatformLevel
    from gridgov.cases.services.intake import report_case

    users = {u.username: u for u in get_user_model().objects.all()}
    unit = Grid.objects.get(code="370402103201001")
    case = report_case(
        by=users["worker_a1"],
        channel=Channel.PATROL,
        item=MatterItem.objects.get(code="0301"),
        description="村口新建违法建筑,村里制止无效",
        lon=unit.label_lon,
        lat=unit.label_lat,
    ).case
    case = cases.accept_case(case=case, by=users["village_a"])
    case = cases.escalate_case(case=case, by=users["village_a"], note="超出村级职责")
    case = cases.escalate_case(case=case, by=users["town_office"], note="需区直部门处理")
    assert (case.level, case.level_region.code) == (PlatformLevel.COUNTY, "370402000000")

    county_office = users["county_office"]
    assert Case.objects.visible_to(county_office).filter(pk=case.pk).exists()
    bureau = Department.objects.get(code="370402-URBAN")
    with pytest.raises(PermissionDenied):  # the town no longer holds the case
        cases.dispatch_case(case=case, by=users["town_office"], to=bureau)
    with pytest.raises(PermissionDenied):  # the county leader reads, does not act
        cases.dispatch_case(case=case, by=users["county_leader"], to=bureau)
    assert Case.objects.visible_to(users["county_leader"]).filter(pk=case.pk).exists()
    case = cases.dispatch_case(case=case, by=county_office, to=bureau, days=5)
    assert (case.state, case.department) == (CaseState.DISPATCHED, bureau)
    case = cases.handle_case(case=case, by=users["county_urban_handler"])
    assert case.state == CaseState.HANDLING


def test_demo_users_see_their_part_of_the_town(demo):
    client = Client()
    client.force_login(get_user_model().objects.get(username="worker_b1"))
    items = client.get("/api/v1/people/posts").json()["items"]
    assert {i["grid"]["code"] for i in items} == {"370402103202001"}
    client.force_login(get_user_model().objects.get(username="village_a"))
    codes = {
        i["grid"]["code"][:12] for i in client.get("/api/v1/people/posts?limit=500").json()["items"]
    }
    assert codes == {"370402103201"}


def test_public_board_of_a_demo_station(demo):
    board = Client().get("/api/v1/people/boards/370402103201").json()
    assert board["name"] == "齐东村工作站"
    assert [p["post"] for p in board["people"]] == [
        "工作站站长",
        "网格信息管理员",
        "网格信息协管员",
        "网格信息志愿员",
    ]
    assert {o["post"] for o in board["embedded_officers"]} >= {"驻村首席民警"}
    assert board["liaisons"][0]["title"] == "镇党委书记"
    assert board["supervision_unit"] == "齐村镇网格化社会管理服务指挥中心"
    assert board["chain"][0]["leader_name"]
    assert all(p["duties"] for p in board["people"])


def test_building_twice_gives_byte_identical_data(db):
    build_demo("town", reset=True, with_cases=False)
    first = demo_fingerprint()
    build_demo("town", reset=True, with_cases=False)
    assert demo_fingerprint() == first


def test_an_existing_demo_is_left_as_it_is(demo):
    before = demo_fingerprint()
    again = build_demo("town")
    assert again.built is False
    assert again.levels == demo.levels
    assert demo_fingerprint() == before


def test_reset_replaces_people_and_places_but_keeps_configuration(town):
    kept = ["auth.Group", "cases.MatterItem", "core.WorkCalendarDay"]
    installed = [m for m in kept if _model(m) is not None]
    before = {m: _model(m).objects.count() for m in installed}
    build_demo("town", reset=True, with_cases=False)
    assert {m: _model(m).objects.count() for m in installed} == before
    assert not Grid.objects.filter(code__startswith="410182").exists()
    assert not get_user_model().objects.filter(username="admin", staff__isnull=False).exists()


def _model(label):
    from django.apps import apps

    try:
        return apps.get_model(label)
    except LookupError:
        return None


def test_demo_refuses_to_mix_with_other_grid_data(town):
    with pytest.raises(DemoConflictError, match="--reset"):
        build_demo("town")
    assert not Grid.objects.filter(code=TOWN_ROOT).exists()


def test_scale_must_be_known(db):
    with pytest.raises(ValueError, match="scale"):
        build_demo("city")


def test_demo_command_prints_the_log_ins_and_does_not_serve(db):
    out = io.StringIO()
    call_command("demo", "--no-serve", "--reset", "--no-cases", stdout=out)
    text = out.getvalue()
    assert "齐村镇 (370402103000)" in text
    for username in (*CAST, "county_office", "county_leader"):
        assert f"  {username} " in text
    assert "区划 市中区 (370402000000)" in text or "市中区 (370402000000)" in text
    assert PASSWORD in text
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    assert "保持不变" in out.getvalue()


def test_the_demo_cases_are_seeded_by_a_direct_call_unless_left_out(db, monkeypatch):
    calls = []

    def seed(*, summary, by):
        calls.append((summary.root_code, by.username))

    monkeypatch.setattr("gridgov.demo.cases.seed_demo_cases", seed)
    # The other apps' demo data is theirs to test; here it would only cost time.
    for hook in (
        "seed_registry_hook",
        "seed_fieldwork_hook",
        "seed_oversight_hook",
        "seed_hotline_hook",
    ):
        monkeypatch.setattr(f"gridgov.demo.builder.{hook}", lambda *args, **kwargs: None)
    build_demo("town", reset=True, with_cases=False)
    assert calls == []
    build_demo("town", reset=True)
    assert calls == [(TOWN_ROOT, "admin")]


@pytest.mark.slow
def test_district_of_seed_001_builds_quickly_and_tiles_exactly(db):
    started = time.monotonic()
    summary = build_demo("district", reset=True, with_cases=False)
    assert time.monotonic() - started < 45
    assert summary.level_counts == [1, 25, 593, 4418]
    assert coverage_faults() == []
    coverage = pytest.importorskip("gridgov.grids.coverage")
    assert coverage.check_coverage().faults == []
    units = Grid.objects.filter(level__depth=3).order_by("code")
    assert all(len(code) == 15 for code in units.values_list("code", flat=True))
    assert Post.objects.current().filter(grid__level__depth=3).count() == 4418
    assert Grid.objects.get(code="370402103000").name == "齐村镇"
    qicun_users = {x.username: x.scope for x in summary.logins}
    assert qicun_users["village_a"].endswith("(370402103201)")


@pytest.mark.slow
def test_two_processes_build_the_same_fingerprint(tmp_path):
    script = (
        "import django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('migrate', verbosity=0);"
        "from gridgov.demo.builder import build_demo, demo_fingerprint;"
        "build_demo('town', with_cases=False); print(demo_fingerprint())"
    )
    prints = []
    for n, seed in enumerate(("1", "2")):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gridgov.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / f'demo{n}.sqlite3'}",
            "PYTHONHASHSEED": seed,
        }
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        prints.append(result.stdout.strip().splitlines()[-1])
    assert prints[0] == prints[1]
    assert len(prints[0]) == 64


def test_reset_removes_the_demo_questions_so_its_cases_replay(db):
    # The demo adds required questions (气味程度) after replaying its cases; left over from a
    # previous build they would refuse the replayed cases of the next one.
    from gridgov.cases.models import MatterAttribute
    from gridgov.demo.builder import clear_demo_data
    from gridgov.open311.demo import build_demo_attributes

    made = build_demo_attributes()
    assert any(a.required for a in made)
    clear_demo_data()
    assert not MatterAttribute.objects.filter(pk__in=[a.pk for a in made]).exists()
