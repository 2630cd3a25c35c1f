"""Coverage check 不重不漏 (seed 002): overlaps, gaps and stick-outs, exactly and nothing else."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from gridgov.core.testing import require_realdata
from gridgov.grids import services
from gridgov.grids.coverage import check_coverage
from gridgov.grids.models import Grid
from gridgov.grids.tests import sipdata, tiling
from gridgov.grids.tests.tiling import CELL, TOWN, VILLAGES, as_bytes, unit_code

A1, A2 = unit_code(0, 0, 0), unit_code(0, 1, 0)


def load(collection):
    services.import_grids(data=as_bytes(collection), source="town.geojson")


def town() -> Grid:
    return Grid.objects.get(code=TOWN)


def test_a_correct_tiling_has_no_faults(tiled_town):
    report = check_coverage(town())
    assert report.faults == []
    assert report.ok
    assert report.families == 3  # the town and its two villages
    assert report.grids == 15


def test_moving_one_vertex_gives_exactly_one_overlap(tiled_regions):
    dlon = CELL / 10
    load(tiling.with_east_midpoint_moved(tiling.town_collection(), A1, dlon))
    report = check_coverage(town())
    [fault] = report.faults
    assert fault.kind == "overlap"
    assert fault.parent == VILLAGES[0]
    assert fault.grids == (A1, A2)
    # The bulge is a triangle: base = the cell's height, height = dlon.
    lat_mid = tiling.SOUTH + 1.5 * CELL
    expected = tiling.spherical_rectangle_area(0, lat_mid - CELL / 2, dlon, lat_mid + CELL / 2) / 2
    assert fault.area_m2 == pytest.approx(expected, rel=1e-3)
    # the reported point lies inside the overlap, in A2's west edge strip
    assert tiling.WEST + CELL < fault.lon < tiling.WEST + CELL + dlon
    assert lat_mid - CELL / 2 < fault.lat < lat_mid + CELL / 2


def test_deleting_one_unit_grid_gives_exactly_one_gap_of_its_area(tiled_regions):
    missing = unit_code(1, 1, 1)  # the middle grid of the south row of village B
    load(tiling.without(tiling.town_collection(), missing))
    report = check_coverage(town())
    [fault] = report.faults
    assert fault.kind == "gap"
    assert fault.parent == VILLAGES[1]
    west = tiling.WEST + 4 * CELL
    expected = tiling.spherical_rectangle_area(west, tiling.SOUTH, west + CELL, tiling.SOUTH + CELL)
    assert fault.area_m2 == pytest.approx(expected, rel=1e-6)
    assert west < fault.lon < west + CELL
    assert tiling.SOUTH < fault.lat < tiling.SOUTH + CELL
    # the gap's neighbours, so an office knows where to look
    assert set(fault.grids) == {unit_code(1, c, r) for c, r in [(0, 1), (2, 1), (1, 0)]} | {
        unit_code(1, 0, 0),
        unit_code(1, 2, 0),
    }


def test_each_connected_gap_is_reported_separately(tiled_regions):
    holes = tiling.without(tiling.without(tiling.town_collection(), A1), unit_code(0, 2, 1))
    load(holes)
    faults = check_coverage(town()).faults
    assert [f.kind for f in faults] == ["gap", "gap"]
    assert faults[0].area_m2 == pytest.approx(faults[1].area_m2, rel=1e-3)


def test_a_child_sticking_out_of_its_parent(tiled_regions):
    collection = tiling.town_collection()
    # A1 is on the town's west edge: push its west midpoint out of the village and the town.
    tiling.find(collection, A1)["geometry"]["coordinates"][0][7][0] -= CELL / 10
    load(collection)
    kinds = sorted((f.kind, f.parent, f.grids) for f in check_coverage(town()).faults)
    assert kinds == [("outside", VILLAGES[0], (A1,))]


def test_tolerance_filters_slivers(tiled_regions):
    tiny = 1e-6  # ~0.1 m: a triangle of about 55 m²
    load(tiling.with_east_midpoint_moved(tiling.town_collection(), A1, tiny))
    assert len(check_coverage(town()).faults) == 1
    assert check_coverage(town(), tolerance_m2=100).faults == []
    with override_settings(GRIDGOV={"COVERAGE_TOLERANCE_M2": 100.0}):
        assert check_coverage(town()).ok


def test_grid_without_boundary_is_a_fault(tiled_regions):
    # A file cannot create a grid without a boundary (issue 9); one can lose it afterwards.
    load(tiling.town_collection())
    Grid.objects.filter(code=A1).update(boundary=None)
    faults = check_coverage(town()).faults
    assert ("no_boundary", (A1,)) in [(f.kind, f.grids) for f in faults]
    assert ("gap", VILLAGES[0]) in [(f.kind, f.parent) for f in faults]


def test_checking_a_subtree_ignores_the_rest(tiled_regions):
    load(tiling.without(tiling.town_collection(), unit_code(1, 1, 1)))
    assert check_coverage(Grid.objects.get(code=VILLAGES[0])).ok
    assert not check_coverage(Grid.objects.get(code=VILLAGES[1])).ok


def test_command_exits_1_on_faults_and_prints_json(tiled_regions):
    load(tiling.without(tiling.town_collection(), unit_code(1, 1, 1)))
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_coverage", TOWN, "--json", stdout=out)
    assert exit_info.value.code == 1
    body = json.loads(out.getvalue())
    assert body["counts"] == {"overlap": 0, "gap": 1, "outside": 0, "no_boundary": 0}
    assert body["faults"][0]["parent"] == VILLAGES[1]


def test_command_text_report_and_success(tiled_town):
    out = StringIO()
    call_command("check_coverage", TOWN, stdout=out)  # no SystemExit: no faults
    assert "重叠 0,缝隙 0,超出上级 0,缺少边界 0" in out.getvalue()


def test_the_named_cast_town_tiles_exactly(town):
    assert check_coverage(town.town).ok


# --- the real Suzhou Industrial Park grids ------------------------------------------------------


@pytest.fixture
def sip(db):
    require_realdata("cn_grid_sip_suzhou")
    services.import_regions(files=[("sip_regions.csv", sipdata.regions_csv())])
    return services.import_grids(
        data=sipdata.as_bytes(sipdata.build_collection(fix_duplicate=True)),
        source="sip.geojson",
        repair=True,
    )


def test_real_sip_file_as_published_is_rejected_for_its_faults(db):
    require_realdata("cn_grid_sip_suzhou")
    services.import_regions(files=[("sip_regions.csv", sipdata.regions_csv())])
    from gridgov.core.errors import ImportRejectedError

    with pytest.raises(ImportRejectedError) as info:
        services.import_grids(
            data=sipdata.as_bytes(sipdata.build_collection(fix_duplicate=False)),
            source="sip.geojson",
        )
    problems = [str(p) for p in info.value.problems]
    # 兴浦社区 and 金胜社区 share one code; 3 communities and 2 grids cross themselves.
    assert sum("重复" in p and sipdata.DUPLICATE_CODE in p for p in problems) == 1
    assert sum("自相交" in p for p in problems) == 5
    assert len(problems) == 6
    assert not Grid.objects.filter(code=sipdata.ROOT_CODE).exists()


def test_real_sip_grids_coverage_findings(sip):
    # Imported with warnings for the five grids whose codes name a community that does not
    # exist (SOURCE.md: "codes that do not always match their community"), and for the two
    # codes that are not digits: the park's "SIP" and the office's stand-in for 金胜社区.
    stray = sorted(w.location for w in sip.warnings if "不全是数字" not in w.message)
    assert len(stray) == 5
    assert all(sipdata.MISMATCHED_PREFIX in w for w in stray)
    not_digits = sorted(w.location for w in sip.warnings if "不全是数字" in w.message)
    assert not_digits == ["要素 #0(SIP)", f"要素 #179({sipdata.PROVISIONAL_CODE})"]
    assert sum("已修复" in note for note in sip.notes) == 5

    report = check_coverage(Grid.objects.get(code=sipdata.ROOT_CODE))
    assert report.families == 179  # the park and the 178 communities that have grids
    assert report.grids == 1 + 179 + 826
    # Communities never overlap each other, nor do comprehensive grids within a community.
    assert report.count("overlap") == 0
    # Comprehensive grids cover where people live; roads, water and parks between them are
    # left out, so every community has real gaps (none is a digitising sliver).
    gaps = [f for f in report.faults if f.kind == "gap"]
    assert len(gaps) == 248
    assert min(f.area_m2 for f in gaps) > 1000
    assert len({f.parent for f in gaps}) == 170
    # The two faults that stick out are grids coded under the shared community code: they lie
    # partly in 金胜社区, the other community with that code.
    outside = [f for f in report.faults if f.kind == "outside"]
    assert [f.grids for f in outside] == [("320506010009006",), ("320506010009007",)]
    assert all(f.parent == sipdata.DUPLICATE_CODE for f in outside)
    assert all(30_000 < f.area_m2 < 40_000 for f in outside)
    jinsheng = Grid.objects.get(code=sipdata.PROVISIONAL_CODE)
    from shapely.geometry import Point, shape

    outline = shape(jinsheng.boundary)
    assert all(outline.contains(Point(f.lon, f.lat)) for f in outside)
    assert report.count("no_boundary") == 0


def test_child_corner_on_a_slanted_parent_edge_is_not_a_phantom_fault(tiled_regions):
    """Topology is decided in lon/lat, where the boundaries are drawn: a child's corner that lies
    on a parent's slanted edge (the parent lacking that vertex) is no fault. Projected first,
    the straight edge would bend by decimetres and invent a sliver of hundreds of m²."""
    from gridgov.grids.models import GridLevel, Region
    from gridgov.grids.services import create_grid

    levels = {lv.depth: lv for lv in GridLevel.objects.all()}
    west_village = Region.objects.get(code=VILLAGES[0])
    # Right triangle whose hypotenuse runs from (113.36, 34.80) to (113.30, 34.86); the cut at
    # lon 113.33 meets it at its midpoint (113.33, 34.83), which is not a vertex of the parent.
    parent = create_grid(
        code="410182101201",
        name="斜边村",
        level=levels[1],
        region=west_village,
        boundary={
            "type": "Polygon",
            "coordinates": [[[113.30, 34.80], [113.36, 34.80], [113.30, 34.86], [113.30, 34.80]]],
        },
    )
    left = [[113.30, 34.80], [113.33, 34.80], [113.33, 34.83], [113.30, 34.86], [113.30, 34.80]]
    right = [[113.33, 34.80], [113.36, 34.80], [113.33, 34.83], [113.33, 34.80]]
    for serial, ring in enumerate((left, right), start=1):
        create_grid(
            code=f"410182101201{serial:03d}",
            name=f"斜边{serial}",
            level=levels[2],
            region=west_village,
            parent=parent,
            boundary={"type": "Polygon", "coordinates": [ring]},
        )
    report = check_coverage(parent)
    assert report.faults == []
