"""`comment` and `feedback` take JSON like every other verb (issue 9, defect 6), and still take
the multipart form the pages and photo uploads use; the document says both."""

from __future__ import annotations

import json

import pytest

from gridgov.cases.models import CaseEvent, CaseState, EventKind

URL = "/api/v1/cases/"
pytestmark = pytest.mark.usefixtures("clock")


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_comment_and_feedback_accept_json(client_for, report, town):
    case = report()
    village, office, handler = (client_for(u) for u in ("village_a", "town_office", "env_handler"))
    response = post_json(village, f"{URL}{case.pk}/comment", {"note": "已电话联系"})
    assert response.status_code == 200, response.content
    assert CaseEvent.objects.filter(case=case, kind=EventKind.NOTE).count() == 1
    assert post_json(village, f"{URL}{case.pk}/accept", {"note": "属实"}).status_code == 200
    assert post_json(village, f"{URL}{case.pk}/escalate", {"note": "上报"}).status_code == 200
    dispatched = post_json(office, f"{URL}{case.pk}/dispatch", {"department": town.env.pk})
    assert dispatched.status_code == 200, dispatched.content
    assert post_json(handler, f"{URL}{case.pk}/handle", {}).status_code == 200
    response = post_json(handler, f"{URL}{case.pk}/feedback", {"result": "已封堵排污口"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == CaseState.FED_BACK


def test_json_comment_with_a_missing_field_is_a_422_naming_it(client_for, report):
    case = report()
    response = post_json(client_for("village_a"), f"{URL}{case.pk}/comment", {"note2": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "note"


def test_comment_still_accepts_a_form(client_for, report):
    case = report()
    response = client_for("village_a").post(f"{URL}{case.pk}/comment", {"note": "表单"})
    assert response.status_code == 200


def test_the_document_offers_json_and_the_form_for_comment_and_feedback(client):
    document = client.get("/api/v1/openapi.json").json()
    for verb in ("comment", "feedback"):
        content = document["paths"][f"/api/v1/cases/{{case_id}}/{verb}"]["post"]["requestBody"][
            "content"
        ]
        assert {"application/json", "multipart/form-data"} <= set(content)
        assert "photos" not in content["application/json"]["schema"]["properties"]
