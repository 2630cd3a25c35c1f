"""Who changed what: every grid and region write through a service leaves a change-log entry
(django-auditlog) with the service's `by` as its actor, whether from the admin, the API or the
command line; a boundary change is logged as a changed digest, not as the polygon; every import
leaves one ImportRun."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.utils import timezone
from shapely.geometry import box

from gridgov.core.testing.town import VILLAGE_A
from gridgov.grids import services
from gridgov.grids.audit import acting_as
from gridgov.grids.models import Grid, GridLevel, ImportKind, ImportOrigin, ImportRun, Region
from gridgov.grids.tests import tiling


def entries_for(obj) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(obj).order_by("pk"))


def test_a_grid_update_is_logged_with_its_actor_and_fields(town):
    office = town.user("admin")
    grid = town.a1
    services.update_grid(grid, by=office, name="王村第一网格", households=120)
    entry = entries_for(grid)[-1]
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == office
    assert entry.changes_dict["name"] == ["王村第1网格", "王村第一网格"]
    assert entry.changes_dict["households"] == ["100", "120"]


def test_a_boundary_change_is_logged_as_a_changed_digest_not_the_polygon(town):
    grid = town.a1
    old_hash = grid.boundary_hash
    assert len(old_hash) == 16
    w, s, e, n = grid.bbox
    services.update_grid(grid, by=town.user("admin"), boundary=box(w, s, e - 0.001, n))
    changes = entries_for(grid)[-1].changes_dict
    assert "boundary" not in changes
    assert "min_lon" not in changes
    assert changes["boundary_hash"][0] == old_hash
    assert changes["boundary_hash"][1] == Grid.objects.get(pk=grid.pk).boundary_hash != old_hash
    assert "area_m2" in changes


def test_system_writes_have_no_actor(town):
    region = services.create_region(code="410182100203", name="新村")
    [entry] = entries_for(region)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor is None


def test_the_outermost_actor_stays_for_nested_services(town):
    admin = town.user("admin")
    with acting_as(admin):
        region = services.create_region(code="410182100204", name="又一村", by=None)
        services.update_region(region, by=None, name="又一村(改)")
    assert [e.actor for e in entries_for(region)] == [admin, admin]
    # and afterwards nothing is attributed any more
    services.update_region(region, name="又一村(再改)")
    assert entries_for(region)[-1].actor is None


def test_an_admin_edit_of_a_grid_is_attributed_to_the_admin(client_for, town):
    grid = town.grid(VILLAGE_A)
    data = {
        "name": "王村(改)",
        "level": grid.level_id,
        "region": grid.region_id,
        "parent": grid.parent_id,
        "boundary": json.dumps(grid.boundary),
        "households": grid.households,
        "population": grid.population,
        "tier": grid.tier,
        "is_active": "on",
    }
    response = client_for("admin").post(f"/admin/grids/grid/{grid.pk}/change/", data)
    assert response.status_code == 302
    entry = entries_for(grid)[-1]
    assert entry.actor.username == "admin"
    assert entry.changes_dict["name"] == ["王村", "王村(改)"]


def test_an_admin_edit_of_a_level_saved_without_a_service_is_attributed_too(client_for, town):
    level = GridLevel.objects.get(depth=0)
    response = client_for("admin").post(
        f"/admin/grids/gridlevel/{level.pk}/change/",
        {"depth": level.depth, "name": "乡镇", "code_digits": level.code_digits},
    )
    assert response.status_code == 302
    entry = entries_for(level)[-1]
    assert entry.actor.username == "admin"
    assert entry.changes_dict["name"] == ["镇", "乡镇"]


def test_an_import_writes_one_import_run(tiled_regions, town):
    admin = town.user("admin")
    before = ImportRun.objects.count()
    started = timezone.now()
    plan = services.import_grids(
        data=tiling.as_bytes(tiling.town_collection()),
        source="town.geojson",
        by=admin,
        origin=ImportOrigin.API,
    )
    assert ImportRun.objects.count() == before + 1
    run = ImportRun.objects.latest("pk")
    assert (run.kind, run.file_name, run.by, run.origin, run.dry_run) == (
        ImportKind.GRIDS,
        "town.geojson",
        admin,
        ImportOrigin.API,
        False,
    )
    assert (run.created, run.updated, run.unchanged, run.warnings) == (15, 0, 0, 0)
    assert plan.count("create") == 15
    assert started <= run.started_at <= run.finished_at


def test_command_line_imports_are_recorded_without_a_user(db, tmp_path):
    path = tmp_path / "regions.csv"
    path.write_bytes(tiling.REGIONS_CSV)
    call_command("import_regions", str(path), "--dry-run", stdout=StringIO())
    call_command("import_regions", str(path), stdout=StringIO())
    again = tmp_path / "renamed.csv"
    again.write_text(tiling.REGIONS_CSV.decode().replace("测试镇", "试验镇"), encoding="utf-8")
    call_command("import_regions", str(again), stdout=StringIO())
    runs = list(ImportRun.objects.order_by("pk"))[-3:]
    assert [(r.dry_run, r.created, r.updated, r.unchanged, r.warnings) for r in runs] == [
        (True, 3, 0, 0, 0),
        (False, 3, 0, 0, 0),
        (False, 0, 1, 2, 0),
    ]
    assert [r.file_name for r in runs] == ["regions.csv", "regions.csv", "renamed.csv"]
    assert all(r.by is None and r.origin == ImportOrigin.CLI for r in runs)
    assert all(r.kind == ImportKind.REGIONS for r in runs)
    assert Region.objects.get(code="410182101000").name == "试验镇"


def test_a_refused_import_writes_no_import_run(db, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("code,name,parent_code\n", encoding="utf-8")
    before = ImportRun.objects.count()
    with pytest.raises(Exception, match="数据库未作任何修改"):
        call_command("import_regions", str(path), stdout=StringIO(), stderr=StringIO())
    assert ImportRun.objects.count() == before


def test_import_runs_are_listed_in_the_admin_read_only(client_for, tiled_town):
    client = client_for("admin")
    page = client.get("/admin/grids/importrun/")
    assert page.status_code == 200
    assert "town.geojson" in page.content.decode()
    run = ImportRun.objects.latest("pk")
    assert client.get("/admin/grids/importrun/add/").status_code == 403
    detail = client.get(f"/admin/grids/importrun/{run.pk}/change/")
    assert detail.status_code == 200
    assert 'name="file_name"' not in detail.content.decode()  # shown, not editable
    assert client_for("town_office").get("/admin/grids/importrun/").status_code == 302
