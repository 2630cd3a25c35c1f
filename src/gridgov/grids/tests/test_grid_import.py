"""Importing grids from GeoJSON: create, update, dry run, warnings, and every kind of bad input
rejected with a located message and the database unchanged."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from gridgov.core.errors import DomainError, ImportRejectedError
from gridgov.grids import services
from gridgov.grids.exporting import export_grids
from gridgov.grids.models import Grid, GridLevel
from gridgov.grids.services import current_grid_revision
from gridgov.grids.tests import tiling
from gridgov.grids.tests.tiling import TOWN, VILLAGES, as_bytes, find, unit_code

A1 = unit_code(0, 0, 0)
A2 = unit_code(0, 1, 0)


def run(collection: dict[str, Any] | bytes, **options: Any) -> services.GridImportPlan:
    data = collection if isinstance(collection, bytes) else as_bytes(collection)
    return services.import_grids(data=data, source="town.geojson", **options)


def rejected(collection: dict[str, Any] | bytes, **options: Any) -> list[str]:
    before = snapshot()
    with pytest.raises(ImportRejectedError) as info:
        run(collection, **options)
    assert snapshot() == before, "a rejected import must leave the database unchanged"
    return [str(p) for p in info.value.problems]


def snapshot() -> tuple[Any, ...]:
    return (
        current_grid_revision(),
        tuple(Grid.objects.order_by("code").values_list("code", "name", "path", "area_m2")),
        tuple(GridLevel.objects.values_list("name", "depth")),
    )


def test_import_creates_the_tree_with_paths_and_derived_columns(tiled_regions):
    revision = current_grid_revision()
    plan = run(tiling.town_collection())
    assert plan.count("create") == 15
    assert current_grid_revision() == revision + 1
    unit = Grid.objects.select_related("level", "region", "parent").get(code=A1)
    assert unit.path == f"/{TOWN}/{VILLAGES[0]}/{A1}/"
    assert unit.parent.code == VILLAGES[0]
    assert unit.level.name == "单元网格"
    assert unit.region.code == VILLAGES[0]  # a unit grid lies in its community
    assert Grid.objects.get(code=TOWN).region.code == "410182101000"
    assert unit.bbox == pytest.approx((113.40, 34.81, 113.41, 34.82))
    assert unit.area_m2 == pytest.approx(
        tiling.spherical_rectangle_area(113.40, 34.81, 113.41, 34.82), rel=1e-9
    )
    assert 113.40 < unit.label_lon < 113.41
    assert (unit.households, unit.population, unit.tier) == (100, 300, 1)


def test_reimporting_the_same_file_changes_nothing(tiled_town):
    revision = current_grid_revision()
    plan = run(tiled_town)
    assert plan.count("unchanged") == 15
    assert plan.count("update") == plan.count("create") == 0
    assert current_grid_revision() == revision


def test_export_then_import_round_trips_unchanged(tiled_town):
    exported = export_grids(Grid.objects.get(code=TOWN))
    assert len(exported["features"]) == 15
    assert exported["features"][0]["properties"] == {
        "code": TOWN,
        "name": "测试镇",
        "level": "镇",
        "parent_code": None,
        "region_code": "410182101000",
        "households": 0,
        "population": 0,
        "tier": 2,
    }
    plan = run(exported)
    assert {c.action for c in plan.changes} == {"unchanged"}
    assert export_grids(Grid.objects.get(code=TOWN)) == exported


def test_corrected_boundary_updates_the_grid_and_its_area(tiled_town):
    corrected = tiling.with_east_midpoint_moved(tiled_town, A1, 0.001)
    find(corrected, A1)["properties"]["households"] = 120
    before = Grid.objects.get(code=A1).area_m2
    revision = current_grid_revision()
    plan = run(corrected)
    [change] = [c for c in plan.changes if c.action != "unchanged"]
    assert (change.code, change.action, sorted(change.fields)) == (
        A1,
        "update",
        ["boundary", "households"],
    )
    grid = Grid.objects.get(code=A1)
    assert grid.area_m2 > before
    assert grid.max_lon == pytest.approx(113.411)
    assert grid.households == 120
    assert current_grid_revision() == revision + 1


def test_dry_run_reports_fields_and_writes_nothing(tiled_town):
    changed = copy.deepcopy(tiled_town)
    find(changed, A2)["properties"]["name"] = "新名字"
    changed["features"].append(
        tiling.feature(
            VILLAGES[0] + "007",
            "新网格",
            "单元网格",
            VILLAGES[0],
            tiling.rectangle(113.40, 34.79, 113.41, 34.80),
        )
    )
    before = snapshot()
    plan = run(changed, dry_run=True)
    assert snapshot() == before
    actions = {c.code: (c.action, c.fields) for c in plan.changes if c.action != "unchanged"}
    assert actions == {A2: ("update", ["name"]), VILLAGES[0] + "007": ("create", [])}


def test_absent_properties_keep_stored_values(tiled_town):
    sparse = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"code": A1, "tier": 3}, "geometry": None}],
    }
    plan = run(sparse)
    assert [(c.action, c.fields) for c in plan.changes] == [("update", ["tier"])]
    grid = Grid.objects.get(code=A1)
    assert (grid.tier, grid.households, grid.name, grid.parent.code) == (
        3,
        100,
        "西村第001网格",
        VILLAGES[0],
    )
    assert grid.boundary is not None


def test_moving_a_village_rewrites_the_paths_of_its_whole_subtree(tiled_town):
    """Re-parenting in a file moves grids that are not in the file too."""
    other = tiling.feature(
        "410182101999",
        "新镇",
        "镇",
        None,
        tiling.rectangle(tiling.WEST - 0.1, tiling.SOUTH, tiling.WEST - 0.05, tiling.SOUTH + 0.05),
        region_code="410182101",
    )
    moved = {
        "type": "FeatureCollection",
        "features": [
            other,
            {
                "type": "Feature",
                "properties": {"code": VILLAGES[1], "parent_code": other["properties"]["code"]},
                "geometry": None,
            },
        ],
    }
    run(moved)
    unit = Grid.objects.get(code=unit_code(1, 2, 1))
    assert unit.path == f"/410182101999/{VILLAGES[1]}/{unit.code}/"
    assert Grid.objects.get(code=A1).path.startswith(f"/{TOWN}/")


def test_code_not_matching_its_community_is_a_warning_not_an_error(tiled_town):
    stray = copy.deepcopy(tiled_town)
    # A grid of village B filed under village A: the code says B, the parent says A.
    find(stray, unit_code(1, 0, 0))["properties"]["parent_code"] = VILLAGES[0]
    plan = run(stray, dry_run=True)
    assert [w.location for w in plan.warnings] == [f"要素 #9({unit_code(1, 0, 0)})"]
    assert VILLAGES[0] in plan.warnings[0].message
    assert "未自动更正" in plan.warnings[0].message


def test_code_that_is_not_digits_is_a_warning_naming_the_convention(tiled_town):
    odd = copy.deepcopy(tiled_town)
    odd["features"].append(
        tiling.feature(
            "12AB",
            "没有编码规则的网格",
            "单元网格",
            VILLAGES[0],
            tiling.rectangle(113.40, 34.80, 113.401, 34.801),
        )
    )
    plan = run(odd, dry_run=True)
    [warning] = plan.warnings
    assert warning.location == "要素 #15(12AB)"
    assert "不全是数字" in warning.message
    assert "15 位数字(12 位社区代码 + 3 位序号)" in warning.message


def test_a_problem_shared_by_many_features_is_listed_once_with_its_count(db):
    """A first import into a deployment without the file's regions: one line, not fifteen."""
    exported = copy.deepcopy(tiling.town_collection())
    for item in exported["features"]:
        code = item["properties"]["code"]
        item["properties"]["region_code"] = code[:12]
    problems = rejected(exported)
    assert problems == [
        "town.geojson: 区划不存在;请先用 import-regions 导入区划:共 15 个要素,如 "
        f"要素 #0({TOWN})、要素 #1({VILLAGES[0]})、要素 #2({A1}) 等;涉及 "
        f"{TOWN}、{VILLAGES[0]}、{VILLAGES[1]}"
    ]


