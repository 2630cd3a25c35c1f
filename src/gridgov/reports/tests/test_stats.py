"""The statistics engine gives the figures of the per-indicator code (oversight indicators, the
hotline KPIs and the back-tracing discovery rates) on hand-made data, on every road it runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from gridgov.cases.models import ExtensionRequest
from gridgov.core.testing.town import UNIT_A2
from gridgov.grids.models import Grid
from gridgov.hotline.models import HotlineRecord, RecordStatus
from gridgov.hotline.services import hotline_kpis
from gridgov.hotline.services.crosscheck import discovery_rates, run_crosscheck
from gridgov.hotline.tests.test_crosscheck import MONDAY, NOON, grid_case, record, week
from gridgov.oversight.indicators import Counts, Period, UnitKind, compute
from gridgov.oversight.tests.conftest import at
from gridgov.reports.engine import choose_engine
from gridgov.reports.stats import Query, compute_statistics

ROADS = ["duckdb-export", "sql"]
SHARED = (
    "due",
    "closed",
    "closed_on_time",
    "rework",
    "tasks_due",
    "tasks_on_time",
    "tasks_extended",
    "callbacks",
    "satisfied",
    "reports",
    "valid_reports",
)


def _march(make_case, make_task, make_callback, town):
    """A month with every kind of row the period rules distinguish."""
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9), department=town.env)
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 20), rework=2)
    make_case("A1", state="closed", due=at(3, 31, 23), closed=at(4, 2), department=town.police)
    c4 = make_case("A2", state="dispatched", due=at(3, 15), department=town.env)
    make_case("A2", state="closed", due=at(4, 1, 0, 0), closed=at(3, 30))
    make_case("B1", state="rejected", due=at(3, 10))
    make_case("B1", state="merged", due=at(3, 10))
    make_case("B2", state="closed", due=None, closed=at(3, 1, 0, 0), channel="resident")
    make_case("B2", state="closed", due=None, closed=at(2, 28, 23, 59))
    make_case("A1", state="registered", created=at(3, 2), reporter="worker_a1")
    make_case("A1", state="rejected", created=at(3, 3), reporter="worker_a1")
    make_case("A1", state="reported", created=at(3, 31, 23, 59), reporter="worker_a1")
    make_case("B1", state="registered", created=at(3, 4), channel="resident")
    make_task(c4, due=at(3, 5), fed_back=at(3, 5))
    late = make_task(c4, due=at(3, 6), fed_back=at(3, 7), department=town.police)
    make_task(c4, due=at(3, 9), state="cancelled")
    make_task(c4, due=at(4, 9), fed_back=at(4, 1))
    ExtensionRequest.objects.create(
        case=c4,
        task=late,
        days=2,
        reason="r",
        state="approved",
        requested_by=town.user("env_handler"),
    )
    cb = make_case("B2", state="called_back", due=at(2, 1), closed=at(2, 1), department=town.env)
    for score, when in ((5, at(3, 1)), (4, at(3, 2)), (3, at(3, 3)), (5, at(4, 1, 0, 0))):
        make_callback(cb, satisfaction=score, when=when)


def _subset(figures) -> tuple[int, ...]:
    return tuple(getattr(figures, name) for name in SHARED)


def _counts(counts: Counts) -> tuple[int, ...]:
    return tuple(getattr(counts, name) for name in SHARED)


@pytest.mark.parametrize("engine", ROADS)
def test_area_figures_equal_the_oversight_indicators(
    town, make_case, make_task, make_callback, engine
):
    _march(make_case, make_task, make_callback, town)
    period = Period.month("2026-03")
    stats = compute_statistics(Query(period.start, period.end), engine=engine)
    assert stats.engine == engine
    paths = dict(Grid.objects.values_list("code", "path"))
    checked = 0
    for kind in (UnitKind.GRID, UnitKind.VILLAGE, UnitKind.TOWN):
        for unit, counts in compute(kind, period):
            mine = stats.areas.get(paths[unit.code])
            assert (_subset(mine) if mine else (0,) * len(SHARED)) == _counts(counts), unit.code
            checked += 1
    assert checked == 7
    a1 = stats.areas[paths[town.a1.code]]
    # Hand-counted: three due in March in A1, two closed by the end of March, one on time.
    assert (a1.due, a1.closed, a1.closed_on_time, a1.rework) == (3, 2, 1, 1)
    assert (a1.reports, a1.valid_reports) == (3, 1)
    assert stats.total.reported == 4


@pytest.mark.parametrize("engine", ROADS)
def test_department_figures_equal_the_oversight_indicators(
    town, make_case, make_task, make_callback, engine
):
    _march(make_case, make_task, make_callback, town)
    period = Period.month("2026-03")
    stats = compute_statistics(Query(period.start, period.end), engine=engine)
    mine = stats.by["department"].groups
    for unit, counts in compute(UnitKind.DEPARTMENT, period):
        theirs = tuple(getattr(counts, n) for n in SHARED if n not in ("reports", "valid_reports"))
        got = mine.get(unit.key)
        assert (
            tuple(
                getattr(got, n) if got else 0
                for n in SHARED
                if n not in ("reports", "valid_reports")
            )
            == theirs
        ), unit.name
    env = mine[town.env.pk]
    assert (env.due, env.closed_on_time, env.tasks_due, env.callbacks, env.satisfied) == (
        2,
        1,
        1,
        3,
        2,
    )


@pytest.mark.parametrize("engine", ROADS)
def test_flat_dimensions_split_the_same_total(town, make_case, make_task, make_callback, engine):
    _march(make_case, make_task, make_callback, town)
    period = Period.month("2026-03")
    stats = compute_statistics(Query(period.start, period.end), engine=engine)
    channels = stats.by["channel"].groups
    assert (channels["patrol"].due, channels["resident"].due) == (4, 1)
    assert channels["resident"].reported == 1
    for dimension in ("department", "class", "item", "channel", "closed_level"):
        assert stats.by[dimension].total.due == stats.total.due == 5, dimension
        assert stats.by[dimension].total.callbacks == 3
    levels = stats.by["closed_level"].groups
    assert sum(f.due for f in levels.values()) == 5


@pytest.mark.parametrize("engine", ROADS)
def test_scope_is_the_grid_subtree(town, make_case, make_task, make_callback, engine):
    _march(make_case, make_task, make_callback, town)
    period = Period.month("2026-03")
    village = Grid.objects.get(pk=town.village_a.pk)
    stats = compute_statistics(
        Query(period.start, period.end, root_path=village.path), engine=engine
    )
    assert stats.total.due == 4  # A1 and A2 only
    assert set(stats.areas) <= {g.path for g in Grid.objects.within(village)}
    assert stats.by["department"].total.due == 4


@pytest.mark.parametrize("engine", ROADS)
def test_hotline_kpis_and_discovery_equal_the_hotline_app(town, engine):
    grid_case(town, at=NOON - dt.timedelta(hours=3))
    record("A1-hit")
    record("A1-51h", at=NOON + dt.timedelta(days=2))
    record("A1-late", at=NOON + dt.timedelta(days=4))
    record("A2-miss", grid=UNIT_A2, status=RecordStatus.OPEN)
    record("cancelled", status=RecordStatus.CANCELLED)
    HotlineRecord.objects.filter(external_number="A1-hit").update(
        due_at=NOON + dt.timedelta(days=1), closed_at=NOON, satisfaction=5
    )
    HotlineRecord.objects.filter(external_number="A1-51h").update(satisfaction=3)
    run_crosscheck(by=None, **week())
    start = dt.datetime.combine(MONDAY, dt.time(), tzinfo=NOON.tzinfo)
    end = start + dt.timedelta(days=7)
    stats = compute_statistics(Query(start, end), engine=engine)
    kpis = hotline_kpis(HotlineRecord.objects.all(), start=start, end=end)
    t = stats.total
    assert (t.hotline_received, t.hotline_closed, t.hotline_on_time) == (
        kpis.received,
        kpis.closed,
        kpis.closed_on_time,
    )
    assert (t.hotline_rated, t.hotline_satisfied) == (kpis.rated, kpis.satisfied)
    assert t.hotline_satisfaction_rate == kpis.satisfaction_rate == 0.5
    paths = dict(Grid.objects.values_list("code", "path"))
    for rate in discovery_rates(**week()):
        mine = stats.areas.get(paths[rate.code])
        got = (mine.outside_records, mine.discovered) if mine else (0, 0)
        assert got == (rate.records, rate.matched), rate.code
    assert t.discovery_rate == pytest.approx(2 / 4)


def test_a_caller_inside_a_transaction_is_given_the_export(town):
    # Inside the test's transaction DuckDB could not see the rows over its own connection.
    assert connection.in_atomic_block
    assert choose_engine() in ("duckdb-export", "sql")
    with pytest.raises(ValueError, match="unknown"):
        choose_engine("spark")


def test_a_deployment_may_pin_the_engine(town, settings, make_case):
    settings.GRIDGOV_STATS_ENGINE = "sql"
    assert choose_engine() == "sql"
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9))
    period = Period.month("2026-03")
    stats = compute_statistics(Query(period.start, period.end))
    assert (stats.engine, stats.total.due, stats.total.closed_on_time) == ("sql", 1, 1)


@pytest.fixture
def catalogue_tx(town_tx):
    """The cast and the catalogue again (an earlier transactional test may have flushed the
    catalogue that migration 0002 seeded), before `make_case` reads the items."""
    from gridgov.cases.catalogue import ensure_default_catalogue

    ensure_default_catalogue()
    return town_tx


@pytest.mark.skipif(connection.vendor != "postgresql", reason="DuckDB's postgres scanner")
@pytest.mark.django_db(transaction=True)
def test_duckdb_reads_postgresql_and_agrees_with_plain_sql(
    catalogue_tx, make_case, make_task, make_callback
):
    town_tx = catalogue_tx
    _march(make_case, make_task, make_callback, town_tx)
    period = Period.month("2026-03")
    assert choose_engine() == "duckdb-postgres"
    duck = compute_statistics(Query(period.start, period.end))
    plain = compute_statistics(Query(period.start, period.end), engine="sql")
    assert duck.engine == "duckdb-postgres"
    assert duck.total == plain.total
    assert duck.areas == plain.areas
    for dimension, breakdown in duck.by.items():
        assert breakdown.groups == plain.by[dimension].groups, dimension
    assert (duck.total.due, duck.total.closed, duck.total.tasks_due) == (5, 3, 2)


@pytest.mark.parametrize("engine", ROADS)
def test_patrols_and_diaries_count_by_their_local_day(town, engine):
    from gridgov.fieldwork.models import Diary, Patrol

    worker = town.user("worker_a1")
    Patrol.objects.create(user=worker, grid=town.a1, started_at=at(3, 3), mileage_m=2500)
    Patrol.objects.create(user=worker, grid=town.a1, started_at=at(3, 31, 23, 30), mileage_m=500)
    Patrol.objects.create(user=worker, grid=town.a1, started_at=at(4, 1, 0, 10), mileage_m=900)
    Diary.objects.create(
        user=worker, kind="people", day=dt.date(2026, 3, 31), grid=town.a1, text="t"
    )
    Diary.objects.create(
        user=worker, kind="people", day=dt.date(2026, 4, 1), grid=town.a1, text="t"
    )
    period = Period.month("2026-03")
    stats = compute_statistics(Query(period.start, period.end), engine=engine)
    a1 = stats.areas[Grid.objects.get(pk=town.a1.pk).path]
    assert (a1.patrols, a1.patrol_km, a1.diaries) == (2, 3.0, 1)
    assert stats.areas[Grid.objects.get(pk=town.town.pk).path].patrols == 2


def test_a_failing_duckdb_falls_back_to_plain_sql(town, make_case, monkeypatch):
    from gridgov.reports import engine

    def broken(self, table, folder):
        raise RuntimeError("no DuckDB today")

    monkeypatch.setattr(engine.Runner, "_export", broken)
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9))
    period = Period.month("2026-03")
    stats = compute_statistics(Query(period.start, period.end))
    assert (stats.engine, stats.total.due) == ("sql", 1)
    with pytest.raises(RuntimeError):
        compute_statistics(Query(period.start, period.end), engine="duckdb-export")
