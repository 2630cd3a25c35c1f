"""The phone pages for visits, diary, surveys and check-in (as the outbox posts them), and the
office's visit and survey pages."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, date, datetime

import pytest
import time_machine
from openpyxl import load_workbook

from gridgov.core.testing.town import INSIDE, TOWN_CODE, UNIT_A1
from gridgov.fieldwork import visits
from gridgov.fieldwork.models import CheckIn, Diary, Survey, SurveyResponse, Visit, VisitTask
from gridgov.registry.models import Household

NOW = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)
JSON = {"HTTP_ACCEPT": "application/json"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def moment():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def home(town) -> Household:
    return Household.objects.create(
        grid=town.grid(UNIT_A1),
        number="P1",
        address="王村一组9号",
        contact_worker=town.user("worker_a1").staff,
    )


def test_my_visit_list_shows_overdue_and_due(client_for, town, home, moment):
    visits.generate_visit_plan(on=date(2026, 5, 12))
    VisitTask.objects.filter(kind="ordinary").update(due_at=datetime(2026, 5, 1, tzinfo=UTC))
    page = client_for("worker_a1").get("/m/visits/")
    assert page.status_code == 200
    assert [t.kind for t in page.context["overdue"]] == ["ordinary"]
    assert [t.kind for t in page.context["due"]] == ["policy_talk"]
    assert client_for("town_office").get("/m/visits/").status_code == 403


def test_record_a_visit_as_the_outbox_sends_it_once(client_for, home, moment):
    worker = client_for("worker_a1")
    lon, lat = INSIDE[UNIT_A1]
    body = {
        "idempotency_key": uuid.uuid4().hex,
        "at": "2026-05-12T01:30:00.000Z",
        "household": "P1",
        "kind": "home",
        "lon": lon,
        "lat": lat,
        "learnt": "独居老人,身体尚可",
        "problems": "门前路灯不亮",
    }
    first = worker.post("/m/visits/new/", body, **JSON)
    again = worker.post("/m/visits/new/", body, **JSON)
    assert (first.status_code, again.status_code) == (201, 200)
    visit = Visit.objects.get()
    assert visit.visited_at == datetime(2026, 5, 12, 1, 30, tzinfo=UTC)
    assert first.json()["url"] == f"/m/visits/{visit.pk}/"
    # One tap on the visit page: the problem becomes a case, linked back.
    detail = worker.get(first.json()["url"])
    assert "visit-to-case" in detail.content.decode()
    tapped = worker.post(f"/m/visits/{visit.pk}/case/")
    visit.refresh_from_db()
    assert visit.case is not None
    assert tapped.url == f"/cases/{visit.case_id}/"
    # Another account's queued entry is not sent under this log-in.
    foreign = worker.post("/m/visits/new/", {**body, "outbox_user": "999999"}, **JSON)
    assert foreign.status_code == 409


def test_a_refused_visit_answers_with_errors_beside_fields(client_for, home, moment):
    response = client_for("worker_a1").post(
        "/m/visits/new/", {"household": "P1", "kind": "home"}, **JSON
    )
    assert response.status_code == 400
    assert "learnt" in response.json()["errors"]
    page = client_for("worker_a1").post("/m/visits/new/", {"household": "nope", "kind": "home"})
    assert page.status_code == 400


def test_diary_and_check_in_are_kept_once(client_for, home, moment):
    worker = client_for("worker_a1")
    key = uuid.uuid4().hex
    diary = {"idempotency_key": key, "kind": "people", "day": "2026-05-12", "text": "走访三户"}
    assert worker.post("/m/diary/", diary, **JSON).status_code == 201
    assert worker.post("/m/diary/", diary, **JSON).status_code == 201
    assert Diary.objects.filter(client_key=key).count() == 1
    lon, lat = INSIDE[UNIT_A1]
    check = {
        "idempotency_key": uuid.uuid4().hex,
        "kind": "in",
        "lon": lon,
        "lat": lat,
        "at": "2026-05-12T00:55:00Z",
    }
    assert worker.post("/m/check-in/", check, **JSON).status_code == 201
    assert worker.post("/m/check-in/", check, **JSON).status_code == 201
    record = CheckIn.objects.get()
    assert (record.at, record.grid.code) == (datetime(2026, 5, 12, 0, 55, tzinfo=UTC), UNIT_A1)
    stale = worker.post(
        "/m/check-in/", {**check, "idempotency_key": "x", "at": "2026-05-01T00:00Z"}, **JSON
    )
    assert stale.status_code == 400


def test_survey_designed_on_a_page_filled_on_the_phone_and_tabulated(client_for, home, moment):
    office = client_for("town_office")
    design = {
        "title": "民情调查",
        "grid": TOWN_CODE,
        "q1_text": "是否满意",
        "q1_kind": "yes_no",
        "q1_required": "on",
        "q2_text": "关心的问题",
        "q2_kind": "multiple",
        "q2_choices": "医疗\n就业\n治安",
    }
    made = office.post("/fieldwork/surveys/", design)
    survey = Survey.objects.get()
    assert made.url == f"/fieldwork/surveys/{survey.pk}/"
    q1, q2 = survey.questions.all()
    worker = client_for("worker_a1")
    page = worker.get(f"/m/surveys/{survey.pk}/")
    assert f'name="q{q2.pk}"' in page.content.decode()
    filled = worker.post(
        f"/m/surveys/{survey.pk}/",
        {
            "idempotency_key": uuid.uuid4().hex,
            "household": "P1",
            f"q{q1.pk}": "yes",
            f"q{q2.pk}": ["医疗", "治安"],
        },
        **JSON,
    )
    assert filled.status_code == 201, filled.content
    assert SurveyResponse.objects.get().answers == {str(q1.pk): True, str(q2.pk): ["医疗", "治安"]}
    missing = worker.post(f"/m/surveys/{survey.pk}/", {"household": "P1"}, **JSON)
    assert missing.status_code == 400
    table = office.get(f"/fieldwork/surveys/{survey.pk}/")
    assert table.context["table"].responses == 1
    export = office.get(f"/fieldwork/surveys/{survey.pk}/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[1][4:] == ("是", "医疗、治安")
    assert client_for("worker_b1").get(f"/fieldwork/surveys/{survey.pk}/").status_code == 403


def test_office_visit_page_plans_and_exports(client_for, home, moment):
    office = client_for("town_office")
    office.post("/fieldwork/visits/")
    assert VisitTask.objects.count() == 2
    page = office.get("/fieldwork/visits/")
    assert [(r.worker, r.open) for r in page.context["rows"]] == [("worker_a1", 2)]
    ledger = office.get("/fieldwork/visits/ledger/?start=2026-05-01&end=2026-05-31")
    assert ledger.status_code == 200
    assert ledger["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client_for("worker_a1").get("/fieldwork/visits/").status_code == 403


CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


@pytest.mark.parametrize(
    ("username", "url", "expected"),
    [
        ("worker_a1", "/m/visits/", "My visits"),
        ("worker_a1", "/m/visits/new/", "Record a visit"),
        ("worker_a1", "/m/diary/", "Save the entry"),
        ("worker_a1", "/m/check-in/", "No check-in today yet."),
        ("worker_a1", "/m/surveys/", "No survey is open."),
        ("town_office", "/fieldwork/visits/", "Export the visit ledger (Excel)"),
        ("town_office", "/fieldwork/surveys/", "Design a survey"),
    ],
)
def test_pages_in_english(client_for, town, username, url, expected):
    client = client_for(username)
    client.cookies["django_language"] = "en"
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert expected in body
    # The town's own names (grids, people) are data, the language switch names itself (中文)
    # and the tab bar draws a full-width plus; nothing else is Chinese.
    for name in ("王村镇", "王村", "小村", "李娜", "周敏", "第1网格", "第2网格", "中文", "＋"):
        body = body.replace(name, "")
    assert not CJK.findall(body), CJK.findall(body)[:20]


def test_an_occasion_raised_on_the_office_page_lands_in_the_workers_list(client_for, home, moment):
    office = client_for("village_a")
    page = office.get("/fieldwork/visits/")
    assert 'id="occasion-form"' in page.content.decode()
    office.post(
        "/fieldwork/visits/occasion/",
        {"from": "office", "household": "P1", "occasion": "accident", "reason": "老人摔倒"},
    )
    task = VisitTask.objects.get(kind="occasion")
    assert (task.worker.username, task.due_at) == (
        "worker_a1",
        datetime(2026, 5, 13, 2, tzinfo=UTC),
    )
    listed = client_for("worker_a1").get("/m/visits/")
    assert [t.pk for t in listed.context["due"]] == [task.pk]
    # Out of scope: refused with a message, nothing raised.
    client_for("worker_b1").post(
        "/fieldwork/visits/occasion/",
        {"household": "P1", "occasion": "accident", "reason": "x"},
    )
    assert VisitTask.objects.count() == 1
