"""Status mapping through a full case lifecycle: open until the platform closes the case,
closed after; the public notes, the agency, the deadline and the update feed follow it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.cases import services
from gridgov.cases.models import Case, CaseState, Channel, MatterItem
from gridgov.cases.services import intake
from gridgov.core.testing.town import INSIDE, UNIT_A1
from gridgov.open311.tests.lifecycle import steps

pytestmark = pytest.mark.django_db

OPEN = {"reported", "accepted", "dispatched", "handling", "fed_back", "verified"}


def test_status_follows_the_lifecycle_to_closed(
    call, key, attributes, immediate_tasks, town, schemas
):
    _row, raw = key
    lon, lat = INSIDE[UNIT_A1]
    (answer,) = call(
        "POST",
        "requests",
        "json",
        api_key=raw,
        service_code="0401",
        lat=str(lat),
        long=str(lon),
        description="河边排污口冒黑水",
        **{"attribute[smell]": "strong"},
    )
    number = answer["service_request_id"]
    (row,) = call("GET", f"requests/{number}", "json")
    assert (row["status"], row["status_notes"]) == ("open", "已上报")
    case = Case.objects.get()
    seen = []
    for state, action in steps(town):
        case = action(Case.objects.get(pk=case.pk))
        assert case.state == state
        data = call("GET", f"requests/{number}", "json")
        schemas["requests"].validate(data)
        (row,) = data
        xml = call("GET", f"requests/{number}", "xml").find("request")
        assert xml.findtext("status") == row["status"]
        seen.append((state, row["status"]))
        assert row["status_notes"].startswith(str(CaseState(state).label))
        if state == "dispatched":
            assert row["agency_responsible"] == town.env.name
            assert dt.datetime.fromisoformat(row["expected_datetime"]) == case.due_at.replace(
                microsecond=0
            )
        if state in {"closed", "called_back"}:
            assert row["expected_datetime"] is None
            assert dt.datetime.fromisoformat(row["updated_datetime"]) == case.closed_at.replace(
                microsecond=0
            )
            # The result, written for the public once closed (as the tracking page shows it).
            assert row["status_notes"].endswith("已封堵排污口")
    assert seen == [(s, "open" if s in OPEN else "closed") for s, _a in steps(town)]
    start = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    updates = call("GET", "servicerequestupdates", "json", start_date=start)
    assert [u["status"] for u in updates] == [
        "open",  # reported
        "investigating",  # accepted
        "investigating",  # escalated to the town, still accepted
        "investigating",  # registered by the town on dispatch
        "action_scheduled",  # dispatched
        "in_progress",  # handling
        "in_progress",  # fed back
        "fixed",  # closed
        "fixed",  # called back
    ]
    # Internal steps (the verification by the grid worker) are not in the public feed.
    assert all(u["service_request_id"] == number for u in updates)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_rejected_and_merged_cases_are_closed(call, key, attributes, immediate_tasks, town, fmt):
    _row, raw = key
    lon, lat = INSIDE[UNIT_A1]
    numbers = []
    for offset in (0, 0.00005):
        (answer,) = call(
            "POST",
            "requests",
            "json",
            api_key=raw,
            service_code="0401",
            lat=str(lat + offset),
            long=str(lon),
            **{"attribute[smell]": "slight"},
        )
        numbers.append(answer["service_request_id"])
    first, second = Case.objects.order_by("pk")
    village = town.user("village_a")
    services.merge_case(case=second, into=first, by=village, note="同一排污口")
    services.reject_case(case=Case.objects.get(pk=first.pk), by=village, note="非本辖区")
    answer = call("GET", "requests", fmt, service_request_id=",".join(numbers))
    if fmt == "json":
        assert {r["status"] for r in answer} == {"closed"}
        notes = {r["status_notes"] for r in answer}
        assert "非本辖区" not in str(answer)
    else:
        assert {r.findtext("status") for r in answer.findall("request")} == {"closed"}
        notes = {r.findtext("status_notes") for r in answer.findall("request")}
    assert notes == {str(CaseState.REJECTED.label), str(CaseState.MERGED.label)}


def test_a_case_from_another_channel_is_shown_as_the_public_sees_it(call, town):
    case = intake.report_case(
        by=town.user("worker_a1"),
        channel=Channel.PATROL,
        description="张三家门口倾倒垃圾",
        item=MatterItem.objects.get(code="0501"),
        lon=INSIDE[UNIT_A1][0],
        lat=INSIDE[UNIT_A1][1],
    ).case
    for _state, action in steps(town)[:1]:
        case = action(case)
    (row,) = call("GET", "requests", "json")
    assert row["description"] == "暴露垃圾"
    assert "张三" not in str(row)
