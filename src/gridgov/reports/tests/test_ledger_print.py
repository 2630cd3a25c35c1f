"""Every ledger kind prints: the printed rows are the rows its Excel export holds (one row source
per kind), inside the user's scope, with residents' ID numbers and phones masked."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.core.testing.town import UNIT_A1, UNIT_B1, VILLAGE_A
from gridgov.oversight.tests.conftest import at

MARCH = "start=2026-03-01&end=2026-03-31"
PHONE = "13500002222"


@pytest.fixture
def fieldwork(town):
    """One record of each field-work kind in A1 (worker_a1) and one in B1 (worker_b1), in March,
    and one A1 patrol in April (outside the period)."""
    from gridgov.fieldwork.models import CheckIn, Diary, Leave, Patrol, Visit
    from gridgov.fieldwork.safety.models import (
        Checklist,
        ChecklistItem,
        Hazard,
        Inspection,
        InspectionAnswer,
    )
    from gridgov.registry.models import Household, Organisation

    office = town.user("town_office")
    checklist = Checklist.objects.create(name="通用检查表", purpose="inspection")
    items = [
        ChecklistItem.objects.create(checklist=checklist, order=i, text=f"项{i}") for i in (1, 2)
    ]
    for unit, username, km in ((town.a1, "worker_a1", 2345), (town.b1, "worker_b1", 1000)):
        worker = town.user(username)
        Patrol.objects.create(
            user=worker,
            grid=unit,
            started_at=at(3, 5, 9),
            ended_at=at(3, 5, 10),
            mileage_m=km,
            duration_s=3600,
        )
        Diary.objects.create(user=worker, kind="people", day="2026-03-06", grid=unit, text="走访记")
        home = Household.objects.create(grid=unit, number=f"H-{unit.code}", address="东街1号")
        Visit.objects.create(
            household=home,
            grid=unit,
            user=worker,
            kind="home",
            visited_at=at(3, 7, 15),
            learnt="家中安好",
        )
        org = Organisation.objects.create(
            grid=unit, kind="business", name=f"饭店{unit.name}", key_supervision=True
        )
        inspection = Inspection.objects.create(
            organisation=org, grid=unit, checklist=checklist, inspector=worker, at=at(3, 8, 10)
        )
        InspectionAnswer.objects.create(inspection=inspection, item=items[0], ok=True)
        InspectionAnswer.objects.create(inspection=inspection, item=items[1], ok=False)
        Hazard.objects.create(
            number=f"YH-{unit.code}",
            grid=unit,
            level_grid=unit.parent,
            organisation=org,
            source="inspection",
            inspection=inspection,
            description="灭火器过期",
            found_by=worker,
        )
        CheckIn.objects.create(user=worker, kind="in", at=at(3, 9, 8), grid=unit, accuracy=12.4)
        Leave.objects.create(
            user=worker,
            kind="sick",
            starts_on=dt.date(2026, 3, 10),
            ends_on=dt.date(2026, 3, 11),
            reason="发烧",
            recorded_by=office,
        )
    Patrol.objects.create(user=town.user("worker_a1"), grid=town.a1, started_at=at(4, 2, 9))


def _cell(value) -> str:
    return "" if value is None else str(value)


def _same(text: str) -> str:
    """A whole float reads back from Excel as an int (0.0 → 0): compare the number, not that."""
    return re.sub(r"^(-?\d+)\.0+$", r"\1", text)


def _excel(response, skip: int) -> tuple[list[str], list[list[str]]]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    lines = [[_cell(v) for v in r] for r in sheet.iter_rows(values_only=True)][skip:]
    head, body = lines[0], lines[1:]
    # The attendance workbook writes its rules below a blank line after the rows.
    if [] in body or any(not any(r) for r in body):
        body = body[: next(i for i, r in enumerate(body) if not any(r))]
    # A read-only sheet leaves off a row's trailing empty cells.
    return head, [(r + [""] * len(head))[: len(head)] for r in body]


def _printed(response) -> tuple[list[str], list[list[str]]]:
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('id="ledger-table"') :]
    head = [
        unescape(h) for h in re.findall(r'<th scope="col">(.*?)</th>', table.split("</thead>")[0])
    ]
    body = table.split("<tbody>")[1].split("</tbody>")[0]
    rows = [
        [unescape(c) for c in re.findall(r"<td>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
    return head, rows


# kind → (the Excel export's URL for the same filters, rows above the header in it)
def _exports(grid: str) -> dict[str, tuple[str, int]]:
    own = {
        k: (f"/reports/ledgers/{k}.xlsx?{MARCH}&grid={grid}", 1)
        for k in ("patrols", "diaries", "inspections", "checkins", "leaves")
    }
    return {
        **own,
        "persons": (f"/reports/ledgers/persons.xlsx?{MARCH}&grid={grid}", 0),
        "households": (f"/reports/ledgers/households.xlsx?{MARCH}&grid={grid}", 0),
        "visits": (f"{reverse('fieldwork_visit_ledger')}?{MARCH}&grid={grid}", 0),
        "hazards": (f"{reverse('hazards')}?grid={grid}&format=xlsx", 0),
        "inspection-plan": (f"{reverse('safety_plan')}?grid={grid}&format=xlsx", 0),
        "key-supervision": (f"{reverse('safety_plan')}?key=1&grid={grid}&format=xlsx", 0),
        "attendance": (
            f"{reverse('fieldwork_attendance')}?month=2026-03&grid={grid}&format=xlsx",
            1,
        ),
    }


# Data rows each kind holds for village A (A1's records only; B1's are outside the grid).
EXPECTED = {
    "patrols": 1,
    "diaries": 1,
    "inspections": 1,
    "checkins": 1,
    "leaves": 1,
    "persons": 1,
    "households": 1,
    "visits": 1,
    "hazards": 1,
    "inspection-plan": 1,
    "key-supervision": 1,
    # 王建国 (village A's leader), worker_a1 and the embedded officer hold posts in village A.
    "attendance": 3,
}


def test_every_kind_prints_the_rows_of_its_excel(town, fieldwork, client_for):
    from gridgov.registry.services import create_person
    from gridgov.registry.tests.test_pages import ID

    create_person(by=town.user("town_office"), grid=town.a1, name="赵六", id_number=ID, phone=PHONE)
    client = client_for("town_office")
    for kind, (url, skip) in _exports(VILLAGE_A).items():
        excel_head, excel_rows = _excel(client.get(url), skip)
        head, rows = _printed(
            client.get(f"/reports/ledgers/{kind}/print/?{MARCH}&grid={VILLAGE_A}")
        )
        assert head == excel_head, kind
        assert [[_same(c) for c in r] for r in rows] == [
            [_same(c) for c in r] for r in excel_rows
        ], kind
        assert len(rows) == EXPECTED[kind], (kind, rows)
    # Real figures, not just equal emptiness.
    _h, patrols = _printed(client.get(f"/reports/ledgers/patrols/print/?{MARCH}&grid={VILLAGE_A}"))
    assert patrols[0][5:7] == ["2.35", "60"]
    _h, checks = _printed(
        client.get(f"/reports/ledgers/inspections/print/?{MARCH}&grid={VILLAGE_A}")
    )
    assert checks[0][6:9] == ["1 项不合格", "1", f"YH-{UNIT_A1}"]
    _h, leaves = _printed(client.get(f"/reports/ledgers/leaves/print/?{MARCH}&grid={VILLAGE_A}"))
    assert leaves[0][3:7] == ["病假", "2026-03-10", "2026-03-11", "2"]


def test_the_whole_town_holds_both_villages_and_the_period_bounds_hold(town, fieldwork, client_for):
    client = client_for("town_office")
    _h, rows = _printed(client.get(f"/reports/ledgers/patrols/print/?{MARCH}"))
    assert len(rows) == 2  # the April patrol is outside March
    _h, rows = _printed(
        client.get("/reports/ledgers/patrols/print/?start=2026-04-01&end=2026-04-30")
    )
    assert len(rows) == 1


def test_print_is_scoped_to_the_users_jurisdiction(town, fieldwork, client_for):
    village = client_for("village_a")
    for kind in (
        "patrols",
        "inspections",
        "checkins",
        "leaves",
        "visits",
        "hazards",
        "inspection-plan",
    ):
        _h, rows = _printed(village.get(f"/reports/ledgers/{kind}/print/?{MARCH}"))
        assert len(rows) == 1, kind
        text = repr(rows)
        assert "worker_b1" not in text
        assert "小村" not in text  # village B
        assert (
            village.get(f"/reports/ledgers/{kind}/print/?{MARCH}&grid={UNIT_B1}").status_code == 404
        )
    worker = client_for("worker_a1")
    assert worker.get(f"/reports/ledgers/inspections/print/?{MARCH}").status_code == 403
    assert worker.get(f"/reports/ledgers/leaves.xlsx?{MARCH}").status_code == 403
    _h, rows = _printed(worker.get(f"/reports/ledgers/patrols/print/?{MARCH}"))
    assert len(rows) == 1
    assert (
        client_for("town_office").get(f"/reports/ledgers/planets/print/?{MARCH}").status_code == 404
    )


def test_registry_ledgers_print_masked(town, client_for):
    from gridgov.registry.services import create_person
    from gridgov.registry.tests.test_pages import ID

    create_person(by=town.user("town_office"), grid=town.a1, name="赵六", id_number=ID, phone=PHONE)
    got = client_for("town_office").get(f"/reports/ledgers/persons/print/?{MARCH}")
    html = got.content.decode()
    assert "赵六" in html
    assert ID not in html
    assert PHONE not in html
    assert ID[:6] in html  # the masked number keeps its region prefix
    assert 'id="masked-note"' in html


def test_ledgers_page_offers_print_beside_excel(town, client_for):
    html = (
        client_for("town_office")
        .get(f"/reports/ledgers/?{MARCH}&grid={VILLAGE_A}")
        .content.decode()
    )
    for kind in (
        "patrols",
        "diaries",
        "inspections",
        "checkins",
        "leaves",
        "persons",
        "households",
        "visits",
        "attendance",
        "hazards",
        "inspection-plan",
        "key-supervision",
    ):
        assert f"/reports/ledgers/{kind}/print/?" in unescape(html), kind
    worker = client_for("worker_a1").get(f"/reports/ledgers/?{MARCH}").content.decode()
    assert "/reports/ledgers/patrols/print/" in worker
    assert "/reports/ledgers/inspections/" not in worker
