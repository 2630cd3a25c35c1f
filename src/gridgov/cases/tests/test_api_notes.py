"""The notes left on the case API (issue 8): a body naming a missing row is a 404 naming the
field, and a malformed co-handler names its field plainly."""

from __future__ import annotations

import json

import pytest

from gridgov.cases import services

pytestmark = pytest.mark.usefixtures("clock")


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_merge_into_a_missing_case_is_a_404_naming_into(town, report, client_for):
    case = report()
    response = _post(
        client_for("village_a"), f"/api/v1/cases/{case.pk}/merge", {"into": 99999, "note": "重复"}
    )
    assert response.status_code == 404
    assert response.json()["field"] == "into"


def test_merge_into_a_case_out_of_scope_reads_like_a_missing_one(town, report, client_for):
    from gridgov.core.testing.town import INSIDE, UNIT_B1

    case = report()
    neighbour = report(by="worker_b1", point=INSIDE[UNIT_B1])
    response = _post(
        client_for("worker_a1"),
        f"/api/v1/cases/{case.pk}/merge",
        {"into": neighbour.pk, "note": "x"},
    )
    # worker_a1 may not merge at all, but cannot learn whether the neighbour's case exists.
    assert response.status_code == 404
    assert response.json()["field"] == "into"


def test_dispatch_to_a_missing_department_is_a_404_naming_the_field(town, report, client_for):
    village = town.user("village_a")
    case = services.escalate_case(
        case=services.accept_case(case=report(), by=village), by=village, note="上报"
    )
    client = client_for("town_office")
    url = f"/api/v1/cases/{case.pk}/dispatch"
    response = _post(client, url, {"department": 99999})
    assert (response.status_code, response.json()["field"]) == (404, "department")
    response = _post(client, url, {"department": town.env.pk, "co": [99999]})
    assert (response.status_code, response.json()["field"]) == (404, "co")


def test_a_malformed_co_handler_names_its_field_plainly(town, report, client_for):
    village = town.user("village_a")
    case = services.escalate_case(
        case=services.accept_case(case=report(), by=village), by=village, note="上报"
    )
    response = _post(
        client_for("town_office"), f"/api/v1/cases/{case.pk}/dispatch", {"co": ["abc"]}
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"co.0"}
    assert "co.0" in response.json()["detail"]
    assert "constrained" not in response.json()["detail"]
