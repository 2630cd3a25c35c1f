"""The Parquet snapshot road (reports/snapshot.py) gives the plain-SQL figures on hand-made data:
finished months read from their files, the open and dirty months live, also after a late
callback or a reopening touches a frozen month (on the database the suite runs on: SQLite or
PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from gridgov.cases.models import Case, CaseEvent, EventKind
from gridgov.oversight.indicators import Period
from gridgov.oversight.tests.conftest import at
from gridgov.reports import snapshot
from gridgov.reports.engine import choose_engine
from gridgov.reports.stats import Query, compute_statistics
from gridgov.reports.tests.test_stats import _march


@pytest.fixture
def snapdir(settings, tmp_path):
    settings.GRIDGOV_STATS_SNAPSHOT_DIR = tmp_path / "snap"
    return tmp_path / "snap"


def _roads_agree(month: str = "2026-03", root_path: str | None = None):
    period = Period.month(month)
    query = Query(period.start, period.end, root_path=root_path)
    snap = compute_statistics(query, engine="duckdb-snapshot")
    plain = compute_statistics(query, engine="sql")
    assert snap.engine == "duckdb-snapshot"
    assert snap.total == plain.total
    assert snap.areas == plain.areas
    for dimension, breakdown in snap.by.items():
        assert breakdown.groups == plain.by[dimension].groups, dimension
    return snap


def test_finished_months_are_written_once_and_read_from_their_files(
    town, snapdir, make_case, make_task, make_callback
):
    _march(make_case, make_task, make_callback, town)
    assert choose_engine() != "duckdb-snapshot"  # no snapshot yet: the roads of before
    run = snapshot.write_snapshot()
    # The cases were reported on 5 January (the fixture's default) or in March.
    assert run.written == ["2026-01", "2026-03"]
    assert run.rows == {"case": 14, "task": 4, "ext": 1, "event": 4}
    assert (snapshot.snapshot_dir() / "manifest.json").exists()
    assert snapshot.snapshot_dir().parent == snapdir
    manifest = snapshot.load_manifest()
    assert snapshot.frozen_months(manifest) == {"2026-01", "2026-03"}
    assert choose_engine() == "duckdb-snapshot"
    stats = _roads_agree()
    assert (stats.total.due, stats.total.closed, stats.total.tasks_due) == (5, 3, 2)
    assert (stats.total.callbacks, stats.total.satisfied) == (3, 2)
    _roads_agree("2026-04")
    _roads_agree("2026-02")
    # Nothing changed: a second run writes nothing.
    assert snapshot.write_snapshot().written == []
    # A change that bypasses the case events is not seen by the frozen month: proof that the
    # figures above came from the files (services always write an event, see below).
    Case.objects.filter(state="rejected").update(state="closed")
    period = Period.month("2026-03")
    frozen = compute_statistics(Query(period.start, period.end), engine="duckdb-snapshot")
    assert frozen.total.due == 5
    assert compute_statistics(Query(period.start, period.end), engine="sql").total.due == 6


def test_a_late_callback_makes_the_month_dirty_until_the_next_run(
    town, snapdir, make_case, make_task, make_callback
):
    _march(make_case, make_task, make_callback, town)
    snapshot.write_snapshot()
    called = Case.objects.get(state="called_back")  # reported 5 January
    make_callback(called, satisfaction=2, when=at(3, 20))
    manifest = snapshot.load_manifest()
    assert snapshot.dirty_months(manifest["watermark"]) == {"2026-01"}
    assert snapshot.frozen_months(manifest) == {"2026-03"}
    stats = _roads_agree()
    assert (stats.total.callbacks, stats.total.satisfied) == (4, 2)
    run = snapshot.write_snapshot()
    assert run.written == ["2026-01"]
    assert snapshot.frozen_months(snapshot.load_manifest()) == {"2026-01", "2026-03"}
    stats = _roads_agree()
    assert stats.total.callbacks == 4


def test_a_reopened_case_of_a_frozen_month_is_read_live(
    town, snapdir, make_case, make_task, make_callback
):
    _march(make_case, make_task, make_callback, town)
    late = make_case("A2", state="closed", due=at(3, 12), closed=at(3, 11), created=at(3, 8))
    snapshot.write_snapshot()
    assert _roads_agree().total.closed_on_time == 3
    # Reopened (重新办理): state and closing time change, and the transition is recorded.
    Case.objects.filter(pk=late.pk).update(state="handling", closed_at=None)
    CaseEvent.objects.create(
        case=late,
        kind=EventKind.REOPEN,
        at=at(12, 1),
        grid=late.grid,
        level=late.level,
        level_region=late.level_region,
    )
    assert "2026-03" not in snapshot.frozen_months(snapshot.load_manifest())
    assert _roads_agree().total.closed_on_time == 2
    assert snapshot.write_snapshot().written == ["2026-03"]
    assert _roads_agree().total.closed_on_time == 2


def test_the_open_month_is_never_frozen_and_new_cases_are_live(
    town, snapdir, make_case, make_task, make_callback
):
    _march(make_case, make_task, make_callback, town)
    now = dt.datetime.now(tz=dt.UTC)
    make_case("B1", state="closed", due=now, closed=now, created=now)
    run = snapshot.write_snapshot()
    assert snapshot.current_month() not in run.written
    # A case reported after the run in a frozen month (an import of history) is live.
    make_case("A1", state="closed", due=at(3, 25), closed=at(3, 24), created=at(3, 24))
    assert _roads_agree().total.due == 6
    month = snapshot.current_month()
    _roads_agree(month)
    village = town.village_a
    _roads_agree(root_path=type(village).objects.get(pk=village.pk).path)


def test_the_command_rewrites_one_finished_month(town, snapdir, make_case, capsys):
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9), created=at(3, 1))
    call_command("stats_snapshot", month="2026-03")
    out = capsys.readouterr().out
    assert "months written: 2026-03 (case 1, event 0, ext 0, task 0 rows)" in out
    manifest = snapshot.load_manifest()
    # One month alone does not move the watermark: nothing is frozen until the full run.
    assert set(manifest["months"]) == {"2026-03"}
    assert snapshot.frozen_months(manifest) == set()
    _roads_agree()
    with pytest.raises(CommandError, match="has not ended"):
        call_command("stats_snapshot", month=snapshot.current_month())
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("stats_snapshot", month="2026-3")


def test_the_snapshot_belongs_to_its_database(town, snapdir, make_case, settings):
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9), created=at(3, 1))
    snapshot.write_snapshot()
    assert snapshot.snapshot_dir().parent == snapdir
    assert snapshot.snapshot_dir().name.startswith(connection.vendor)
    settings.GRIDGOV_STATS_ENGINE = "sql"  # the deployment's pin still wins
    assert choose_engine() == "sql"


@pytest.fixture
def catalogue_tx(town_tx):
    from gridgov.cases.catalogue import ensure_default_catalogue

    ensure_default_catalogue()
    return town_tx


@pytest.mark.skipif(connection.vendor != "postgresql", reason="DuckDB's postgres scanner")
@pytest.mark.django_db(transaction=True)
def test_postgresql_snapshot_through_the_scanner_agrees_with_plain_sql(
    catalogue_tx, snapdir, make_case, make_task, make_callback
):
    _march(make_case, make_task, make_callback, catalogue_tx)
    assert not connection.in_atomic_block
    run = snapshot.write_snapshot()
    assert run.written == ["2026-01", "2026-03"]
    assert choose_engine() == "duckdb-snapshot"
    assert _roads_agree().total.due == 5
    called = Case.objects.get(state="called_back")
    make_callback(called, satisfaction=5, when=at(3, 20))
    assert _roads_agree().total.satisfied == 3
    assert snapshot.write_snapshot().written == ["2026-01"]
    assert _roads_agree().total.satisfied == 3


def test_the_scheduler_runs_the_snapshot_nightly(town, snapdir, make_case, settings):
    from gridgov.reports.tasks import refresh_stats_snapshot

    assert {
        "task": "gridgov.reports.tasks.refresh_stats_snapshot",
        "minutes": 24 * 60,
    } in settings.GRIDGOV_SCHEDULE
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9), created=at(3, 1))
    assert refresh_stats_snapshot.call() == {
        "written": ["2026-03"],
        "rows": {"case": 1, "task": 0, "ext": 0, "event": 0},
        "frozen": 1,
    }
    assert refresh_stats_snapshot.call()["written"] == []