def test_a_problem_of_a_few_features_is_still_listed_per_feature(tiled_town):
    bad = copy.deepcopy(tiled_town)
    for code in (A1, A2):
        find(bad, code)["properties"]["region_code"] = "410182101299"
    problems = rejected(bad)
    assert problems == [
        f"town.geojson: 要素 #{i}({code}): 区划 410182101299 不存在;请先用 import-regions 导入区划"
        for i, code in ((2, A1), (3, A2))
    ]


def test_first_import_into_an_empty_deployment_creates_levels_on_request(tiled_regions):
    GridLevel.objects.filter(grids__isnull=True).delete()
    fresh = copy.deepcopy(tiling.town_collection())
    for item in fresh["features"]:
        item["properties"]["level"] = {"镇": "街道", "村": "社区", "单元网格": "网格"}[
            item["properties"]["level"]
        ]
    problems = rejected(fresh)
    assert any("层级 '网格' 未配置" in p and "--create-levels" in p for p in problems)
    # The cast's levels take depths 0-2, so new names cannot take those depths again.
    problems = rejected(fresh, create_levels=True)
    assert any("深度 0 已配置为层级 镇" in p for p in problems)


def test_create_levels_places_new_levels_by_depth(db, tiled_regions):
    Grid.objects.all().delete()
    GridLevel.objects.all().delete()
    plan = run(tiling.town_collection(), create_levels=True)
    assert [(lv.depth, lv.name, lv.code_digits) for lv in plan.new_levels] == [
        (0, "镇", 0),
        (1, "村", 0),
        (2, "单元网格", 3),
    ]
    assert list(GridLevel.objects.values_list("depth", "name")) == [
        (0, "镇"),
        (1, "村"),
        (2, "单元网格"),
    ]


