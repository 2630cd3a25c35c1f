"""Household visits by plan: generation from the registry with known answers, occasions,
visit records completing tasks, one-tap cases, overdue counts, the ledger, scoping."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime

import pytest
import time_machine
from openpyxl import load_workbook

from gridgov.cases.models import Case, Channel
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_A2, UNIT_B1
from gridgov.fieldwork import visits
from gridgov.fieldwork.models import (
    Patrol,
    Visit,
    VisitCadence,
    VisitPlanKind,
    VisitTask,
)
from gridgov.registry.models import Household, HouseholdTag

NOW = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)  # 10:00 on 12 May in Asia/Shanghai
pytestmark = pytest.mark.django_db


def post(client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def moment():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def homes(town) -> dict[str, Household]:
    """H1 a key household and H2 an ordinary one of worker_a1 (A1); H3 in A2 without a contact
    worker; H4 ordinary of worker_b1 (B1)."""
    a1_staff = town.user("worker_a1").staff
    b1_staff = town.user("worker_b1").staff
    rows = {
        "H1": Household.objects.create(
            grid=town.grid(UNIT_A1), number="H1", address="王村一组1号", contact_worker=a1_staff
        ),
        "H2": Household.objects.create(
            grid=town.grid(UNIT_A1), number="H2", address="王村一组2号", contact_worker=a1_staff
        ),
        "H3": Household.objects.create(grid=town.grid(UNIT_A2), number="H3"),
        "H4": Household.objects.create(
            grid=town.grid(UNIT_B1), number="H4", contact_worker=b1_staff
        ),
    }
    HouseholdTag.objects.create(household=rows["H1"], kind="low_income", since=date(2025, 1, 1))
    return rows


def tasks_of(number: str) -> set[tuple[str, str, str]]:
    return {
        (t.kind, t.opens_at.astimezone(visits.LOCAL_TZ).date().isoformat(), str(t.due_at.date()))
        for t in VisitTask.objects.filter(household__number=number)
    }


def test_period_of_months_and_quarters():
    assert visits.period_of(date(2026, 5, 12), 1) == (date(2026, 5, 1), date(2026, 6, 1))
    assert visits.period_of(date(2026, 5, 12), 3) == (date(2026, 4, 1), date(2026, 7, 1))
    assert visits.period_of(date(2026, 12, 31), 3) == (date(2026, 10, 1), date(2027, 1, 1))
    assert visits.period_of(date(2026, 12, 31), 12) == (date(2026, 1, 1), date(2027, 1, 1))


def test_plan_from_registry_has_known_tasks_and_is_idempotent(client_for, homes, moment):
    office = client_for("town_office")
    response = post(office, "/api/v1/fieldwork/visit-plans", {"on": "2026-05-12"})
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 6, "existing": 0, "without_worker": 1}
    # Key household: monthly home visit + quarterly policy talk (due at local midnight, which
    # is 16:00 UTC the day before).
    assert tasks_of("H1") == {
        ("key", "2026-05-01", "2026-05-31"),
        ("policy_talk", "2026-04-01", "2026-06-30"),
    }
    assert tasks_of("H2") == {
        ("ordinary", "2026-04-01", "2026-06-30"),
        ("policy_talk", "2026-04-01", "2026-06-30"),
    }
    assert tasks_of("H3") == set()
    assert VisitTask.objects.filter(household__number="H4", worker__username="worker_b1").count()
    again = post(office, "/api/v1/fieldwork/visit-plans", {"on": "2026-05-20"})
    assert again.json() == {"created": 0, "existing": 6, "without_worker": 1}


def test_a_village_plans_only_its_own_households_and_a_worker_may_not(client_for, homes, moment):
    response = post(client_for("village_a"), "/api/v1/fieldwork/visit-plans", {})
    assert response.json() == {"created": 4, "existing": 0, "without_worker": 1}
    assert post(client_for("worker_a1"), "/api/v1/fieldwork/visit-plans", {}).status_code == 403


def test_cadences_are_configurable_per_kind(homes, moment):
    VisitCadence.objects.filter(kind="ordinary").update(months=1)
    VisitCadence.objects.filter(kind="policy_talk").update(is_active=False)
    visits.generate_visit_plan(on=date(2026, 5, 12))
    assert tasks_of("H2") == {("ordinary", "2026-05-01", "2026-05-31")}


def test_a_visit_completes_the_tasks_it_answers(client_for, homes, moment):
    visits.generate_visit_plan(on=date(2026, 5, 12))
    worker = client_for("worker_a1")
    lon, lat = INSIDE[UNIT_A1]
    home = post(
        worker,
        "/api/v1/fieldwork/visits",
        {"household": "H1", "kind": "home", "lon": lon, "lat": lat, "learnt": "老人身体良好"},
    )
    assert home.status_code == 201, home.content
    h1_key = VisitTask.objects.get(household__number="H1", kind="key")
    assert home.json()["completed_tasks"] == [h1_key.pk]
    # A home visit is not a policy talk.
    assert VisitTask.objects.get(household__number="H1", kind="policy_talk").visit_id is None
    talk = post(
        worker,
        "/api/v1/fieldwork/visits",
        {"household": "H2", "kind": "policy_talk", "learnt": "宣讲惠民政策"},
    )
    assert len(talk.json()["completed_tasks"]) == 2
    assert VisitTask.objects.filter(household__number="H2", visit__isnull=True).count() == 0


def test_a_resent_visit_is_stored_once_and_during_a_patrol_is_linked(client_for, homes, moment):
    worker = client_for("worker_a1")
    patrol = post(worker, "/api/v1/fieldwork/patrols", {}).json()
    body = {"uid": str(uuid.uuid4()), "household": "H2", "learnt": "无异常"}
    first = post(worker, "/api/v1/fieldwork/visits", body)
    again = post(worker, "/api/v1/fieldwork/visits", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert Visit.objects.count() == 1
    assert first.json()["patrol"] == Patrol.objects.get(uid=patrol["uid"]).pk


def test_bad_visits_are_refused_naming_the_field(client_for, homes, moment):
    worker = client_for("worker_a1")
    empty = post(worker, "/api/v1/fieldwork/visits", {"household": "H1"})
    assert (empty.status_code, empty.json()["field"]) == (400, "learnt")
    half = post(
        worker, "/api/v1/fieldwork/visits", {"household": "H1", "lon": 113.3, "learnt": "x"}
    )
    assert (half.status_code, half.json()["field"]) == (400, "lat")
    future = post(
        worker,
        "/api/v1/fieldwork/visits",
        {"household": "H1", "learnt": "x", "visited_at": "2026-05-13T10:00:00+08:00"},
    )
    assert (future.status_code, future.json()["field"]) == (400, "visited_at")
    # A household outside the worker's grids reads as missing.
    other = post(worker, "/api/v1/fieldwork/visits", {"household": "H4", "learnt": "x"})
    assert (other.status_code, other.json()["field"]) == (404, "household")
    assert Visit.objects.count() == 0


def test_an_occasion_lands_in_the_contact_workers_list_and_a_visit_closes_it(
    client_for, homes, moment
):
    raised = post(
        client_for("village_a"),
        "/api/v1/fieldwork/visit-tasks",
        {"household": "H2", "occasion": "dispute", "reason": "邻里因排水争吵"},
    )
    assert raised.status_code == 201, raised.content
    task = raised.json()
    assert task["worker"] == "worker_a1"
    assert task["due_at"] == "2026-05-13T02:00:00Z"  # 必到: within a day
    mine = client_for("worker_a1").get("/api/v1/fieldwork/visit-tasks?mine=true").json()
    assert [t["id"] for t in mine] == [task["id"]]
    # The neighbour village's worker cannot raise one for H2: not in scope.
    outsider = post(
        client_for("worker_b1"),
        "/api/v1/fieldwork/visit-tasks",
        {"household": "H2", "occasion": "dispute", "reason": "x"},
    )
    assert (outsider.status_code, outsider.json()["field"]) == (404, "household")
    done = post(
        client_for("worker_a1"),
        "/api/v1/fieldwork/visits",
        {"household": "H2", "kind": "occasion", "learnt": "已调解"},
    )
    assert done.json()["completed_tasks"] == [task["id"]]


def test_overdue_per_worker_and_grid(client_for, homes):
    with time_machine.travel(NOW, tick=False):
        visits.generate_visit_plan(on=date(2026, 5, 12))
        post(
            client_for("worker_a1"), "/api/v1/fieldwork/visits", {"household": "H2", "learnt": "x"}
        )
    with time_machine.travel(datetime(2026, 6, 2, 2, 0, tzinfo=UTC), tick=False):
        rows = client_for("town_office").get("/api/v1/fieldwork/visits/overdue").json()
        assert client_for("worker_a1").get("/api/v1/fieldwork/visits/overdue").status_code == 403
    by_worker = {r["worker"]: r for r in rows}
    # A1: H1's May key visit is overdue; H1's and H2's quarterly talks and nothing else open;
    # H2's ordinary visit done.
    assert by_worker["worker_a1"] == {
        "worker": "worker_a1",
        "worker_name": "李娜",
        "grid_code": UNIT_A1,
        "grid_name": "王村第1网格",
        "open": 2,
        "overdue": 1,
        "overdue_key": 1,
        "done": 1,
        "done_rate": 0.5,
    }
    assert by_worker["worker_b1"]["open"] == 2
    village = client_for("village_a").get("/api/v1/fieldwork/visits/overdue").json()
    assert {r["worker"] for r in village} == {"worker_a1"}


def test_one_tap_turns_a_problem_into_a_linked_case(client_for, homes, moment):
    worker = client_for("worker_a1")
    lon, lat = INSIDE[UNIT_A1]
    visit = post(
        worker,
        "/api/v1/fieldwork/visits",
        {"household": "H1", "lon": lon, "lat": lat, "problems": "屋顶漏雨,需要维修"},
    ).json()
    first = post(worker, f"/api/v1/fieldwork/visits/{visit['id']}/case", {})
    again = post(worker, f"/api/v1/fieldwork/visits/{visit['id']}/case", {})
    assert first.status_code == 201, first.content
    assert first.json()["id"] == again.json()["id"]
    case = Case.objects.get(pk=first.json()["id"])
    assert (case.channel, case.description, case.grid.code) == (
        Channel.PATROL,
        "屋顶漏雨,需要维修",
        UNIT_A1,
    )
    assert Visit.objects.get(pk=visit["id"]).case_id == case.pk
    quiet = post(worker, "/api/v1/fieldwork/visits", {"household": "H2", "learnt": "好"}).json()
    refused = post(worker, f"/api/v1/fieldwork/visits/{quiet['id']}/case", {})
    assert (refused.status_code, refused.json()["field"]) == (400, "problems")
    # The neighbour cannot see the visit at all.
    assert client_for("worker_b1").get(f"/api/v1/fieldwork/visits/{visit['id']}").status_code == 404
    blocked = post(client_for("worker_b1"), f"/api/v1/fieldwork/visits/{visit['id']}/case", {})
    assert blocked.status_code == 404


def test_visit_ledger_exports_the_visits_in_scope(client_for, homes, moment):
    post(
        client_for("worker_a1"),
        "/api/v1/fieldwork/visits",
        {"household": "H1", "people_met": "户主", "learnt": "生活稳定", "assistance": "代办低保"},
    )
    post(client_for("worker_b1"), "/api/v1/fieldwork/visits", {"household": "H4", "learnt": "x"})
    response = client_for("village_a").get(
        "/api/v1/fieldwork/visits/ledger.xlsx?start=2026-05-01&end=2026-05-31"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("走访时间", "网格", "户编号")
    assert len(rows) == 2
    assert rows[1][:10] == (
        "2026-05-12 10:00",
        "王村第1网格",
        "H1",
        "王村一组1号",
        "李娜",
        "入户走访",
        "户主",
        "生活稳定",
        None,
        "代办低保",
    )


def test_visits_made_before_the_plan_count_for_it(homes, town, moment):
    visits.record_visit(
        by=town.user("worker_a1"), uid=None, household_number="H1", kind="home", learnt="x"
    )
    visits.generate_visit_plan(on=date(2026, 5, 12))
    task = VisitTask.objects.get(household__number="H1", kind=VisitPlanKind.KEY)
    assert task.visit_id is not None


def test_grid_card_shows_todays_patrols_and_visits(client_for, town, homes, moment):
    a1 = town.grid(UNIT_A1)
    worker = town.user("worker_a1")
    Patrol.objects.create(user=worker, grid=a1, started_at=NOW, mileage_m=2345)
    Patrol.objects.create(user=worker, grid=a1, started_at=NOW, mileage_m=1000)
    Patrol.objects.create(  # yesterday: not counted
        user=worker, grid=a1, started_at=datetime(2026, 5, 11, 2, 0, tzinfo=UTC), mileage_m=9999
    )
    visits.record_visit(by=worker, uid=None, household_number="H1", kind="home", learnt="x")
    visits.generate_visit_plan(on=date(2026, 4, 10))  # April's key task for H1: overdue now
    figures = visits.grid_day_figures(town.grid(UNIT_A1).path)
    assert figures == visits.GridDayFigures(
        patrols=2, patrolling_workers=1, patrol_km=3.3, visits=1, overdue_visits=1
    )
    body = client_for("town_office").get(f"/command/grid/{UNIT_A1}/").content.decode()
    assert 'data-figure="visits">1<' in body
    assert "3.3 公里" in body
    other = client_for("town_office").get(f"/command/grid/{UNIT_B1}/").content.decode()
    assert 'data-figure="visits">0<' in other
