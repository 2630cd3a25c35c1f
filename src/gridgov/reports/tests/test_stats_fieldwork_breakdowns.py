"""Field work on the statistics page (issue 13, "the same for hazards, visits, patrols and
diaries"): breakdowns by worker, state, grade, industry and kind, the trend across the period,
the links to the list pages they count, the workbook, and agreement with the field-work pages
(hazards page, visit ledger, patrol and diary ledgers, daily monitoring) on hand-made rows."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from gridgov.grids.models import Grid
from gridgov.oversight.indicators import Period
from gridgov.oversight.tests.conftest import at
from gridgov.reports.stats import (
    FIELD_DIMENSIONS,
    Query,
    compute_field_statistics,
    compute_statistics,
    trend_buckets,
)
from gridgov.reports.tests.test_stats_fieldwork import _march

ROADS = ["duckdb-export", "sql"]
MARCH = "start=2026-03-01&end=2026-03-31"


@pytest.fixture
def field_march(town):
    seed_field_march(town)
    return town


def seed_field_march(town):
    """`_march`'s hazards, visits and visit tasks, plus patrols, diaries, a second worker's visit,
    grades and businesses with an industry."""
    from gridgov.fieldwork.models import Diary, Patrol, Visit
    from gridgov.fieldwork.safety.models import Hazard
    from gridgov.registry.models import Household, Organisation

    _march(town)
    worker_a1, worker_b1 = town.user("worker_a1"), town.user("worker_b1")
    canteen = Organisation.objects.create(
        grid=town.a1, kind="business", name="饭店", industry="餐饮"
    )
    unnamed = Organisation.objects.create(grid=town.b1, kind="business", name="仓库")
    Hazard.objects.filter(number="T2").update(organisation=canteen)
    Hazard.objects.filter(number="T3").update(organisation=canteen, grade="major")
    Hazard.objects.filter(number="T6").update(organisation=unnamed, grade="major")
    for who, grid, when, metres in (
        (worker_a1, town.a1, at(3, 3), 2500),
        (worker_a1, town.a1, at(3, 10), 1000),
        (worker_a1, town.a1, at(3, 31, 23, 30), 500),
        (worker_a1, town.a1, at(4, 1, 0, 10), 900),  # April
        (worker_b1, town.b1, at(3, 10, 15), 800),
    ):
        Patrol.objects.create(user=who, grid=grid, started_at=when, mileage_m=metres)
    for who, grid, day, kind in (
        (worker_a1, town.a1, dt.date(2026, 3, 3), "people"),
        (worker_a1, town.a1, dt.date(2026, 3, 10), "work"),
        (worker_b1, town.b1, dt.date(2026, 3, 10), "people"),
        (worker_a1, town.a1, dt.date(2026, 4, 1), "people"),  # April
    ):
        Diary.objects.create(user=who, kind=kind, day=day, grid=grid, text="t")
    home_b = Household.objects.create(grid=town.b1, number="HB1")
    Visit.objects.create(
        household=home_b, grid=town.b1, user=worker_b1, kind="policy_talk", visited_at=at(3, 12)
    )


def _march_query(root: Grid | None = None) -> Query:
    period = Period.month("2026-03")
    return Query(period.start, period.end, root.path if root else None)


def _by(stats, dimension, *names):
    return {k: tuple(getattr(f, n) for n in names) for k, f in stats.by[dimension].groups.items()}


@pytest.mark.parametrize("engine", ROADS)
def test_breakdowns_are_the_hand_counted_ones(field_march, engine):
    town = field_march
    stats = compute_field_statistics(_march_query(), engine=engine)
    a1, b1 = town.user("worker_a1").pk, town.user("worker_b1").pk
    # Worker: patrols (and km), diaries, hazards found by them, visits, visit tasks due.
    workers = _by(stats, "worker", "patrols", "patrol_km", "diaries", "hazards_found", "visits")
    assert workers == {a1: (3, pytest.approx(4.0), 2, 5, 2), b1: (1, pytest.approx(0.8), 1, 0, 1)}
    assert stats.by["worker"].groups[a1].visit_tasks_due == 4
    # Hazards found in March by current state; the three closed in March all sit under closed.
    states = _by(stats, "hazard_state", "hazards_found", "hazards_rectified")
    assert states == {"closed": (2, 3), "rectifying": (1, 0), "listed": (2, 0)}
    grades = _by(stats, "hazard_grade", "hazards_found", "hazards_due", "hazards_overdue")
    assert grades == {"ordinary": (3, 3, 1), "major": (2, 2, 2)}
    assert _by(stats, "industry", "hazards_found") == {"餐饮": (2,), "": (3,)}
    assert _by(stats, "visit_kind", "visits") == {"home": (2,), "policy_talk": (1,)}
    tasks = _by(stats, "task_kind", "visit_tasks_due", "visit_tasks_on_time")
    assert tasks == {"key": (2, 1), "ordinary": (1, 0), "occasion": (1, 1)}
    assert _by(stats, "diary_kind", "diaries") == {"people": (2,), "work": (1,)}
    # Facts not meaningful for a dimension stay out of it.
    assert all(f.patrols == 0 for f in stats.by["hazard_state"].groups.values())


@pytest.mark.parametrize("engine", ROADS)
def test_trend_buckets_add_up_to_the_period_and_fall_on_their_own_days(field_march, engine):
    query = _march_query()
    stats = compute_field_statistics(query, engine=engine, unit="day")
    total = compute_statistics(query, engine=engine).total
    trend = stats.trend
    assert trend.unit == "day"
    assert len(trend.buckets) == 31
    for name in (
        "patrols",
        "diaries",
        "hazards_found",
        "hazards_rectified",
        "hazards_due",
        "hazards_on_time",
        "hazards_overdue",
        "visits",
        "visit_tasks_due",
        "visit_tasks_on_time",
        "key_visits_overdue",
    ):
        assert sum(getattr(f, name) for f in trend.figures) == getattr(total, name), name
    assert sum(f.patrol_km for f in trend.figures) == pytest.approx(total.patrol_km)
    day = {first.day: f for (first, _last), f in zip(trend.buckets, trend.figures, strict=True)}
    assert (day[3].patrols, day[10].patrols, day[31].patrols) == (1, 2, 1)
    assert [d for d, f in day.items() if f.hazards_found] == [2, 3, 4, 5, 25]
    assert [d for d, f in day.items() if f.hazards_rectified] == [2, 9, 12]
    # A visit task due at the midnight that opens 1 April belongs to 31 March.
    assert day[31].visit_tasks_due == 2
    weekly = compute_field_statistics(query, engine=engine, unit="week").trend
    assert [f.patrols for f in weekly.figures] == [0, 1, 2, 0, 0, 1]


def test_buckets_cut_the_period_by_day_week_and_month():
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert trend_buckets(*march)[0] == "day"
    unit, weeks = trend_buckets(*march, "week")
    assert unit == "week"
    assert weeks[0] == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))  # a Sunday
    assert weeks[1] == (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert weeks[-1] == (dt.date(2026, 3, 30), dt.date(2026, 3, 31))
    unit, months = trend_buckets(dt.date(2025, 11, 15), dt.date(2026, 3, 31))
    assert unit == "week"
    unit, months = trend_buckets(dt.date(2025, 1, 1), dt.date(2026, 3, 31))
    assert unit == "month"
    assert len(months) == 15
    # A day per bucket over a year would be too many: weeks instead.
    assert trend_buckets(dt.date(2025, 1, 1), dt.date(2025, 12, 31), "day")[0] == "week"


def test_both_roads_agree_on_every_breakdown_and_the_trend(field_march):
    village = Grid.objects.get(pk=field_march.village_a.pk)
    for root in (None, village):
        duck = compute_field_statistics(_march_query(root), engine="duckdb-export")
        plain = compute_field_statistics(_march_query(root), engine="sql")
        assert set(duck.by) == set(FIELD_DIMENSIONS)
        for dimension in FIELD_DIMENSIONS:
            assert duck.by[dimension].groups == plain.by[dimension].groups, dimension
            assert duck.by[dimension].total == plain.by[dimension].total, dimension
        assert duck.trend == plain.trend
    scoped = compute_field_statistics(_march_query(village), engine="sql")
    assert _by(scoped, "visit_kind", "visits") == {"home": (2,)}  # village B's talk left out


def _page_cells(page, dimension):
    table = page.field_tables[dimension]
    return {row.label: {c.name: c for c in row.cells} for row in table.rows}


def _get(client, url):
    assert urlsplit(url).path.startswith("/")
    return client.get(url)


def _xlsx_rows(response, header_rows):
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))[header_rows:]
    return [r for r in rows if any(v is not None for v in r)]


def test_linked_figures_equal_the_list_pages_they_open(field_march, client_for):
    town = field_march
    client = client_for("town_office")
    page = client.get(f"/reports/statistics/?{MARCH}").context["page"]
    areas = _page_cells(page, "area")
    village_a = areas["王村"]
    assert (village_a["hazards_found"].value, village_a["visits"].value) == (4, 2)
    checked = 0
    for dimension in ("area", "hazard_state", "hazard_grade", "visit_kind"):
        for cells in _page_cells(page, dimension).values():
            for name in ("hazards_found", "visits", "patrols", "diaries"):
                cell = cells.get(name)
                if cell is None or not cell.url:
                    continue
                response = _get(client, cell.url)
                assert response.status_code == 200, cell.url
                if name == "hazards_found":
                    assert response.context["count"] == cell.value, cell.url
                elif name == "visits":
                    assert len(_xlsx_rows(response, 1)) == cell.value, cell.url
                else:
                    assert len(_xlsx_rows(response, 2)) == cell.value, cell.url
                checked += 1
    assert checked >= 14
    # The links carry the page's period and the row's grid or key.
    grade = _page_cells(page, "hazard_grade")["重大隐患"]["hazards_found"]
    assert grade.value == 2
    assert "grade=major" in grade.url
    assert "start=2026-03-01" in grade.url
    assert f"grid={town.village_b.code}" in areas["小村"]["visits"].url


def test_a_days_worker_figures_equal_the_monitoring_page(field_march, client_for):
    client = client_for("town_office")
    stats = client.get("/reports/statistics/?start=2026-03-10&end=2026-03-10").context["page"]
    workers = stats.field.by["worker"].groups
    monitoring = client.get("/fieldwork/monitoring/?date=2026-03-10").context["rows"]
    seen = {r.user_id: (r.patrols, r.diaries) for r in monitoring if r.patrols or r.diaries}
    assert seen == {k: (f.patrols, f.diaries) for k, f in workers.items() if f.patrols or f.diaries}
    assert sorted(seen.values()) == [(1, 1), (1, 1)]


def test_workbook_has_the_field_sheets_with_the_page_figures(field_march, client_for):
    client = client_for("town_office")
    query = f"{MARCH}&grid={field_march.village_a.code}&trend=week"
    page = client.get(f"/reports/statistics/?{query}").context["page"]
    response = client.get(f"/reports/statistics.xlsx?{query}")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    assert len(page.field_tables) == 1 + len(FIELD_DIMENSIONS)
    for table in page.field_tables.values():
        sheet = sheets[f"基层工作·{table.title}"[:31]]
        assert sheet[1] == [table.title, *[label for _n, label in table.columns]]
        body = [[r.label, *[c.value for c in r.cells]] for r in table.rows]
        assert sheet[2:-1] == body
        assert sheet[-1] == ["合计", *[c.value for c in table.total]]
    trend = sheets["基层工作·趋势"]
    assert trend[1][0] == "按周"
    assert len(trend) - 2 == len(page.field.trend.buckets) == 6
    assert [row[1] for row in trend[2:]] == [f.patrols for f in page.field.trend.figures]
    worker = sheets["基层工作·网格员"]
    assert worker[2][:2] == ["李娜", 3]  # worker_a1: three March patrols in village A


def test_page_shows_field_tables_charts_data_and_links(field_march, client_for):
    response = client_for("town_office").get(f"/reports/statistics/?{MARCH}")
    html = response.content.decode()
    for anchor in (
        "field-table-area",
        "field-table-trend",
        "field-table-worker",
        "chart-field-trend",
    ):
        assert f'id="{anchor}"' in html
    assert "/fieldwork/hazards/?start=2026-03-01&amp;end=2026-03-31&amp;grid=" in html
    charts = response.context["charts"]["field"]
    assert sum(charts["trend"]["patrols"]) == 4
    assert charts["areas"]["hazards_found"] == [4, 1]
    assert {d["value"] for d in charts["hazard_state"]} == {1, 2}


def test_hazards_page_filters_by_found_days_and_grade(field_march, client_for):
    client = client_for("town_office")
    response = client.get("/fieldwork/hazards/", {"start": "2026-03-04", "end": "2026-03-05"})
    assert response.context["count"] == 2
    response = client.get("/fieldwork/hazards/", {"grade": "major", "start": "bad"})
    assert response.context["count"] == 2  # a malformed day is no filter
    assert 'id="hazard-count"' in response.content.decode()


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql",
    reason="DuckDB's postgres scanner",
)
@pytest.mark.django_db(transaction=True)
def test_scanner_road_agrees_with_plain_sql(town_tx):
    seed_field_march(town_tx)
    duck = compute_field_statistics(_march_query())
    plain = compute_field_statistics(_march_query(), engine="sql")
    assert duck.engine == "duckdb-postgres"
    for dimension in FIELD_DIMENSIONS:
        assert duck.by[dimension].groups == plain.by[dimension].groups, dimension
    assert duck.trend == plain.trend
    assert sum(f.hazards_found for f in duck.trend.figures) == 5


def test_a_worker_gets_no_links_to_office_pages_they_cannot_open(field_march, client_for):
    client = client_for("worker_a1")
    page = client.get(f"/reports/statistics/?{MARCH}").context["page"]
    cells = [c for t in page.field_tables.values() for r in t.rows for c in r.cells]
    cells += [c for t in page.field_tables.values() for c in t.total]  # a unit grid has no rows
    assert not [c.url for c in cells if c.name in ("hazards_found", "visits") and c.url]
    patrols = [c for c in cells if c.name == "patrols" and c.url]
    assert patrols
    assert client.get(patrols[0].url).status_code == 200
    assert client.get("/fieldwork/hazards/").status_code == 403