def test_level_may_be_given_by_depth(tiled_regions):
    by_depth = copy.deepcopy(tiling.town_collection())
    for item in by_depth["features"]:
        item["properties"]["level"] = {"镇": 0, "村": "1", "单元网格": 2}[
            item["properties"]["level"]
        ]
    run(by_depth)
    assert Grid.objects.get(code=A1).level.name == "单元网格"


# --- bad input ----------------------------------------------------------------------------------


def test_invalid_json_names_file_and_line(tiled_town):
    [problem] = rejected(b'{"type": "FeatureCollection",\n "features": [}')
    assert problem.startswith("town.geojson: ")
    assert "第 2 行" in problem


def test_absurdly_nested_json_is_refused_not_a_traceback(tiled_town):
    [problem] = rejected(b"[" * 100_000 + b"]" * 100_000)
    assert problem.startswith("town.geojson: ")
    assert "嵌套" in problem


def test_non_utf8_file_is_refused(tiled_town):
    data = as_bytes(tiled_town).replace("西村".encode(), "西村".encode("gbk"), 1)
    [problem] = rejected(data)
    assert "不是 UTF-8" in problem


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"type": "Feature"}, "FeatureCollection"),
        ([1, 2], "FeatureCollection"),
        ({"type": "FeatureCollection"}, "features"),
        ({"type": "FeatureCollection", "features": []}, "没有要素"),
    ],
)
def test_not_a_feature_collection(tiled_regions, document, expected):
    [problem] = rejected(json.dumps(document).encode())
    assert expected in problem


def test_self_intersecting_polygon_is_reported_with_index_and_code(tiled_town):
    bowtie = copy.deepcopy(tiled_town)
    ring = find(bowtie, A2)["geometry"]["coordinates"][0]
    ring[2], ring[6] = ring[6], ring[2]  # swap two corners: the ring crosses itself
    [problem] = rejected(bowtie)
    assert f"要素 #3({A2})" in problem
    assert "自相交" in problem
    assert "--repair" in problem


