"""The anonymous side of /api/v1/cases: a resident reports (optionally for a grid named by the QR
code of its public board), follows the case and rates it with the tracking code; every public
endpoint is throttled per address. And no integer parameter can reach the database unbounded:
absurd page numbers and ids answer 4xx, never 500."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.cases import services
from gridgov.cases.models import Case, CaseEvent, CaseState, EventKind
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_A2, UNIT_B2

from .conftest import MONDAY

URL = "/api/v1/cases/"
S = CaseState
pytestmark = pytest.mark.usefixtures("clock")
HUGE = "99999999999999999999"


def closed(town, report) -> Case:
    """A resident's case handled by the village itself and closed."""
    village = town.user("village_a")
    case = report(by=None, category="0501")
    case = services.accept_case(case=case, by=village)
    case = services.handle_case(case=case, by=village)
    case = services.feedback_case(case=case, by=village, result="已清理")
    return services.verify_case(case=case, by=village, passed=True)


def test_resident_rates_a_closed_case_with_the_tracking_code(client, town, report):
    case = closed(town, report)
    assert case.state == S.CLOSED
    response = client.post(
        f"{URL}track/{case.tracking_code.lower()}/callback",
        data={"satisfaction": 5, "note": "处理及时"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["satisfaction"]) == (S.CALLED_BACK, 5)
    event = CaseEvent.objects.get(case=case, kind=EventKind.CALLBACK)
    assert (event.actor, event.satisfaction, event.extra) == (None, 5, {"by_resident": True})


def test_resident_callback_refuses_what_cannot_be_rated(client, town, report):
    open_case = report(by=None)
    post = lambda code, body: client.post(  # noqa: E731
        f"{URL}track/{code}/callback", data=body, content_type="application/json"
    )
    conflict = post(open_case.tracking_code, {"satisfaction": 5})
    assert conflict.status_code == 409
    assert conflict.json()["state"] == S.REPORTED
    assert post("NOSUCHCODE", {"satisfaction": 5}).status_code == 404
    case = closed(town, report)
    bad = post(case.tracking_code, {"satisfaction": 1})
    assert (bad.status_code, bad.json()["field"]) == (400, "satisfaction")
    assert post(case.tracking_code, {}).status_code == 422
    assert Case.objects.get(pk=case.pk).state == S.CLOSED


def test_public_report_for_the_grid_of_a_board_qr_code(client, town):
    response = client.post(f"{URL}public", data={"description": "路灯不亮", "grid": UNIT_A2})
    assert response.status_code == 201, response.content
    case = Case.objects.get(tracking_code=response.json()["tracking_code"])
    assert (case.grid, case.level, case.needs_location) == (town.a2, "village", False)
    # A point, when given, wins over the board's grid.
    lon, lat = INSIDE[UNIT_A1]
    pointed = client.post(
        f"{URL}public", data={"description": "垃圾", "grid": UNIT_A2, "lon": lon, "lat": lat}
    )
    assert Case.objects.get(tracking_code=pointed.json()["tracking_code"]).grid == town.a1


def test_public_report_refuses_an_unknown_or_retired_grid(client, town):
    from gridgov.grids.models import Grid

    Grid.objects.filter(code=UNIT_B2).update(is_active=False)
    for code in ("410182100299001", UNIT_B2, "<script>"):
        response = client.post(f"{URL}public", data={"description": "路灯不亮", "grid": code})
        assert response.status_code == 400, (code, response.content)
        assert response.json()["field"] == "grid"
    too_long = client.post(f"{URL}public", data={"description": "路灯不亮", "grid": "1" * 40})
    assert too_long.status_code == 422
    assert Case.objects.count() == 0


def test_the_eleventh_public_report_in_ten_minutes_is_429_until_the_window_passes(
    client, town, clock
):
    form = {"description": "噪音扰民", "grid": UNIT_A1}
    for _ in range(10):
        assert client.post(f"{URL}public", data=form).status_code == 201
    refused = client.post(f"{URL}public", data=form)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 600
    assert Case.objects.count() == 10
    # Another address is not held back by this one.
    other = client.post(f"{URL}public", data=form, REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 201
    clock.move_to(MONDAY + dt.timedelta(minutes=11))
    assert client.post(f"{URL}public", data=form).status_code == 201


def test_tracking_and_callbacks_are_throttled(client, town, report):
    case = report(by=None)
    for _ in range(30):
        assert client.get(f"{URL}track/{case.tracking_code}").status_code == 200
    assert client.get(f"{URL}track/{case.tracking_code}").status_code == 429
    for _ in range(10):
        client.post(
            f"{URL}track/NOSUCHCODE/callback",
            data={"satisfaction": 5},
            content_type="application/json",
        )
    guessing = client.post(
        f"{URL}track/{case.tracking_code}/callback",
        data={"satisfaction": 5},
        content_type="application/json",
    )
    assert guessing.status_code == 429
    assert "Retry-After" in guessing


ABSURD = [HUGE, "-1", "0", "1e9", "abc", str(2**63), "10001"]


@pytest.mark.parametrize("value", ABSURD)
def test_list_endpoints_answer_4xx_to_absurd_numbers(client_for, report, value):
    report()
    office = client_for("town_office")
    for url, params in (
        (URL, {"page": value}),
        (URL, {"page_size": value}),
        (URL, {"department": value if value != "10001" else HUGE}),
        (URL, {"queue": "to_accept", "page": value}),
        (f"{URL}tasks", {"limit": value}),
    ):
        response = office.get(url, params)
        assert 400 <= response.status_code < 500, (url, params, response.status_code)


def test_the_largest_allowed_page_is_an_empty_page(client_for, report):
    report()
    body = client_for("town_office").get(URL, {"page": 10000, "page_size": 100}).json()
    assert (body["items"], body["has_next"]) == ([], False)


@pytest.mark.parametrize(
    "path",
    [
        f"{URL}{HUGE}",
        f"{URL}{2**63}",
        f"{URL}{2**63}/extensions/{HUGE}/decide",
        f"{URL}?q=20260608{HUGE}",
    ],
)
def test_absurd_ids_answer_4xx(client_for, report, path):
    report()
    office = client_for("town_office")
    response = (
        office.get(path)
        if "decide" not in path
        else office.post(path, data={"approve": True}, content_type="application/json")
    )
    assert 400 <= response.status_code < 500 or ("?q=" in path and response.status_code == 200), (
        response.status_code
    )
