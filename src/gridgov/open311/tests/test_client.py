"""End to end with a real Open311 client from PyPI: `three` 0.8.0 (Code for America), talking
HTTP to pytest-django's live server. It files a report, follows the token to the request, and
sees the request closed once the platform has closed the case.

`three` 0.8.0 is Python 2 code in one place only: `from itertools import ifilter` at import
(Python 3's `filter` is the same thing). The test gives itertools that name before importing
it; nothing of the library is copied or changed. Its JSON path works unchanged on Python 3.11;
its XML path does not (relaxml calls Element.getchildren, removed in Python 3.9), so the client
is used in JSON, and the XML answers are checked by the other tests."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from gridgov.cases.catalogue import ensure_default_catalogue
from gridgov.cases.models import Case
from gridgov.core.calendar import ensure_seeded
from gridgov.core.testing.town import INSIDE, UNIT_A1, Town, build_test_town
from gridgov.open311 import services
from gridgov.open311.demo import build_demo_attributes
from gridgov.open311.tests.lifecycle import drive


def three_client(url: str, api_key: str) -> Any:
    if not hasattr(itertools, "ifilter"):
        itertools.ifilter = filter  # type: ignore[attr-defined]
    from three import Three

    return Three(url, format="json", api_key=api_key)


@pytest.fixture
def live_town(transactional_db, live_server):
    """The cast, the catalogue and the calendar committed for the live server's thread (the
    transactional test flushes them afterwards)."""
    ensure_seeded()
    ensure_default_catalogue()
    build_test_town()
    build_demo_attributes()
    return Town()


def test_three_files_a_report_follows_the_token_and_sees_it_closed(
    live_server, live_town, run_task_queue
):
    _row, raw = services.create_key(name="three-client")
    client = three_client(live_server.url + "/open311/v2/", raw)

    services_list = client.services()
    assert "0401" in {s["service_code"] for s in services_list}
    definition = client.services("0401")
    assert [a["code"] for a in definition["attributes"]] == ["smell", "first_seen", "source"]

    lon, lat = INSIDE[UNIT_A1]
    answer = client.post(
        "0401",
        lat=lat,
        long=lon,
        description="河边排污口冒黑水,气味刺鼻",
        name="小明 王",
        **{"attribute[smell]": "pungent"},
    )
    assert client.post_response.status_code == 200
    (receipt,) = answer
    assert "service_request_id" not in receipt
    token = receipt["token"]

    # Not yet run by the queue: the token is known, the request not yet.
    assert client.token(token) == [{"service_request_id": None, "token": token}]
    assert run_task_queue() == 1
    (found,) = client.token(token)
    number = found["service_request_id"]
    case = Case.objects.get()
    assert number == case.number

    (request,) = client.request(number)
    assert request["status"] == "open"
    assert request["service_code"] == "0401"
    assert request["description"] == "河边排污口冒黑水,气味刺鼻"
    assert request["requested_datetime"].endswith("+08:00")
    assert [r["service_request_id"] for r in client.requests()] == [number]

    for step in drive(case, live_town):
        if step.state == "closed":
            break
    (request,) = client.request(number)
    assert request["status"] == "closed"
    assert request["status_notes"].endswith("已封堵排污口")
    assert client.requests(status="closed")[0]["service_request_id"] == number

    # Errors reach the client as the spec's list, which it parses like any answer.
    bad = three_client(live_server.url + "/open311/v2/", "o311_wrong")
    assert bad.post("0401", lat=lat, long=lon, description="x") == [
        {"code": 403, "description": "api_key 无效或已停用"}
    ]
    assert client.request("2026010100000000")[0]["code"] == 404