def test_repair_is_applied_only_when_asked(tiled_town):
    bowtie = copy.deepcopy(tiled_town)
    ring = find(bowtie, A2)["geometry"]["coordinates"][0]
    ring[2], ring[6] = ring[6], ring[2]
    plan = run(bowtie, repair=True)
    assert any(A2 in note and "已修复" in note for note in plan.notes)
    grid = Grid.objects.get(code=A2)
    assert grid.boundary["type"] in {"Polygon", "MultiPolygon"}
    assert grid.area_m2 > 0


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        (
            {"type": "Polygon", "coordinates": [[[200, 34], [201, 34], [201, 35], [200, 34]]]},
            "超出经纬度范围",
        ),
        ({"type": "Point", "coordinates": [113.4, 34.8]}, "Polygon 或 MultiPolygon"),
        ({"type": "Polygon", "coordinates": [[[113.4, 34.8], [113.41, 34.8]]]}, "坐标格式错误"),
        ({"type": "Polygon"}, "坐标格式错误"),
    ],
)
def test_bad_geometry_is_reported(tiled_town, geometry, expected):
    bad = copy.deepcopy(tiled_town)
    find(bad, A1)["geometry"] = geometry
    [problem] = rejected(bad)
    assert f"({A1})" in problem
    assert expected in problem


def test_missing_parent_is_reported(tiled_town):
    orphan = copy.deepcopy(tiled_town)
    find(orphan, A1)["properties"]["parent_code"] = "410182101299"
    [problem] = rejected(orphan)
    assert f"({A1})" in problem
    assert "上级网格 410182101299 不存在" in problem


def test_cycle_in_the_file_is_reported(tiled_regions):
    looped = tiling.town_collection()
    find(looped, TOWN)["properties"]["parent_code"] = A1
    problems = rejected(looped)
    assert any("成环" in p and TOWN in p and A1 in p for p in problems)


def test_cycle_through_the_database_is_reported(tiled_town):
    """The town is made a child of one of its own unit grids, which are not in the file."""
    looped = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": TOWN, "parent_code": A1}, "geometry": None}
        ],
    }
    [problem] = rejected(looped)
    assert problem.endswith(f"上级关系成环:{TOWN} → {A1} → {VILLAGES[0]} → {TOWN}")


def test_duplicate_codes_are_reported(tiled_town):
    doubled = copy.deepcopy(tiled_town)
    doubled["features"].append(copy.deepcopy(find(doubled, A1)))
    [problem] = rejected(doubled)
    assert f"要素 #15({A1})" in problem
    assert "重复(与要素 #2 相同)" in problem


def test_child_must_sit_below_its_parent_level(tiled_town):
    flat = copy.deepcopy(tiled_town)
    find(flat, A1)["properties"]["level"] = "村"
    [problem] = rejected(flat)
    assert "层级须低于其上级网格" in problem


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"code": ""}, "缺少网格编码"),
        ({"code": "a b"}, "不含空格"),
        ({"tier": 4}, "tier"),
        ({"households": -1}, "households"),
        ({"households": 10**30}, "households 须为 0 到 2,000,000,000 的整数"),
        ({"population": 2**70}, "population"),
        ({"population": "many"}, "population"),
        ({"name": ""}, "名称"),
        ({"region_code": "999999"}, "区划 999999 不存在"),
    ],
)
def test_bad_properties_are_reported(tiled_town, props, expected):
    bad = copy.deepcopy(tiled_town)
    find(bad, A1)["properties"].update(props)
    problems = rejected(bad)
    assert any(expected in p for p in problems)


def test_every_problem_is_listed_at_once(tiled_town):
    bad = copy.deepcopy(tiled_town)
    find(bad, A1)["properties"]["tier"] = 9
    find(bad, A2)["properties"]["parent_code"] = "nowhere"
    find(bad, TOWN)["geometry"] = {"type": "Point", "coordinates": [0, 0]}
    problems = rejected(bad)
    assert len(problems) == 3
    # ordered by feature index
    assert [p.split(":")[1].strip()[:4] for p in problems] == ["要素 #", "要素 #", "要素 #"]


def test_new_grid_needs_name_and_level(tiled_town):
    bad = copy.deepcopy(tiled_town)
    bad["features"].append(
        {
            "type": "Feature",
            "properties": {"code": VILLAGES[0] + "009", "parent_code": VILLAGES[0]},
            "geometry": None,
        }
    )
    problems = rejected(bad)
    assert any("新网格须给出层级" in p for p in problems)


