"""Statistics and ledger pages: scoped by the user's jurisdiction (outside is a 404), the
figures of the engine, drill-down links, Excel with the page's filters, printable ledger."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from gridgov.core.testing.town import UNIT_A1, UNIT_B1, VILLAGE_A
from gridgov.oversight.tests.conftest import at

MARCH = "start=2026-03-01&end=2026-03-31"


@pytest.fixture
def march(town, make_case, make_callback):
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9), created=at(3, 2))
    make_case("A1", state="handling", due=at(3, 12), created=at(3, 3), rework=1)
    make_case("A2", state="closed", due=at(3, 20), closed=at(3, 25), created=at(3, 4))
    make_case("B1", state="registered", due=at(3, 20), created=at(3, 5), channel="resident")
    cb = make_case("A1", state="called_back", due=at(2, 3), closed=at(2, 3), created=at(2, 1))
    make_callback(cb, satisfaction=5, when=at(3, 6))


def _sheet(response):
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def test_town_office_sees_the_town_with_villages_to_drill_into(town, march, client_for):
    response = client_for("town_office").get(f"/reports/statistics/?{MARCH}")
    assert response.status_code == 200
    page = response.context["page"]
    assert page.root.pk == town.town.pk
    assert (page.total.reported, page.total.due, page.total.closed) == (4, 4, 2)
    assert page.total.closed_on_time == 1
    assert page.total.satisfaction_rate == 1.0
    areas = {r.code: r.figures for r in page.areas}
    assert (areas[VILLAGE_A].due, areas[VILLAGE_A].closed) == (3, 2)
    html = response.content.decode()
    assert f"grid={VILLAGE_A}" in html  # the drill-down link
    assert "50.00%" in html  # closure rate 2 / 4


def test_drill_down_to_a_village_and_a_grid(town, march, client_for):
    client = client_for("town_office")
    village = client.get(f"/reports/statistics/?{MARCH}&grid={VILLAGE_A}").context["page"]
    assert village.total.due == 3
    assert {r.code for r in village.areas} == {UNIT_A1, town.a2.code}
    grid = client.get(f"/reports/statistics/?{MARCH}&grid={UNIT_A1}").context["page"]
    assert (grid.total.due, grid.total.rework) == (2, 1)
    assert [g.code for g in grid.trail][-1] == UNIT_A1


def test_a_village_operator_is_held_to_the_village(town, march, client_for):
    client = client_for("village_a")
    page = client.get(f"/reports/statistics/?{MARCH}").context["page"]
    assert page.root.code == VILLAGE_A
    assert page.total.due == 3
    assert client.get(f"/reports/statistics/?{MARCH}&grid={UNIT_B1}").status_code == 404
    assert client.get(f"/reports/statistics.xlsx?{MARCH}&grid={UNIT_B1}").status_code == 404
    assert client.get(f"/reports/ledgers/cases/?{MARCH}&grid={UNIT_B1}").status_code == 404


def test_a_department_handler_may_not_open_statistics(town, client_for):
    assert client_for("env_handler").get("/reports/statistics/").status_code == 403
    assert client_for("").get("/reports/statistics/").status_code == 302


def test_bad_period_is_a_form_error(town, client_for):
    response = client_for("town_office").get("/reports/statistics/?start=2026-03-31&end=2026-03-01")
    assert response.status_code == 400
    assert "截止日不能早于起始日" in response.content.decode()
    assert client_for("town_office").get("/reports/statistics/?start=x").status_code == 400


def test_excel_export_carries_the_page_filters(town, march, client_for):
    response = client_for("town_office").get(f"/reports/statistics.xlsx?{MARCH}&grid={VILLAGE_A}")
    assert response.status_code == 200
    sheets = _sheet(response)
    assert "2026-03-01" in sheets["总体"][0][0]
    total = sheets["总体"][2]
    assert total[:5] == ["王村", 3, 3, 2, 1]
    assert {row[0] for row in sheets["区域"][2:]} == {town.a1.name, town.a2.name}
    assert "来源渠道" in sheets


def test_case_ledger_page_and_excel_use_the_filters(town, march, client_for):
    client = client_for("town_office")
    page = client.get(f"/reports/ledgers/cases/?{MARCH}&channel=resident")
    assert page.status_code == 200
    assert page.context["total"] == 1
    xlsx = client.get(f"/reports/ledgers/cases.xlsx?{MARCH}&grid={VILLAGE_A}")
    rows = next(iter(_sheet(xlsx).values()))
    assert rows[1][0] == "序号"
    assert len(rows) == 2 + 3  # note, head, the three cases of 王村 reported in March
    closed_on_time = [r for r in rows[2:] if r[14] == "是"]
    assert len(closed_on_time) == 1


def test_ledgers_page_links_every_export(town, client_for):
    response = client_for("town_office").get(f"/reports/ledgers/?{MARCH}")
    html = response.content.decode()
    for kind in ("cases.xlsx", "patrols.xlsx", "diaries.xlsx", "persons.xlsx", "households.xlsx"):
        assert kind in html
    client = client_for("town_office")
    for kind in ("patrols", "diaries", "persons", "households"):
        got = client.get(f"/reports/ledgers/{kind}.xlsx?{MARCH}")
        assert got.status_code == 200, kind
        assert got["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(f"/reports/ledgers/planets.xlsx?{MARCH}").status_code == 404


def test_registry_ledger_leaves_masked(town, client_for):
    from gridgov.registry.services import create_person
    from gridgov.registry.tests.test_pages import ID

    create_person(
        by=town.user("town_office"), grid=town.a1, name="赵六", id_number=ID, phone="13500002222"
    )
    got = client_for("town_office").get(f"/reports/ledgers/persons.xlsx?{MARCH}")
    text = repr(_sheet(got))
    assert "赵六" in text
    assert ID not in text
    assert "13500002222" not in text


def test_admin_sees_the_platform_and_a_worker_their_grid(town, march, client_for):
    admin = client_for("admin").get(f"/reports/statistics/?{MARCH}").context["page"]
    assert admin.root is None
    assert [r.code for r in admin.areas] == [town.town.code]
    assert admin.total.due == 4
    worker = client_for("worker_a1").get(f"/reports/statistics/?{MARCH}").context["page"]
    assert worker.root.code == UNIT_A1
    assert worker.total.due == 2
