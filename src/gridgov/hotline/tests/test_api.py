"""The hotline API: KPIs and discovery rates of the caller's scope, back-tracing task verbs with
404 outside the scope, 403 without the permission and 409 on a stale state."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_B1, VILLAGE_A
from gridgov.grids.models import Grid
from gridgov.hotline.models import BacktraceTask, HotlineRecord, HotlineSource, RecordStatus
from gridgov.hotline.services.crosscheck import run_crosscheck
from gridgov.hotline.tests.test_crosscheck import MONDAY, NOON


def make(number: str, grid: str, **kw) -> HotlineRecord:
    source, _ = HotlineSource.objects.get_or_create(name="s12345")
    defaults = {
        "received_at": NOON,
        "status": RecordStatus.CLOSED,
        "closed_at": NOON + dt.timedelta(days=1),
        "due_at": NOON + dt.timedelta(days=2),
        "satisfaction": 5,
        "lon": INSIDE[grid][0],
        "lat": INSIDE[grid][1],
        "grid": Grid.objects.get(code=grid),
    }
    defaults.update(kw)
    return HotlineRecord.objects.create(source=source, external_number=number, **defaults)


@pytest.fixture
def tasks(town):
    make("A", UNIT_A1)
    make("B", UNIT_B1, satisfaction=3, closed_at=NOON + dt.timedelta(days=3))
    run_crosscheck(start=MONDAY, end=MONDAY + dt.timedelta(days=6), by=None)
    return {t.grid.code: t for t in BacktraceTask.objects.select_related("grid")}


def test_kpis_count_only_the_callers_records(tasks, client_for):
    url = "/api/v1/hotline/kpis?source=s12345&month=2026-03"
    town_body = client_for("town_office").get(url).json()
    assert (town_body["received"], town_body["closed_on_time"]) == (2, 1)
    assert town_body["satisfaction_rate"] == 0.5
    village_body = client_for("village_a").get(url).json()
    assert (village_body["received"], village_body["satisfaction_rate"]) == (1, 1.0)


@pytest.mark.parametrize(
    ("query", "field"),
    [("source=nope&month=2026-03", "source"), ("source=s12345&month=2026-13", "month")],
)
def test_kpis_bad_input_is_a_400_naming_the_field(tasks, client_for, query, field):
    response = client_for("town_office").get(f"/api/v1/hotline/kpis?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_discovery_lists_the_grids_in_scope(tasks, client_for):
    response = client_for("village_a").get(
        "/api/v1/hotline/discovery?start=2026-03-02&end=2026-03-08"
    )
    assert response.status_code == 200
    rates = {r["code"]: r for r in response.json()}
    assert UNIT_B1 not in rates
    assert (rates[VILLAGE_A]["records"], rates[VILLAGE_A]["discovery_rate"]) == (1, 0.0)


def test_worker_explains_office_accepts_outsider_gets_404(tasks, client_for):
    task = tasks[UNIT_A1]
    url = f"/api/v1/hotline/backtrace/{task.pk}"
    assert (
        client_for("worker_b1")
        .post(f"{url}/explain", {"answer": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    response = client_for("worker_a1").post(
        f"{url}/explain", {"answer": "当时在别处巡查"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "explained"
    assert response.json()["actions"] == []
    again = client_for("worker_a1").post(
        f"{url}/correct", {"answer": "y"}, content_type="application/json"
    )
    assert again.status_code == 409
    assert (
        client_for("worker_a1")
        .post(f"{url}/accept", {}, content_type="application/json")
        .status_code
        == 403
    )
    accepted = client_for("village_a").post(f"{url}/accept", {}, content_type="application/json")
    assert accepted.json()["state"] == "accepted"
    unknown = client_for("village_a").post(f"{url}/approve", {}, content_type="application/json")
    assert unknown.status_code == 400
