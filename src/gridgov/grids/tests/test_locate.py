"""Point to grid: the unit grid and its ancestors, WGS84/GCJ-02/BD-09 at the boundary, batches,
deterministic answers on shared edges, and an index that follows grid changes without a
restart."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.core import coords
from gridgov.core.testing.town import (
    INSIDE,
    OUTSIDE_POINT,
    TOWN_CODE,
    UNIT_A1,
    UNIT_A2,
    VILLAGE_A,
)
from gridgov.grids import services
from gridgov.grids.index import get_index, locate, locate_points
from gridgov.grids.models import Grid
from gridgov.grids.tests import tiling


def test_a_point_resolves_to_its_unit_grid_and_ancestors(town):
    found = locate(*INSIDE[UNIT_A1])
    assert found is not None
    assert (found.code, found.name, found.unit) == (UNIT_A1, "王村第1网格", True)
    assert found.ancestors == (TOWN_CODE, VILLAGE_A)
    assert found.region_codes == (
        "410000000000",
        "410100000000",
        "410182000000",
        "410182100000",
        VILLAGE_A,
    )
    assert found.grid == town.a1


def test_a_point_outside_every_grid_is_none(town):
    assert locate(*OUTSIDE_POINT) is None


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_phone_coordinates_are_converted_at_the_boundary(town, crs):
    # A point near A1's east edge: in WGS84 it is in A1; read naively as GCJ-02 it would not be.
    lon, lat = 113.3095, 34.81
    forward = coords.wgs84_to_gcj02 if crs == "gcj02" else coords.wgs84_to_bd09
    shifted = forward(lon, lat)
    assert locate(*shifted).code != UNIT_A1  # the raw phone point lands elsewhere
    assert locate(*shifted, crs=crs).code == UNIT_A1


def test_points_on_a_shared_edge_resolve_to_the_lower_code(town):
    edge_lon = 113.31  # A1 | A2
    for lat in (34.801, 34.81, 34.819):
        assert locate(edge_lon, lat).code == UNIT_A1
    # a corner on the town's edge is covered by both grids too; the answer is still one
    assert locate(113.31, 34.82).code == UNIT_A1


def test_batches_keep_order_and_mark_outside(town):
    points = [INSIDE[UNIT_A2], OUTSIDE_POINT, INSIDE[UNIT_A1], INSIDE[UNIT_A2]]
    results = locate_points([p[0] for p in points], [p[1] for p in points])
    assert [r.code if r else None for r in results] == [UNIT_A2, None, UNIT_A1, UNIT_A2]


def test_a_large_batch_is_resolved_in_one_vectorised_pass(town):
    rng = np.random.default_rng(7)
    lon = rng.uniform(113.30, 113.34, 20_000)
    lat = rng.uniform(34.80, 34.82, 20_000)
    results = locate_points(lon, lat)
    expected_serial = np.floor((lon - 113.30) / 0.01).astype(int)
    codes = [r.code for r in results]
    # every point lies in the grid of its column (the cast's grids are 0.01° wide columns)
    columns = {0: UNIT_A1, 1: UNIT_A2, 2: "410182100202001", 3: "410182100202002"}
    assert codes == [columns[min(s, 3)] for s in expected_serial]


def test_an_imported_grid_is_seen_by_the_next_lookup_without_restart(tiled_regions):
    point = (113.405, 34.815)
    assert locate(*point) is None
    services.import_grids(data=tiling.as_bytes(tiling.town_collection()), source="t.geojson")
    found = locate(*point)
    assert found is not None
    assert found.code == tiling.unit_code(0, 0, 0)


def test_a_changed_boundary_is_seen_by_the_next_lookup(tiled_town):
    a1 = tiling.unit_code(0, 0, 0)
    a2 = tiling.unit_code(0, 1, 0)
    point = (113.4105, 34.815)  # just east of the A1 | A2 edge
    assert locate(*point).code == a2
    services.import_grids(
        data=tiling.as_bytes(tiling.with_east_midpoint_moved(tiled_town, a1, 0.002)),
        source="fix.geojson",
    )
    assert locate(*point).code == a1  # A1 now bulges over the point (lower code wins overlap)


def test_the_index_is_not_rebuilt_while_nothing_changes(town):
    first = get_index()
    assert get_index() is first
    services.update_grid(town.a1, households=101)
    assert get_index() is not first


def test_a_point_in_a_gap_resolves_to_the_deepest_covering_grid(tiled_regions):
    gap_unit = tiling.unit_code(1, 1, 1)
    services.import_grids(
        data=tiling.as_bytes(tiling.without(tiling.town_collection(), gap_unit)),
        source="t.geojson",
    )
    found = locate(113.445, 34.805)
    assert (found.code, found.unit) == (tiling.VILLAGES[1], False)
    assert found.ancestors == (tiling.TOWN,)


def test_inactive_grids_are_not_located(town):
    services.update_grid(town.a1, is_active=False)
    assert locate(*INSIDE[UNIT_A1]).code == VILLAGE_A  # the village still covers the point


# --- command line -------------------------------------------------------------------------------


def run_locate(*args: str) -> list[dict]:
    out = StringIO()
    call_command("locate", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_locate_command_prints_json(town):
    [body] = run_locate(*map(str, INSIDE[UNIT_A2]))
    assert body["code"] == UNIT_A2
    assert body["name"] == "王村第2网格"
    assert body["ancestors"] == [TOWN_CODE, VILLAGE_A]
    assert run_locate(*map(str, OUTSIDE_POINT)) == [{"outside": True}]


def test_locate_command_converts_gcj02(town):
    glon, glat = coords.wgs84_to_gcj02(*INSIDE[UNIT_A1])
    [body] = run_locate(str(glon), str(glat), "--crs", "gcj02")
    assert body["code"] == UNIT_A1


def test_locate_csv_prints_one_line_per_row_and_names_bad_rows(town, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text(
        "lon,lat\n"
        f"{INSIDE[UNIT_A1][0]},{INSIDE[UNIT_A1][1]}\n"
        "east,34.8\n"
        f"{OUTSIDE_POINT[0]},{OUTSIDE_POINT[1]}\n"
        "113.3,95\n"
        f"{INSIDE[UNIT_A2][0]},{INSIDE[UNIT_A2][1]}\n"
        "113.3\n",
        encoding="utf-8",
    )
    lines = run_locate("--csv", str(path))
    assert len(lines) == 6
    assert lines[0]["code"] == UNIT_A1
    assert lines[1]["row"] == 3
    assert "不是数字" in lines[1]["error"]
    assert lines[2] == {"outside": True}
    assert lines[3]["row"] == 5
    assert "超出" in lines[3]["error"]
    assert lines[4]["code"] == UNIT_A2
    assert lines[5]["row"] == 7


def test_locate_command_refuses_bad_arguments(town, tmp_path):
    with pytest.raises(CommandError):
        call_command("locate", "east", "34.8", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("locate", stdout=StringIO())
    bad = tmp_path / "x.csv"
    bad.write_text("x,y\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="lon 和 lat"):
        call_command("locate", "--csv", str(bad), stdout=StringIO())


def test_grid_row_is_available_from_a_result(town):
    assert isinstance(locate(*INSIDE[UNIT_A1]).grid, Grid)
