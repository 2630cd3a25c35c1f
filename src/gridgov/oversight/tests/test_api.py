"""The oversight API: scoped lists (a neighbour's rows absent, their ids 404), the verbs with
their permissions (403) and states (409), bad input as 4xx naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.oversight.models import EarlyWarning, WarningRule
from gridgov.oversight.services import publish_run
from gridgov.oversight.tests.conftest import at
from gridgov.oversight.warnings import evaluate_warnings

API = "/api/v1/oversight"


@pytest.fixture
def warned(town, make_case):
    WarningRule.objects.exclude(code="overdue_backlog").update(is_active=False)
    now = timezone.now()
    for grid, n in (("A1", 3), ("B1", 5)):
        for _n in range(n):
            make_case(grid, state="dispatched", due=now - dt.timedelta(days=1))
    evaluate_warnings(now)
    return {w.grid.code: w for w in EarlyWarning.objects.active().select_related("grid")}


def test_warnings_are_scoped_and_lifted_with_a_note(town, warned, client_for):
    village = client_for("village_a")
    rows = village.get(f"{API}/warnings").json()["items"]
    assert [r["grid"] for r in rows] == [town.a1.code]
    assert (rows[0]["level"], rows[0]["facts"]) == ("blue", {"overdue": 3})
    b1 = warned[town.b1.code]
    assert village.get(f"{API}/warnings/{b1.pk}").status_code == 404
    assert (
        village.post(
            f"{API}/warnings/{b1.pk}/lift", {"note": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    office = client_for("town_office")
    assert len(office.get(f"{API}/warnings").json()["items"]) == 2
    assert len(office.get(f"{API}/warnings?grid={town.b1.code}").json()["items"]) == 1
    empty = office.post(
        f"{API}/warnings/{b1.pk}/lift", {"note": ""}, content_type="application/json"
    )
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "note"
    done = office.post(
        f"{API}/warnings/{b1.pk}/lift", {"note": "已组织清理"}, content_type="application/json"
    )
    assert done.status_code == 200
    assert done.json()["lift_note"] == "已组织清理"
    again = office.post(
        f"{API}/warnings/{b1.pk}/lift", {"note": "again"}, content_type="application/json"
    )
    assert again.status_code == 409  # lifted already
    worker = client_for("worker_a1")
    a1 = warned[town.a1.code]
    assert (
        worker.post(
            f"{API}/warnings/{a1.pk}/lift", {"note": "x"}, content_type="application/json"
        ).status_code
        == 403
    )


def test_bulletin_issue_acknowledge_and_report(town, client_for):
    office = client_for("town_office")
    body = {
        "title": "秸秆焚烧预警",
        "level": "orange",
        "grid": town.town.code,
        "situation": "多处焚烧",
        "measures": "加强巡查",
        "deadline": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        "departments": [town.env.pk],
    }
    bad = office.post(
        f"{API}/bulletins", {**body, "level": "purple"}, content_type="application/json"
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "level")
    unknown = office.post(
        f"{API}/bulletins", {**body, "departments": [999999]}, content_type="application/json"
    )
    assert (unknown.status_code, unknown.json()["field"]) == (400, "departments")
    made = office.post(f"{API}/bulletins", body, content_type="application/json")
    assert made.status_code == 201
    bulletin = made.json()
    assert bulletin["number"] == 1
    recipient = bulletin["recipients"][0]
    handler = client_for("env_handler")
    seen = handler.get(f"{API}/bulletins/{bulletin['id']}").json()
    assert seen["recipients"][0]["actions"] == ["acknowledge"]
    url = f"{API}/bulletins/{bulletin['id']}/recipients/{recipient['id']}"
    early = handler.post(f"{url}/report", {"report": "x"}, content_type="application/json")
    assert early.status_code == 409
    assert (
        handler.post(f"{url}/acknowledge", {}, content_type="application/json").status_code == 200
    )
    done = handler.post(f"{url}/report", {"report": "已落实"}, content_type="application/json")
    assert done.json()["recipients"][0]["state"] == "reported"
    assert (
        client_for("worker_b1").get(f"{API}/bulletins").json()["items"][0]["id"] == bulletin["id"]
    )


def test_runs_results_and_appeals(town, make_case, client_for):
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 12), created=at(3, 1))
    make_case("B1", state="closed", due=at(3, 10), closed=at(3, 9), created=at(3, 1))
    run = publish_run(
        scheme_code="gbt30428", month="2026-03", unit_kind="grid", by=town.user("town_office")
    )
    village = client_for("village_a")
    runs = village.get(f"{API}/runs?month=2026-03").json()["items"]
    assert [(r["id"], r["scheme"], r["unit"]) for r in runs] == [(run.pk, "gbt30428", "grid")]
    results = village.get(f"{API}/runs/{run.pk}/results").json()["items"]
    assert {r["code"] for r in results} == {town.a1.code, town.a2.code}
    a1 = next(r for r in results if r["code"] == town.a1.code)
    assert {i["code"] for i in a1["items"]} >= {"closure_rate", "on_time_closure_rate"}
    b1 = run.results.get(code=town.b1.code)
    assert village.get(f"{API}/results/{b1.pk}").status_code == 404
    assert (
        client_for("worker_b1").get(f"{API}/runs/{run.pk}/results").json()["items"][0]["code"]
        == town.b1.code
    )
    bad = village.post(
        f"{API}/results/{a1['id']}/appeals",
        {"item_code": "nope", "reason": "x"},
        content_type="application/json",
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "item_code")
    made = village.post(
        f"{API}/results/{a1['id']}/appeals",
        {"item_code": "on_time_closure_rate", "reason": "延期已获批准", "requested_points": "20"},
        content_type="application/json",
    )
    assert made.status_code == 201
    appeal = made.json()
    assert appeal["actions"] == []  # nobody decides their own appeal
    office = client_for("town_office")
    listed = office.get(f"{API}/appeals").json()["items"]
    assert [a["id"] for a in listed] == [appeal["id"]]
    assert listed[0]["actions"] == ["review"]
    post = lambda verb, body: office.post(  # noqa: E731
        f"{API}/appeals/{appeal['id']}/{verb}", body, content_type="application/json"
    )
    assert post("accept", {"note": "x", "corrected_points": "20"}).status_code == 409
    assert post("review", {}).json()["state"] == "reviewing"
    missing = post("accept", {"note": "属实"})
    assert (missing.status_code, missing.json()["field"]) == (400, "corrected_points")
    done = post("accept", {"note": "属实", "corrected_points": "20"})
    assert (done.json()["state"], done.json()["corrected_points"]) == ("accepted", "20.00")
    assert village.post(
        f"{API}/appeals/{appeal['id']}/refuse", {"note": "x"}, content_type="application/json"
    ).status_code in (403, 409)
    assert client_for("worker_b1").get(f"{API}/appeals").json()["items"] == []


def test_api_needs_a_log_in(client):
    assert client.get(f"{API}/warnings").status_code == 401
