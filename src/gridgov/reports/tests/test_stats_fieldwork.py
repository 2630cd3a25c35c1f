"""Hazards and visits on the statistics engine (issue 13): hand-made rows whose figures are known,
equal on the export road and on plain SQL, rolled up the grid tree and scoped to a subtree."""

from __future__ import annotations

import pytest

from gridgov.grids.models import Grid
from gridgov.oversight.indicators import Period
from gridgov.oversight.tests.conftest import at
from gridgov.reports.stats import Query, compute_statistics

ROADS = ["duckdb-export", "sql"]
HAZARD = ("hazards_found", "hazards_rectified", "hazards_due", "hazards_on_time", "hazards_overdue")
VISIT = ("visits", "visit_tasks_due", "visit_tasks_on_time", "key_visits_overdue")


def _hazard(town, grid, n, state, found, due=None, closed=None):
    from gridgov.fieldwork.safety.models import Hazard

    return Hazard.objects.create(
        number=f"T{n}",
        grid=grid,
        level_grid=grid.parent,
        source="inspection",
        description="d",
        state=state,
        found_by=town.user("worker_a1"),
        found_at=found,
        due_at=due,
        closed_at=closed,
    )


def _march(town) -> None:
    from gridgov.fieldwork.models import Visit, VisitTask
    from gridgov.registry.models import Household

    a1, b1 = town.a1, town.b1
    _hazard(town, a1, 1, "closed", at(3, 2), closed=at(3, 2, 11))  # fixed on the spot
    _hazard(town, a1, 2, "closed", at(3, 3), due=at(3, 10), closed=at(3, 9))  # on time
    _hazard(town, a1, 3, "rectifying", at(3, 4), due=at(3, 15))  # overdue, open
    _hazard(town, a1, 4, "closed", at(2, 20), due=at(3, 5), closed=at(3, 12))  # late
    _hazard(town, a1, 5, "listed", at(3, 25), due=at(4, 10))  # deadline in April
    _hazard(town, b1, 6, "listed", at(3, 5), due=at(3, 25))  # overdue after the 25th
    _hazard(town, a1, 7, "found", at(4, 1, 0, 10))  # April
    worker = town.user("worker_a1")
    home = Household.objects.create(grid=a1, number="HH1")
    other = Household.objects.create(grid=a1, number="HH2")
    visit = Visit.objects.create(
        household=home, grid=a1, user=worker, kind="home", visited_at=at(3, 3)
    )
    Visit.objects.create(
        household=home, grid=a1, user=worker, kind="home", visited_at=at(3, 31, 23, 30)
    )
    Visit.objects.create(
        household=home, grid=a1, user=worker, kind="home", visited_at=at(4, 1, 0, 10)
    )

    def task(kind, household, due, done=None, opens=None, **extra):
        VisitTask.objects.create(
            kind=kind,
            household=household,
            grid=a1,
            worker=worker,
            opens_at=opens or at(3, 1, 0, 0),
            due_at=due,
            visit=visit if done else None,
            done_at=done,
            **extra,
        )

    april = at(4, 1, 0, 0)
    task("key", home, april, done=at(3, 3), period_start=at(3, 1).date())  # on time
    task("key", other, april, period_start=at(3, 1).date())  # key, missed
    task("ordinary", home, at(3, 15), done=at(3, 20), period_start=at(1, 1).date())  # late
    task("key", other, at(3, 1, 0, 0), opens=at(2, 1, 0, 0), period_start=at(2, 1).date())  # Feb
    task("occasion", home, at(3, 10), done=at(3, 9), occasion="dispute")  # on time


def _figures(stats, grid, names):
    figures = stats.areas[Grid.objects.get(pk=grid.pk).path]
    return tuple(getattr(figures, n) for n in names)


@pytest.mark.parametrize("engine", ROADS)
def test_hazard_and_visit_figures_are_the_hand_counted_ones(town, engine):
    _march(town)
    period = Period.month("2026-03")
    stats = compute_statistics(Query(period.start, period.end), engine=engine)
    assert _figures(stats, town.a1, HAZARD) == (4, 3, 4, 2, 2)
    assert _figures(stats, town.b1, HAZARD) == (1, 0, 1, 0, 1)
    assert _figures(stats, town.town, HAZARD) == (5, 3, 5, 2, 3)
    assert stats.total.hazard_on_time_rate == pytest.approx(2 / 5)
    assert _figures(stats, town.a1, VISIT) == (2, 4, 2, 1)
    assert _figures(stats, town.village_a, VISIT) == (2, 4, 2, 1)
    assert stats.total.visit_on_time_rate == pytest.approx(0.5)
    # Field work has no department, item or channel: those tables carry none of it.
    assert all(f.hazards_found == 0 for f in stats.by["department"].groups.values())


