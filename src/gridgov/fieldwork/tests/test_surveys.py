"""Surveys (民情调查表): the office designs, workers fill per household, tabulation and export."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from openpyxl import load_workbook

from gridgov.core.testing.town import TOWN_CODE, UNIT_A1, UNIT_A2, UNIT_B1, VILLAGE_A
from gridgov.fieldwork import surveys
from gridgov.fieldwork.models import SurveyResponse
from gridgov.registry.models import Household

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"text": "家庭常住人数", "kind": "number"},
    {"text": "对网格服务是否满意", "kind": "single", "choices": ["满意", "基本满意", "不满意"]},
    {"text": "最关心的问题", "kind": "multiple", "choices": ["医疗", "就业", "治安", "环境"]},
    {"text": "是否有60岁以上老人", "kind": "yes_no"},
    {"text": "最近一次体检日期", "kind": "date", "required": False},
    {"text": "其他意见", "kind": "text", "required": False},
]


def post(client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def homes(town) -> None:
    for number, code in (("S1", UNIT_A1), ("S2", UNIT_A1), ("S3", UNIT_A2), ("S4", UNIT_B1)):
        Household.objects.create(grid=town.grid(code), number=number)


@pytest.fixture
def survey(client_for, homes) -> dict:
    body = {"title": "2026年民情调查表", "grid": TOWN_CODE, "questions": QUESTIONS}
    response = post(client_for("town_office"), "/api/v1/fieldwork/surveys", body)
    assert response.status_code == 201, response.content
    return response.json()


def answers(survey: dict, *values) -> dict[str, object]:
    return {str(q["id"]): v for q, v in zip(survey["questions"], values, strict=False)}


def test_the_office_designs_and_workers_of_the_town_see_it(client_for, survey):
    assert [q["kind"] for q in survey["questions"]] == [q["kind"] for q in QUESTIONS]
    seen = client_for("worker_a1").get("/api/v1/fieldwork/surveys").json()
    assert [s["id"] for s in seen] == [survey["id"]]
    assert post(
        client_for("worker_a1"), "/api/v1/fieldwork/surveys", {**survey, "questions": QUESTIONS}
    ).status_code in (403, 422)


def test_a_village_survey_is_not_seen_by_the_other_village(client_for, homes):
    body = {"title": "王村调查", "grid": VILLAGE_A, "questions": QUESTIONS[:1]}
    made = post(client_for("village_a"), "/api/v1/fieldwork/surveys", body).json()
    assert client_for("worker_a1").get(f"/api/v1/fieldwork/surveys/{made['id']}").status_code == 200
    assert client_for("worker_b1").get(f"/api/v1/fieldwork/surveys/{made['id']}").status_code == 404


def test_bad_designs_are_refused(client_for, homes):
    office = client_for("town_office")
    one_choice = [{"text": "x", "kind": "single", "choices": ["只有一个"]}]
    response = post(
        office,
        "/api/v1/fieldwork/surveys",
        {"title": "t", "grid": TOWN_CODE, "questions": one_choice},
    )
    assert (response.status_code, response.json()["field"]) == (400, "questions")
    empty = post(
        office, "/api/v1/fieldwork/surveys", {"title": "t", "grid": TOWN_CODE, "questions": []}
    )
    assert empty.status_code == 400


def test_fill_once_per_household_resend_is_the_same(client_for, survey):
    worker = client_for("worker_a1")
    url = f"/api/v1/fieldwork/surveys/{survey['id']}/responses"
    body = {
        "uid": str(uuid.uuid4()),
        "household": "S1",
        "answers": answers(survey, "3", "满意", ["就业", "医疗"], "yes", "2026-03-01", "无"),
    }
    first = post(worker, url, body)
    again = post(worker, url, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["answers"] == answers(
        survey, 3, "满意", ["医疗", "就业"], True, "2026-03-01", "无"
    )
    twice = post(worker, url, {**body, "uid": str(uuid.uuid4())})
    assert twice.status_code == 409
    assert "S1" in twice.json()["detail"]
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize(
    ("index", "value"),
    [(0, "three"), (1, "很好"), (2, ["医疗", "医疗"]), (3, "maybe"), (4, "2026-02-30"), (0, None)],
)
def test_bad_answers_name_their_question(client_for, survey, index, value):
    good = ["3", "满意", ["医疗"], True, None, None]
    good[index] = value
    response = post(
        client_for("worker_a1"),
        f"/api/v1/fieldwork/surveys/{survey['id']}/responses",
        {"household": "S1", "answers": answers(survey, *good)},
    )
    assert response.status_code == 400, response.content
    assert response.json()["field"] == f"q{survey['questions'][index]['id']}"
    assert SurveyResponse.objects.count() == 0


def test_a_household_outside_scope_reads_as_missing(client_for, survey):
    response = post(
        client_for("worker_b1"),
        f"/api/v1/fieldwork/surveys/{survey['id']}/responses",
        {"household": "S1", "answers": answers(survey, 1, "满意", ["医疗"], False)},
    )
    assert (response.status_code, response.json()["field"]) == (404, "household")


def test_tabulation_and_export_have_known_counts(client_for, town, survey):
    fills = {
        ("worker_a1", "S1"): (3, "满意", ["医疗", "就业"], True),
        ("worker_a1", "S2"): (5, "基本满意", ["医疗"], False),
        ("worker_b1", "S4"): (4, "满意", ["治安"], True),
    }
    for (username, number), values in fills.items():
        response = post(
            client_for(username),
            f"/api/v1/fieldwork/surveys/{survey['id']}/responses",
            {"household": number, "answers": answers(survey, *values)},
        )
        assert response.status_code == 201, response.content
    from gridgov.fieldwork.models import Survey

    table = surveys.tabulate(Survey.objects.get(pk=survey["id"]), town.user("town_office"))
    assert table.responses == 3
    people, satisfied, concerns, elderly, _checkup, _other = table.questions
    assert (people.minimum, people.maximum, people.mean) == (3, 5, 4)
    assert [(label, n) for label, n, _share in satisfied.counts] == [
        ("满意", 2),
        ("基本满意", 1),
        ("不满意", 0),
    ]
    assert [(label, n) for label, n, _share in concerns.counts] == [
        ("医疗", 2),
        ("就业", 1),
        ("治安", 1),
        ("环境", 0),
    ]
    assert [n for _label, n, _share in elderly.counts] == [2, 1]
    # The village sees its own households' answers only.
    village = surveys.tabulate(Survey.objects.get(pk=survey["id"]), town.user("village_a"))
    assert village.responses == 2
    export = client_for("town_office").get(
        f"/api/v1/fieldwork/surveys/{survey['id']}/responses.xlsx"
    )
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(rows) == 4
    assert rows[1][0] == "S1"
    assert rows[1][4:8] == (3, "满意", "医疗、就业", "是")
