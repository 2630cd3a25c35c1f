"""The operator's grid commands: import-grids (dry run, warnings, rejection), export-grids (a file
that imports back unchanged)."""

from __future__ import annotations

import copy
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.grids.models import Grid
from gridgov.grids.services import current_grid_revision
from gridgov.grids.tests import tiling
from gridgov.grids.tests.tiling import TOWN, VILLAGES, as_bytes, find, unit_code


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_grids_creates_and_summarises(tiled_regions, tmp_path):
    path = tmp_path / "town.geojson"
    path.write_bytes(as_bytes(tiling.town_collection()))
    out, _err = run("import_grids", str(path))
    assert "town.geojson:已新建 15 个网格,更新 0 个,未变 0 个;警告 0 条" in out
    assert Grid.objects.filter(code__startswith="410182101").count() == 15


def test_import_grids_dry_run_lists_changes_with_fields(tiled_town, tmp_path):
    changed = copy.deepcopy(tiled_town)
    find(changed, unit_code(0, 0, 0))["properties"]["population"] = 333
    path = tmp_path / "fix.geojson"
    path.write_bytes(as_bytes(changed))
    revision = current_grid_revision()
    out, _err = run("import_grids", str(path), "--dry-run")
    assert f"更新 {unit_code(0, 0, 0)} 西村第001网格 [population]" in out
    assert "将新建 0 个网格,更新 1 个,未变 14 个" in out
    assert "试运行:数据库未作任何修改" in out
    assert current_grid_revision() == revision
    assert Grid.objects.get(code=unit_code(0, 0, 0)).population == 300


def test_import_grids_prints_warnings(tiled_town, tmp_path):
    stray = copy.deepcopy(tiled_town)
    find(stray, unit_code(1, 0, 0))["properties"]["parent_code"] = VILLAGES[0]
    path = tmp_path / "stray.geojson"
    path.write_bytes(as_bytes(stray))
    _out, err = run("import_grids", str(path))
    assert f"警告:stray.geojson: 要素 #9({unit_code(1, 0, 0)})" in err


def test_import_grids_rejection_lists_problems_and_exits_1(tiled_town, tmp_path):
    bad = copy.deepcopy(tiled_town)
    find(bad, TOWN)["properties"]["parent_code"] = "nowhere"
    path = tmp_path / "bad.geojson"
    path.write_bytes(as_bytes(bad))
    err = StringIO()
    with pytest.raises(CommandError, match="数据库未作任何修改"):
        call_command("import_grids", str(path), stdout=StringIO(), stderr=err)
    assert f"bad.geojson: 要素 #0({TOWN}): 上级网格 nowhere 不存在" in err.getvalue()


def test_import_grids_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("import_grids", str(tmp_path / "none.geojson"), stdout=StringIO())


def test_export_grids_writes_a_file_that_imports_back_unchanged(tiled_town, tmp_path):
    out, _err = run("export_grids", VILLAGES[1])
    collection = json.loads(out)
    assert [f["properties"]["code"] for f in collection["features"]] == [
        VILLAGES[1],
        *(unit_code(1, c, r) for r in range(2) for c in range(3)),
    ]
    path = tmp_path / "village.geojson"
    path.write_text(out, encoding="utf-8")
    revision = current_grid_revision()
    out, _err = run("import_grids", str(path))
    assert "已新建 0 个网格,更新 0 个,未变 7 个" in out
    assert current_grid_revision() == revision


def test_export_grids_of_an_unknown_code(db):
    with pytest.raises(CommandError, match="不存在"):
        call_command("export_grids", "nowhere", stdout=StringIO())
