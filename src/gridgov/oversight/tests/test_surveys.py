"""The residents' survey: public (no log-in), throttled, one answer per closed case, counted per
grid and month, feeding the 群众评价 item; the office's results page is scoped."""

from __future__ import annotations

import pytest

from gridgov.core.testing.fixtures import clear_cache
from gridgov.oversight.models import ResidentSurvey, SurveySource
from gridgov.oversight.services import assess, enter_survey


@pytest.fixture(autouse=True)
def fresh_cache(db):
    clear_cache()
    yield
    clear_cache()


ANSWER = {"knows_worker": "yes", "rating": "4", "comment": "网格员很负责,电话13912345678"}


def test_board_survey_needs_no_log_in_and_keeps_no_phone(town, client):
    page = client.get(f"/oversight/survey/{town.a1.code}/")
    assert page.status_code == 200
    assert town.a1.name in page.content.decode()
    done = client.post(f"/oversight/survey/{town.a1.code}/", ANSWER)
    assert done.status_code == 200
    answer = ResidentSurvey.objects.get()
    assert (answer.grid, answer.knows_worker, answer.rating, answer.source) == (
        town.a1,
        True,
        4,
        SurveySource.BOARD,
    )
    assert "13912345678" not in answer.comment
    assert answer.comment.startswith("网格员很负责")


def test_bad_answers_are_form_errors_and_unknown_grids_404(town, client):
    bad = client.post(f"/oversight/survey/{town.a1.code}/", {**ANSWER, "rating": "9"})
    assert bad.status_code == 400
    assert not ResidentSurvey.objects.exists()
    assert client.get("/oversight/survey/NO-SUCH-GRID/").status_code == 404
    robot = client.post(f"/oversight/survey/{town.a1.code}/", {**ANSWER, "website": "x"})
    assert robot.status_code == 400


def test_survey_is_throttled_per_address(town, client):
    codes = [
        client.post(f"/oversight/survey/{town.a1.code}/", ANSWER).status_code for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]
    assert ResidentSurvey.objects.count() == 5


def test_case_survey_once_and_only_when_closed(town, make_case, client):
    case = make_case("A1", state="dispatched")
    url = f"/oversight/survey/case/{case.tracking_code}/"
    assert client.post(url, ANSWER).status_code == 409
    from gridgov.cases.models import Case

    Case.objects.filter(pk=case.pk).update(state="closed")
    assert client.post(url, ANSWER).status_code == 200
    assert client.post(url, ANSWER).status_code == 409
    answer = ResidentSurvey.objects.get()
    assert (answer.case, answer.grid, answer.source) == (case, town.a1, SurveySource.CALLBACK)
    assert client.get("/oversight/survey/case/NOSUCHCODE/").status_code == 404


def _answer(town, grid, rating, knows=True, month="2026-03"):
    ResidentSurvey.objects.create(
        grid=grid, month=month, source="board", knows_worker=knows, rating=rating
    )


def test_answers_feed_the_public_rating_item(town):
    # A1: ratings 5, 4, 2 → 满意 1, 一般满意 1, 不满意 1 → (5+4+3)/15 × 5 = 4.0
    for rating in (5, 4, 2):
        _answer(town, town.a1, rating)
    _answer(town, town.b1, 5)
    _answer(town, town.a1, 1, month="2026-04")  # another month
    rows = {
        r["code"]: r for r in assess(scheme_code="sheet100", month="2026-03", unit_kind="worker")
    }
    item = {i["code"]: i for i in rows["worker_a1"]["items"]}["public_rating"]
    assert (item["numerator"], item["denominator"], item["points"]) == (12, 15, 4.0)
    grids = {
        r["code"]: r for r in assess(scheme_code="sheet100", month="2026-03", unit_kind="grid")
    }
    assert {i["code"]: i for i in grids[town.b1.code]["items"]}["public_rating"]["points"] == 5.0
    village = {
        r["code"]: r for r in assess(scheme_code="sheet100", month="2026-03", unit_kind="village")
    }
    # village A holds A1 (and A2): the same three answers.
    va = {i["code"]: i for i in village[town.village_a.code]["items"]}["public_rating"]
    assert (va["numerator"], va["denominator"]) == (12, 15)
    # The office's own counted survey of a unit takes precedence.
    enter_survey(
        month="2026-03",
        unit_kind="worker",
        unit_code="worker_a1",
        satisfied=1,
        fairly=0,
        dissatisfied=0,
        by=town.user("town_office"),
    )
    rows = {
        r["code"]: r for r in assess(scheme_code="sheet100", month="2026-03", unit_kind="worker")
    }
    assert {i["code"]: i for i in rows["worker_a1"]["items"]}["public_rating"]["points"] == 5.0


def test_results_page_counts_awareness_and_is_scoped(town, client_for):
    _answer(town, town.a1, 5, knows=True)
    _answer(town, town.a1, 3, knows=False)
    _answer(town, town.b1, 4, knows=True)
    page = client_for("village_a").get("/oversight/surveys/?month=2026-03")
    assert page.status_code == 200
    html = page.content.decode()
    assert town.a1.name in html
    assert "50%" in html
    assert town.b1.name not in html
    assert (
        town.b1.name
        in client_for("town_office").get("/oversight/surveys/?month=2026-03").content.decode()
    )
    assert client_for("worker_a1").get("/oversight/surveys/").status_code == 403
