"""Issue 11 links: a hazard reported during a running patrol is linked to it (as visits are),
and a visit's problem turned into a hazard links back to the visit (API and phone page)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridgov.core.testing.town import UNIT_A1
from gridgov.fieldwork.models import Patrol, Visit
from gridgov.fieldwork.safety import services
from gridgov.fieldwork.safety.models import Hazard, HazardSource
from gridgov.fieldwork.services import end_patrol, start_patrol
from gridgov.fieldwork.tests.test_visits import NOW, homes, moment, post  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_hazard_reported_during_a_running_patrol_is_linked_to_it(client_for, town, moment):  # noqa: F811
    worker = town.user("worker_a1")
    grid = town.grid(UNIT_A1)
    before = services.report_hazard(by=worker, grid=grid, description="电线老化", source="patrol")
    assert before.patrol_id is None
    patrol, _created = start_patrol(by=worker, started_at=NOW - timedelta(minutes=30))
    during = services.report_hazard(
        by=worker, grid=grid, description="消防通道堵塞", source="patrol"
    )
    assert Hazard.objects.get(pk=during.pk).patrol_id == patrol.pk
    # Another worker's patrol does not claim the office's hazard.
    office = services.report_hazard(
        by=town.user("town_office"), grid=grid, description="违规储存", source="inspection"
    )
    assert Hazard.objects.get(pk=office.pk).patrol_id is None
    assert set(Patrol.objects.get(pk=patrol.pk).hazards.values_list("pk", flat=True)) == {during.pk}
    # The patrol's detail in the API lists it.
    detail = client_for("worker_a1").get(f"/api/v1/fieldwork/patrols/{patrol.uid}").json()
    assert detail["hazards"] == [during.pk]
    end_patrol(patrol=patrol, by=worker, ended_at=NOW - timedelta(minutes=5))
    after = services.report_hazard(by=worker, grid=grid, description="灭火器过期", source="patrol")
    assert Hazard.objects.get(pk=after.pk).patrol_id is None


def test_a_visits_problem_becomes_a_linked_hazard(client_for, homes, moment):  # noqa: F811
    worker = client_for("worker_a1")
    visit = post(
        worker, "/api/v1/fieldwork/visits", {"household": "H1", "problems": "厨房煤气管老化"}
    ).json()
    first = post(worker, f"/api/v1/fieldwork/visits/{visit['id']}/hazard", {})
    again = post(worker, f"/api/v1/fieldwork/visits/{visit['id']}/hazard", {})
    assert first.status_code == 201, first.content
    assert first.json()["id"] == again.json()["id"]
    hazard = Hazard.objects.get(pk=first.json()["id"])
    assert (hazard.source, hazard.description, hazard.grid.code, hazard.visit_id) == (
        HazardSource.VISIT,
        "厨房煤气管老化",
        UNIT_A1,
        visit["id"],
    )
    assert worker.get(f"/api/v1/fieldwork/visits/{visit['id']}").json()["hazard"] == hazard.pk
    # The visit page shows the link back; the hazard page names the visit.
    page = worker.get(f"/m/visits/{visit['id']}/").content.decode()
    assert f"/fieldwork/hazards/{hazard.pk}/" in page
    assert hazard.number in page
    assert 'id="visit-to-hazard"' not in page
    detail = client_for("town_office").get(f"/fieldwork/hazards/{hazard.pk}/").content.decode()
    assert f"/m/visits/{visit['id']}/" in detail
    # A visit without a problem is refused naming the field; a neighbour gets a 404.
    quiet = post(worker, "/api/v1/fieldwork/visits", {"household": "H2", "learnt": "好"}).json()
    refused = post(worker, f"/api/v1/fieldwork/visits/{quiet['id']}/hazard", {})
    assert (refused.status_code, refused.json()["field"]) == (400, "problems")
    blocked = post(client_for("worker_b1"), f"/api/v1/fieldwork/visits/{visit['id']}/hazard", {})
    assert blocked.status_code == 404
    assert Hazard.objects.count() == 1


def test_the_phone_button_turns_a_visit_problem_into_a_hazard(client_for, homes, moment):  # noqa: F811
    worker = client_for("worker_a1")
    visit = post(
        worker, "/api/v1/fieldwork/visits", {"household": "H2", "problems": "楼道堆放杂物"}
    ).json()
    page = worker.get(f"/m/visits/{visit['id']}/").content.decode()
    assert 'id="visit-to-hazard"' in page
    sent = worker.post(f"/m/visits/{visit['id']}/hazard/")
    assert sent.status_code == 302
    assert sent["Location"] == f"/m/visits/{visit['id']}/"
    hazard = Hazard.objects.get(visit_id=visit["id"])
    assert Visit.objects.get(pk=visit["id"]).hazard == hazard
