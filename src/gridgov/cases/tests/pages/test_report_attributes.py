"""The chosen matter's extra questions on the worker's phone form and the resident's form: shown
for the item, answered with the report, refused with the question named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gridgov.cases.models import Case
from gridgov.core.testing.town import INSIDE, UNIT_A1

JSON = {"HTTP_ACCEPT": "application/json"}
LON, LAT = INSIDE[UNIT_A1]


@pytest.fixture
def questions(db: None) -> None:
    from gridgov.open311.demo import build_demo_attributes

    build_demo_attributes()


def test_forms_show_each_items_questions_hidden_until_chosen(
    client_for: Any, questions: None
) -> None:
    for username, url in (("worker_a1", "/m/report/"), ("", "/report/")):
        page = client_for(username).get(url).content.decode()
        assert 'data-attributes-for="0401" hidden disabled' in page
        assert 'name="attribute[smell]"' in page
        assert 'type="checkbox" name="attribute[hazards]" value="night"' in page
        assert 'type="datetime-local" name="attribute[first_seen]"' in page
        assert "cases/attributes.js" in page


def test_phone_report_stores_the_answers(client_for: Any, questions: None) -> None:
    data = {
        "idempotency_key": "attr-1",
        "description": "路面破损",
        "category": "0505",
        "urgency": "ordinary",
        "mode": "coordinate",
        "lon": LON,
        "lat": LAT,
        "attribute[area_m2]": "1.5",
        "attribute[hazards]": ["traffic", "walkers"],
        "attribute[smell]": "strong",  # another item's question: not this report's
    }
    response = client_for("worker_a1").post("/m/report/", data, **JSON)
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=json.loads(response.content)["id"])
    assert case.attributes == {"area_m2": 1.5, "hazards": ["traffic", "walkers"]}


def test_a_missing_required_answer_is_refused_on_the_form(client_for: Any, questions: None) -> None:
    data = {
        "idempotency_key": "attr-2",
        "description": "路面破损",
        "category": "0505",
        "urgency": "ordinary",
        "mode": "coordinate",
        "lon": LON,
        "lat": LAT,
    }
    response = client_for("worker_a1").post("/m/report/", data, **JSON)
    assert response.status_code == 400
    (error,) = json.loads(response.content)["errors"]["__all__"]
    assert "破损面积" in error["message"]
    assert not Case.objects.exists()


def test_resident_report_stores_the_answers(client_for: Any, questions: None) -> None:
    data = {
        "description": "河里有黑水",
        "category": "0401",
        "lon": LON,
        "lat": LAT,
        "idempotency_key": "0123456789abcdef0123",
        "attribute[smell]": "pungent",
        "attribute[first_seen]": "2026-06-08T07:30",
    }
    response = client_for("").post("/report/", data)
    assert response.status_code == 302, response.content
    case = Case.objects.get()
    assert case.attributes == {"smell": "pungent", "first_seen": "2026-06-08T07:30:00+08:00"}


def test_a_refused_form_shows_the_answers_given_again(client_for: Any, questions: None) -> None:
    data = {
        "idempotency_key": "attr-3",
        "description": "",  # refused: the description is required
        "category": "0505",
        "urgency": "ordinary",
        "mode": "coordinate",
        "lon": LON,
        "lat": LAT,
        "attribute[area_m2]": "2.5",
        "attribute[hazards]": ["walkers"],
    }
    page = client_for("worker_a1").post("/m/report/", data).content.decode()
    assert 'name="attribute[area_m2]" value="2.5"' in page
    assert 'value="walkers" checked' in page
    assert 'value="traffic" checked' not in page
    assert not Case.objects.exists()
