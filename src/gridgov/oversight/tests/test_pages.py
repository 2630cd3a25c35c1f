"""The oversight pages: scoped (neighbour 404), forms with errors, PDF and Excel downloads, and
the warning colours the command-centre map reads."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.oversight.models import EarlyWarning, WarningRule
from gridgov.oversight.services import publish_run
from gridgov.oversight.tests.conftest import at
from gridgov.oversight.warnings import evaluate_warnings, issue_bulletin


@pytest.fixture
def warned(town, make_case):
    WarningRule.objects.exclude(code="overdue_backlog").update(is_active=False)
    now = timezone.now()
    for _n in range(5):
        make_case("B1", state="dispatched", due=now - dt.timedelta(days=1))
    for _n in range(3):
        make_case("A1", state="dispatched", due=now - dt.timedelta(days=1))
    evaluate_warnings(now)
    return {w.grid.code: w for w in EarlyWarning.objects.active().select_related("grid")}


def test_warnings_page_is_scoped_and_lifts_with_a_note(town, warned, client_for):
    office = client_for("town_office")
    page = office.get("/oversight/warnings/")
    assert page.status_code == 200
    assert town.a1.name in page.content.decode()
    assert town.b1.name in page.content.decode()
    village = client_for("village_a").get("/oversight/warnings/").content.decode()
    assert town.a1.name in village
    assert town.b1.name not in village
    b1 = warned[town.b1.code]
    # Another village's warning is not found, not forbidden.
    assert (
        client_for("village_a")
        .post(f"/oversight/warnings/{b1.pk}/lift/", {"note": "x"})
        .status_code
        == 404
    )
    assert office.post(f"/oversight/warnings/{b1.pk}/lift/", {"note": ""}).status_code == 400
    assert office.post(f"/oversight/warnings/{b1.pk}/lift/", {"note": "已督办"}).status_code == 302
    b1.refresh_from_db()
    assert b1.lift_note == "已督办"
    assert b1.lifted_by == town.user("town_office")
    assert client_for("worker_a1").get("/oversight/warnings/").status_code == 200
    assert client_for("").get("/oversight/warnings/").status_code == 302


def test_command_centre_map_gets_warning_colours(town, warned, client_for):
    body = client_for("town_office").get("/command/figures.json").json()
    assert body["warnings"] == {town.a1.code: "blue", town.b1.code: "yellow"}
    body = client_for("village_a").get("/command/figures.json").json()
    assert body["warnings"] == {town.a1.code: "blue"}


def test_bulletin_form_detail_actions_and_pdf(town, client_for):
    office = client_for("town_office")
    deadline = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    form = {
        "title": "秸秆焚烧预警",
        "level": "orange",
        "grid": town.town.pk,
        "situation": "多处焚烧",
        "measures": "加强巡查",
        "deadline": deadline,
        "departments": [town.env.pk],
    }
    assert office.get("/oversight/bulletins/new/").status_code == 200
    bad = office.post("/oversight/bulletins/new/", {**form, "title": ""})
    assert bad.status_code == 200
    assert "title" in bad.context["form"].errors
    past = office.post("/oversight/bulletins/new/", {**form, "deadline": "2020-01-01"})
    assert "deadline" in past.context["form"].errors
    done = office.post("/oversight/bulletins/new/", form)
    assert done.status_code == 302
    url = done["Location"]
    handler = client_for("env_handler")
    page = handler.get(url)
    assert page.status_code == 200
    assert "签收" in page.content.decode()
    recipient = page.context["rows"][0][0]
    assert handler.post(f"{url}recipients/{recipient.pk}/acknowledge/").status_code == 302
    assert (
        handler.post(f"{url}recipients/{recipient.pk}/report/", {"report": ""}).status_code == 400
    )
    assert (
        handler.post(f"{url}recipients/{recipient.pk}/report/", {"report": "已落实"}).status_code
        == 302
    )
    pdf = office.get(url.rstrip("/") + ".pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert client_for("worker_b1").get(url).status_code == 200  # the town's bulletin concerns B1
    assert client_for("village_a").get("/oversight/bulletins/new/").status_code == 200


def test_bulletin_of_a_village_is_hidden_from_the_other_village(town, client_for):
    bulletin = issue_bulletin(
        title="t",
        level="blue",
        grid=town.village_a,
        situation="s",
        measures="m",
        deadline=timezone.localdate(),
        departments=[town.env],
        by=town.user("town_office"),
    )
    assert client_for("worker_b1").get(f"/oversight/bulletins/{bulletin.pk}/").status_code == 404
    assert client_for("worker_a1").get(f"/oversight/bulletins/{bulletin.pk}/").status_code == 200


def test_rankings_trend_and_excel(town, make_case, client_for):
    office_user = town.user("town_office")
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9))
    make_case("B1", state="dispatched", due=at(3, 10))
    make_case("A1", state="dispatched", due=at(4, 10))
    for month in ("2026-03", "2026-04"):
        publish_run(scheme_code="gbt30428", month=month, unit_kind="grid", by=office_user)
    office = client_for("town_office")
    page = office.get("/oversight/rankings/?scheme=gbt30428&unit=grid&month=2026-03")
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [r.result.code for r in rows][-1] == town.b1.code
    assert rows[0].grade == "green"
    assert rows[-1].grade == "yellow"
    village = client_for("village_a").get(
        "/oversight/rankings/?scheme=gbt30428&unit=grid&month=2026-03"
    )
    assert {r.result.code for r in village.context["rows"]} == {town.a1.code, town.a2.code}
    xlsx = office.get("/oversight/rankings/?scheme=gbt30428&unit=grid&month=2026-03&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 5
    assert sheet.cell(1, 6).value == "结案率"
    trend = office.get(f"/oversight/units/grid/{town.a1.code}/?scheme=gbt30428")
    assert trend.status_code == 200
    assert trend.context["chart"]["months"] == ["2026-03", "2026-04"]
    assert trend.context["chart"]["scores"] == [100.0, 60.0]
    assert (
        client_for("village_a")
        .get(f"/oversight/units/grid/{town.b1.code}/?scheme=gbt30428")
        .status_code
        == 404
    )
    assert office.get("/oversight/rankings/?scheme=nope").status_code == 400
    assert office.get("/oversight/rankings/?month=2026-13").status_code == 400


def test_pay_sheet_is_base_plus_performance_share(town, make_case, client_for):
    publish_run(
        scheme_code="sheet100", month="2026-03", unit_kind="worker", by=town.user("town_office")
    )
    response = client_for("town_office").get(
        "/oversight/pay.xlsx?scheme=sheet100&month=2026-03&base=2000&performance=1000"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    # Nothing due and no inputs: the 80 performance points are full, the 20 manual ones zero.
    assert rows["worker_a1"][3:] == (80.0, 2000.0, 800.0, 2800.0)
    assert client_for("worker_a1").get("/oversight/pay.xlsx?month=2026-03").status_code == 403
    bad = client_for("town_office").get("/oversight/pay.xlsx?month=2026-03&base=x")
    assert bad.status_code == 400


def test_person_file_page_and_pdf_are_scoped(town, client_for):
    from gridgov.people.models import Staff

    a1 = Staff.objects.get(user__username="worker_a1")
    office = client_for("town_office")
    page = office.get(f"/oversight/people/{a1.pk}/")
    assert page.status_code == 200
    assert page.context["file"].staff == a1
    pdf = office.get(f"/oversight/people/{a1.pk}/?format=pdf")
    assert pdf.content.startswith(b"%PDF")
    assert client_for("worker_b1").get(f"/oversight/people/{a1.pk}/").status_code == 404
    assert client_for("worker_a1").get(f"/oversight/people/{a1.pk}/").status_code == 200


def test_grid_card_lists_the_warnings_of_the_subtree(town, warned, client_for):
    card = client_for("town_office").get(f"/command/grid/{town.village_b.code}/")
    assert [w.grid for w in card.context["warnings"]] == [town.b1]
    assert "黄色预警" in card.content.decode()
    assert client_for("town_office").get(f"/command/grid/{town.village_a.code}/").context[
        "warnings"
    ] == [warned[town.a1.code]]


def test_appeal_pages_raise_review_accept_and_republish(town, make_case, client_for):
    from gridgov.oversight.models import Appeal, AssessmentRun

    make_case("A1", state="handling", due=at(3, 10), reporter="worker_a1", created=at(3, 1))
    run = publish_run(
        scheme_code="sheet100", month="2026-03", unit_kind="worker", by=town.user("town_office")
    )
    mine = run.results.get(code="worker_a1")
    worker = client_for("worker_a1")
    assert worker.get(f"/oversight/results/{mine.pk}/appeal/").status_code == 200
    other = run.results.get(code="worker_b1")
    assert worker.get(f"/oversight/results/{other.pk}/appeal/").status_code == 404
    bad = worker.post(
        f"/oversight/results/{mine.pk}/appeal/", {"item_code": "handling_rate", "reason": ""}
    )
    assert "reason" in bad.context["form"].errors
    done = worker.post(
        f"/oversight/results/{mine.pk}/appeal/",
        {"item_code": "handling_rate", "reason": "延误不在本人"},
    )
    assert done.status_code == 302
    appeal = Appeal.objects.get()
    assert worker.post(f"/oversight/appeals/{appeal.pk}/review/").status_code == 403
    office = client_for("town_office")
    assert office.post(f"/oversight/appeals/{appeal.pk}/review/").status_code == 302
    missing = office.post(f"/oversight/appeals/{appeal.pk}/accept/", {"note": "属实"})
    assert missing.status_code == 400
    assert (
        office.post(
            f"/oversight/appeals/{appeal.pk}/accept/", {"note": "属实", "corrected_points": "20"}
        ).status_code
        == 302
    )
    page = office.get("/oversight/appeals/")
    assert "更正后重新公布" in page.content.decode()
    assert office.post(f"/oversight/runs/{run.pk}/republish/").status_code == 302
    assert (
        AssessmentRun.objects.get(supersedes=run).results.get(code="worker_a1").score
        == mine.score + 20
    )


def test_worker_phone_shows_the_warnings_of_their_grid(town, warned, client_for):
    home = client_for("worker_a1").get("/m/")
    assert [w.grid for w in home.context["warnings"]] == [town.a1]
    assert "蓝色预警" in home.content.decode()
    assert [w.grid for w in client_for("worker_b1").get("/m/").context["warnings"]] == [town.b1]