@pytest.mark.parametrize("engine", ROADS)
def test_deadlines_count_as_missed_only_once_passed(town, engine):
    _march(town)
    period = Period.month("2026-03")
    stats = compute_statistics(Query(period.start, period.end, now=at(3, 20)), engine=engine)
    # Hazard 6 (due on the 25th) and the March key task (due at midnight of 1 April) still run.
    assert stats.total.hazards_overdue == 2
    assert stats.total.key_visits_overdue == 0


def test_the_scope_is_the_subtree_and_both_roads_agree(town):
    _march(town)
    period = Period.month("2026-03")
    village = Grid.objects.get(pk=town.village_a.pk)
    duck = compute_statistics(Query(period.start, period.end, village.path), engine="duckdb-export")
    plain = compute_statistics(Query(period.start, period.end, village.path), engine="sql")
    assert duck.total == plain.total
    assert duck.areas == plain.areas
    assert (duck.total.hazards_found, duck.total.hazards_overdue, duck.total.visits) == (4, 2, 2)
    assert not any(
        path.startswith(Grid.objects.get(pk=town.village_b.pk).path) for path in duck.areas
    )


def test_page_tiles_drill_down_and_excel_carry_hazards_and_visits(town, client_for):
    import io

    from openpyxl import load_workbook

    _march(town)
    client = client_for("town_office")
    march = "start=2026-03-01&end=2026-03-31"
    page = client.get(f"/reports/statistics/?{march}")
    assert page.status_code == 200
    total = page.context["page"].total
    assert (total.hazards_found, total.hazards_overdue, total.visits) == (5, 3, 2)
    html = page.content.decode()
    assert 'data-figure="hazard_on_time_rate">40.00%<' in html
    assert 'data-figure="visit_on_time_rate">50.00%<' in html
    assert "尚未上线" not in html
    village = client.get(f"/reports/statistics/?{march}&grid={town.village_a.code}")
    rows = {r.code: r.figures for r in village.context["page"].areas}
    assert (rows[town.a1.code].hazards_found, rows[town.a1.code].key_visits_overdue) == (4, 1)
    xlsx = client.get(f"/reports/statistics.xlsx?{march}&grid={town.village_a.code}")
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    sheet = [list(r) for r in book["总体"].iter_rows(values_only=True)]
    head, values = sheet[1], sheet[2]
    got = dict(zip(head, values, strict=True))
    assert (got["发现隐患"], got["超期未整改"], got["走访次数"], got["重点户超期未访"]) == (
        4,
        2,
        2,
        1,
    )
    assert got["隐患按期整改率"] == 0.5


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql",
    reason="DuckDB's postgres scanner",
)
@pytest.mark.django_db(transaction=True)
def test_duckdb_over_postgresql_agrees_with_plain_sql(town_tx):
    from gridgov.reports.engine import choose_engine

    _march(town_tx)
    period = Period.month("2026-03")
    assert choose_engine() == "duckdb-postgres"
    duck = compute_statistics(Query(period.start, period.end))
    plain = compute_statistics(Query(period.start, period.end), engine="sql")
    assert duck.engine == "duckdb-postgres"
    assert duck.total == plain.total
    assert duck.areas == plain.areas
    assert tuple(getattr(duck.total, n) for n in HAZARD + VISIT) == (5, 3, 5, 2, 3, 2, 4, 2, 1)
    # The summaries' field-work-only pull (no case tables) agrees too.
    from gridgov.reports.stats import field_work_totals

    query = Query(period.start, period.end)
    assert (
        field_work_totals(query)
        == field_work_totals(query, engine="sql")
        == plain.total.__class__(
            **{
                n: getattr(plain.total, n)
                for n in (*HAZARD, *VISIT, "patrols", "patrol_km", "diaries")
            }
        )
    )


def test_work_summary_counts_hazards_beside_visits_as_the_statistics_do(town):
    from gridgov.oversight.indicators import UnitKind
    from gridgov.reports.summaries import (
        SummaryPeriod,
        compute_figures,
        figure_rows,
        figures_paragraph,
        find_unit,
    )

    _march(town)
    speriod = SummaryPeriod.parse("2026-03")
    unit = find_unit(None, UnitKind.TOWN, town.town.code)
    fig = compute_figures(unit, speriod)
    period = speriod.period
    page = compute_statistics(Query(period.start, period.end, root_path=town.town.path))
    assert (fig.hazards_found, fig.hazards_rectified, fig.visits) == (5, 3, 2)
    assert (fig.hazards_found, fig.hazards_rectified, fig.visits) == (
        page.total.hazards_found,
        page.total.hazards_rectified,
        page.total.visits,
    )
    rows = dict(figure_rows(fig))
    assert (rows["排查安全隐患(处)"], rows["隐患整改销号(处)"]) == ("5", "3")
    assert "排查安全隐患5处、整改销号3处" in figures_paragraph(unit, speriod, fig)
    village_b = compute_figures(find_unit(None, UnitKind.VILLAGE, town.village_b.code), speriod)
    assert (village_b.hazards_found, village_b.hazards_rectified, village_b.visits) == (1, 0, 0)