# --- services used by the admin -----------------------------------------------------------------


def test_update_grid_moves_a_subtree_and_bumps_the_revision(tiled_town):
    village = Grid.objects.get(code=VILLAGES[1])
    other_town = services.create_grid(
        code="410182101998",
        name="另一镇",
        level=GridLevel.objects.get(depth=0),
        region=village.region,
    )
    revision = current_grid_revision()
    services.update_grid(village, parent=other_town)
    assert current_grid_revision() == revision + 1
    paths = set(Grid.objects.filter(code__startswith=VILLAGES[1]).values_list("path", flat=True))
    assert len(paths) == 7
    assert all(p.startswith(f"/410182101998/{VILLAGES[1]}/") for p in paths)


def test_update_grid_refuses_to_move_under_its_own_subtree(tiled_town):
    town = Grid.objects.get(code=TOWN)
    with pytest.raises(DomainError, match="下级"):
        services.update_grid(town, parent=Grid.objects.get(code=A1))


def test_update_grid_refuses_an_invalid_boundary(tiled_town):
    ring = [[113.40, 34.81], [113.41, 34.82], [113.41, 34.81], [113.40, 34.82], [113.40, 34.81]]
    with pytest.raises(DomainError, match="自相交"):
        services.update_grid(
            Grid.objects.get(code=A1), boundary={"type": "Polygon", "coordinates": [ring]}
        )


def test_delete_grid_refuses_a_grid_with_children(tiled_town):
    with pytest.raises(DomainError, match="下级网格"):
        services.delete_grid(Grid.objects.get(code=VILLAGES[0]))
    revision = current_grid_revision()
    services.delete_grid(Grid.objects.get(code=A1))
    assert not Grid.objects.filter(code=A1).exists()
    assert current_grid_revision() == revision + 1


# --- hostile files (issue 9, defect 4): each a located error, nothing written ------------------


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_nan_or_infinite_coordinates_are_a_located_error(tiled_town, bad, recwarn):
    ring = find(tiled_town, A1)["geometry"]["coordinates"][0]
    corrupted = copy.deepcopy(tiled_town)
    find(corrupted, A1)["geometry"]["coordinates"][0][1] = [ring[1][0], "__BAD__"]
    data = as_bytes(corrupted).replace(b'"__BAD__"', bad.encode())
    [problem] = rejected(data)
    assert f"#2({A1})" in problem
    assert "NaN" in problem
    # shapely never saw the NaN (it would have warned about it)
    assert not [w for w in recwarn if "invalid value" in str(w.message)]


def test_a_list_as_code_is_refused_not_stored_as_its_repr(tiled_town):
    bad = copy.deepcopy(tiled_town)
    find(bad, A1)["properties"]["code"] = ["x"]
    [problem] = rejected(bad)
    assert "#2" in problem
    assert "properties.code" in problem
    assert not Grid.objects.filter(code="['x']").exists()


def test_a_new_grid_without_geometry_is_refused(tiled_town):
    run(tiled_town)
    extra = tiling.feature("410182101201099", "无边界", "单元网格", VILLAGES[0], None)
    problems = rejected({"type": "FeatureCollection", "features": [extra]})
    assert problems == [
        "town.geojson: 要素 #0(410182101201099): 新网格须有边界(geometry 不能为 null)"
    ]


def test_null_geometry_still_keeps_an_existing_grids_boundary(tiled_town):
    run(tiled_town)
    keep = {"type": "Feature", "properties": {"code": A1, "name": "改名"}, "geometry": None}
    run({"type": "FeatureCollection", "features": [keep]})
    grid = Grid.objects.get(code=A1)
    assert grid.name == "改名"
    assert grid.boundary is not None


def test_an_unclosed_ring_is_refused_not_silently_closed(tiled_town):
    bad = copy.deepcopy(tiled_town)
    ring = find(bad, A1)["geometry"]["coordinates"][0]
    find(bad, A1)["geometry"]["coordinates"][0] = ring[:-1]
    [problem] = rejected(bad)
    assert f"#2({A1})" in problem
    assert "未闭合" in problem
