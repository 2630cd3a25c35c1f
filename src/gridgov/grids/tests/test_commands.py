"""The operator's grid commands: import-grids (dry run, warnings, rejection), export-grids (a file
that imports back unchanged), and the exit statuses every grid command shares (0 done, 1 data
refused or faults found, 2 usage error), documented in each command's --help."""

from __future__ import annotations

import copy
import json
from io import StringIO

import pytest
from django.core.management import call_command, load_command_class
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


# --- exit statuses ------------------------------------------------------------------------------

GRID_COMMANDS = ("import_regions", "import_grids", "export_grids", "check_coverage", "locate")


def exit_status(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    """Run a command as `gridgov` does (argv parsing, CommandError → exit status), in-process."""
    from django.core.management import base

    # run_from_argv closes every connection afterwards: that would end the test's transaction.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    command = load_command_class("gridgov.grids", argv[0])
    try:
        command.run_from_argv(["gridgov", argv[0], "--skip-checks", *argv[1:]])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_unknown_code_is_a_usage_error_not_a_fault(tiled_town, monkeypatch, capsys):
    assert exit_status(monkeypatch, "check_coverage", "999") == 2
    assert "网格 999 不存在" in capsys.readouterr().err
    assert exit_status(monkeypatch, "export_grids", "999") == 2


def test_check_coverage_exits_0_clean_1_on_faults_2_on_bad_options(
    tiled_town, monkeypatch, tmp_path
):
    assert exit_status(monkeypatch, "check_coverage", TOWN) == 0
    gap = tmp_path / "gap.geojson"
    gap.write_bytes(as_bytes(tiling.without(tiled_town, unit_code(0, 0, 0))))
    Grid.objects.filter(code=unit_code(0, 0, 0)).delete()
    assert exit_status(monkeypatch, "check_coverage", TOWN) == 1
    assert exit_status(monkeypatch, "check_coverage", "--tolerance", "-1") == 2
    assert exit_status(monkeypatch, "check_coverage", "--no-such-option") == 2


def test_imports_exit_1_when_refused_and_2_when_the_file_cannot_be_read(
    tiled_town, monkeypatch, tmp_path
):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code\n", encoding="utf-8")
    assert exit_status(monkeypatch, "import_regions", str(bad)) == 1
    assert exit_status(monkeypatch, "import_regions", str(tmp_path / "none.csv")) == 2
    assert exit_status(monkeypatch, "import_grids", str(tmp_path / "none.geojson")) == 2
    assert exit_status(monkeypatch, "locate", "x", "y") == 2
    assert exit_status(monkeypatch, "locate", "113.405", "34.815") == 0


@pytest.mark.parametrize("name", GRID_COMMANDS)
def test_every_grid_command_documents_its_exit_statuses(name):
    text = load_command_class("gridgov.grids", name).create_parser("gridgov", name).format_help()
    assert "exit status:" in text
    assert "  0  done" in text
    assert "  2  usage error" in text
