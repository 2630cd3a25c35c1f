"""The business-safety API (/api/v1/fieldwork: inspection plan, inspections, hazards and their
verbs, the Excel downloads) over the test cast: scoping (404 outside), the verb × role × state
matrix through HTTP, 409 on a wrong or stale state, 4xx on bad input, an idempotent resend."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.fieldwork.api import router as fieldwork_router
from gridgov.fieldwork.safety import services
from gridgov.fieldwork.safety.api import router as safety_router
from gridgov.fieldwork.safety.models import Hazard, HazardEvent, Inspection, InspectionAnswer
from gridgov.fieldwork.safety.workflow import VERBS
from gridgov.fieldwork.tests.test_hazard_workflow import ARGS, CAST, MATRIX, _hazards
from gridgov.fieldwork.tests.test_safety import all_ok, business

pytestmark = pytest.mark.django_db

API = "/api/v1/fieldwork"


def post(client, url: str, body: dict[str, Any]):
    return client.post(url, json.dumps(body), content_type="application/json")


def _answers(org, **problems: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of the business's checklist passed, except the items named by position
    (`i0`, `i1`, …), which get the given fields."""
    items = list(services.checklist_for(org.industry).items.all())
    out = [{"item": i.pk, "ok": True} for i in items]
    for key, fields in problems.items():
        out[int(key[1:])] = {"item": items[int(key[1:])].pk, "ok": False, **fields}
    return out


def _sheet(response) -> list[list[Any]]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


# --- inspection plan ----------------------------------------------------------------------------


def test_plan_lists_businesses_due_by_risk_grade_and_the_overdue(client_for, town):
    red = business(town.a1, "红饭店", grade="red")
    blue = business(town.a2, "蓝商店", industry="零售业", grade="blue")
    key = business(town.b1, "小村重点厂", industry="机械加工", grade="yellow", key=True)
    worker = town.user("worker_a1")
    # Red is inspected every 30 days: inspected 40 days ago it is 10 days overdue.
    services.record_inspection(
        by=worker,
        organisation=red,
        answers=all_ok(red),
        at=timezone.now() - dt.timedelta(days=40),
    )
    services.record_inspection(by=town.user("town_office"), organisation=blue, answers=all_ok(blue))
    office = client_for("town_office")
    page = office.get(f"{API}/inspection-plan").json()
    today = timezone.localdate()
    rows = {r["name"]: r for r in page["items"]}
    assert page["count"] == 3
    # Most urgent first: the overdue red, then the never-inspected key business, then blue.
    assert [r["name"] for r in page["items"]] == ["红饭店", "小村重点厂", "蓝商店"]
    assert rows["红饭店"]["next_due"] == (today - dt.timedelta(days=10)).isoformat()
    assert (rows["红饭店"]["interval_days"], rows["红饭店"]["overdue"]) == (30, True)
    assert rows["蓝商店"]["next_due"] == (today + dt.timedelta(days=180)).isoformat()
    assert (rows["小村重点厂"]["interval_days"], rows["小村重点厂"]["overdue"]) == (30, False)
    overdue = office.get(f"{API}/inspection-plan?overdue=true").json()["items"]
    assert [r["organisation"] for r in overdue] == [red.pk]
    keys = office.get(f"{API}/inspection-plan?key=true").json()["items"]
    assert [r["organisation"] for r in keys] == [key.pk]
    in_a2 = office.get(f"{API}/inspection-plan?grid={town.a2.code}").json()["items"]
    assert [r["organisation"] for r in in_a2] == [blue.pk]
    assert (
        office.get(f"{API}/inspection-plan?page_size=1&page=2").json()["items"][0]["organisation"]
        == key.pk
    )
    # The worker of B1 sees only B1's business; a grid outside the scope is a 404 naming it.
    theirs = client_for("worker_b1").get(f"{API}/inspection-plan").json()
    assert [r["organisation"] for r in theirs["items"]] == [key.pk]
    outside = client_for("village_a").get(f"{API}/inspection-plan?grid={town.b1.code}")
    assert (outside.status_code, outside.json()["field"]) == (404, "grid")


def test_a_business_checklist_is_its_industry_list_and_scoped(client_for, town):
    org = business(town.a1)
    body = client_for("worker_a1").get(f"{API}/businesses/{org.pk}/checklist").json()
    checklist = services.checklist_for("餐饮业")
    assert (body["id"], body["industry"]) == (checklist.pk, "餐饮业")
    assert [i["id"] for i in body["items"]] == list(checklist.items.values_list("pk", flat=True))
    assert client_for("worker_b1").get(f"{API}/businesses/{org.pk}/checklist").status_code == 404


# --- inspections --------------------------------------------------------------------------------


def test_an_inspection_creates_its_hazards_and_a_resend_is_stored_once(client_for, town):
    org = business(town.a1)
    worker = client_for("worker_a1")
    made_at = timezone.now() - dt.timedelta(hours=3)
    body = {
        "organisation": org.pk,
        "answers": _answers(
            org,
            i0={"note": "软管老化", "handling": "fix"},
            i1={"note": "烟道油污", "handling": "order", "days": 5},
            i2={"note": "疏散通道堵塞", "handling": "major"},
        ),
        "note": "午间检查",
        "lon": 113.305,
        "lat": 34.81,
        # Made offline three hours ago, without an offset: Asia/Shanghai time.
        "at": timezone.localtime(made_at).replace(tzinfo=None).isoformat(),
        "idempotency_key": "phone-7-0001",
    }
    first = post(worker, f"{API}/inspections", body)
    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["created"], data["result"], data["inspector"]) == (True, "hazards", "worker_a1")
    assert (data["lon"], data["lat"], data["grid"]) == (113.305, 34.81, town.a1.code)
    assert abs(dt.datetime.fromisoformat(data["at"]) - made_at) < dt.timedelta(seconds=1)
    assert sorted((h["grade"], h["state"]) for h in data["hazards"]) == [
        ("major", "found"),
        ("ordinary", "closed"),
        ("ordinary", "rectifying"),
    ]
    assert sum(not a["ok"] for a in data["answers"]) == 3
    hazards = Hazard.objects.filter(inspection_id=data["id"])
    assert {h.found_at for h in hazards} == {Inspection.objects.get(pk=data["id"]).at}
    events_before = HazardEvent.objects.count()
    # The phone lost the answer and sends again: the first record comes back, nothing is added.
    again = post(worker, f"{API}/inspections", body)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["created"]) == (data["id"], False)
    assert [h["id"] for h in again.json()["hazards"]] == [h["id"] for h in data["hazards"]]
    assert Inspection.objects.count() == 1
    assert Hazard.objects.count() == 3
    assert HazardEvent.objects.count() == events_before
    assert InspectionAnswer.objects.count() == len(body["answers"])
    # Another account reusing the key is refused, not handed the first record.
    stolen = post(client_for("town_office"), f"{API}/inspections", body)
    assert (stolen.status_code, stolen.json()["field"]) == (400, "idempotency_key")
    # A clean inspection passes.
    clean = post(worker, f"{API}/inspections", {"organisation": org.pk, "answers": _answers(org)})
    assert (clean.status_code, clean.json()["result"], clean.json()["hazards"]) == (
        201,
        "passed",
        [],
    )


def test_a_bad_inspection_is_refused_with_a_message_and_stores_nothing(client_for, town):
    org = business(town.a1)
    worker = client_for("worker_a1")
    url = f"{API}/inspections"

    def refused(body: dict[str, Any], client=worker) -> tuple[int, Any]:
        response = post(client, url, {"organisation": org.pk, "answers": _answers(org), **body})
        assert response.json()["detail"]
        return response.status_code, response.json().get("field")

    assert refused({"answers": _answers(org)[1:]}) == (400, "answers")
    assert refused({"answers": _answers(org, i0={"note": "x"})}) == (400, f"handling_{_item(org)}")
    assert refused({"answers": _answers(org, i0={"handling": "fix"})}) == (
        400,
        f"note_{_item(org)}",
    )
    assert refused({"answers": _answers(org, i0={"handling": "order", "days": 0})})[0] == 422
    assert refused({"answers": _answers(org, i0={"handling": "burn"})})[0] == 422
    assert refused({"lat": 91})[0] == 422
    assert refused({"idempotency_key": ""})[0] == 422
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    assert refused({"at": future}) == (400, "at")
    # A business outside the scope reads as missing; a leader sees it but does not inspect.
    assert refused({}, client_for("worker_b1")) == (404, "organisation")
    assert refused({}, client_for("leader"))[0] == 403
    assert refused({"organisation": 2**63})[0] == 422
    assert Inspection.objects.count() == Hazard.objects.count() == 0


def _item(org) -> int:
    return services.checklist_for(org.industry).items.first().pk


def test_inspections_list_filters_and_detail_are_scoped(
    client_for, town, django_assert_max_num_queries
):
    a1, b1 = business(town.a1), business(town.b1, "乙村饭店")
    worker, outsider = town.user("worker_a1"), town.user("worker_b1")
    problem = [services.ItemAnswer(a.item_id, a.ok) for a in all_ok(a1)]
    problem[0] = services.ItemAnswer(problem[0].item_id, False, "灭火器过期", "order")
    old = services.record_inspection(
        by=worker,
        organisation=a1,
        answers=problem,
        at=timezone.now() - dt.timedelta(days=20),
    ).inspection
    new = services.record_inspection(by=worker, organisation=a1, answers=all_ok(a1)).inspection
    theirs = services.record_inspection(by=outsider, organisation=b1, answers=all_ok(b1)).inspection
    office = client_for("town_office")

    def ids(query: str = "", client=office) -> list[int]:
        response = client.get(f"{API}/inspections{query}")
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["items"]]

    with django_assert_max_num_queries(8):
        assert ids() == [theirs.pk, new.pk, old.pk]
    assert ids(f"?organisation={a1.pk}") == [new.pk, old.pk]
    assert ids(f"?grid={town.b1.code}") == [theirs.pk]
    assert ids("?result=hazards") == [old.pk]
    assert ids("?result=passed") == [theirs.pk, new.pk]
    day = timezone.localdate(old.at)
    assert ids(f"?start={day}&end={day}") == [old.pk]
    assert ids(f"?start={day + dt.timedelta(days=1)}") == [theirs.pk, new.pk]
    assert ids(client=client_for("worker_a1")) == [new.pk, old.pk]
    # The administrator sees every inspection, also with the oversight groups' hook registered.
    assert ids(client=client_for("admin")) == [theirs.pk, new.pk, old.pk]
    backwards = office.get(f"{API}/inspections?start={day}&end={day - dt.timedelta(days=1)}")
    assert (backwards.status_code, backwards.json()["field"]) == (400, "start")
    assert office.get(f"{API}/inspections?result=maybe").status_code == 422
    detail = client_for("worker_a1").get(f"{API}/inspections/{old.pk}").json()
    assert (detail["result"], len(detail["hazards"]), detail["organisation"]) == (
        "hazards",
        1,
        a1.pk,
    )
    missing = client_for("worker_b1").get(f"{API}/inspections/0")
    hidden = client_for("worker_b1").get(f"{API}/inspections/{old.pk}")
    assert (hidden.status_code, hidden.json()) == (404, missing.json())


# --- hazards ------------------------------------------------------------------------------------


def test_hazard_list_filters(client_for, town, django_assert_max_num_queries):
    hazards = _hazards(town)
    org = business(town.a1)
    worker = town.user("worker_a1")
    with_org = services.report_hazard(
        by=worker, grid=town.a1, description="油烟管道", source="inspection", organisation=org
    )
    outside = services.report_hazard(
        by=town.user("worker_b1"), grid=town.b1, description="x", source="patrol"
    )
    office = client_for("town_office")

    def ids(query: str = "", client=office) -> set[int]:
        response = client.get(f"{API}/hazards{query}")
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["items"]}

    every = {h.pk for h in hazards.values()} | {with_org.pk, outside.pk}
    with django_assert_max_num_queries(6):
        assert ids("?page_size=500") == every
    assert ids("?state=found") == {
        hazards["found"].pk,
        hazards["found_major"].pk,
        with_org.pk,
        outside.pk,
    }
    overdue = {hazards[k].pk for k in ("rectifying_overdue", "listed_overdue", "overdue_at_town")}
    assert ids("?overdue=true") == overdue
    assert ids("?queue=overdue") == overdue
    assert ids("?grade=major") == {
        hazards[k].pk for k in ("found_major", "listed_overdue", "reviewing_major")
    }
    assert ids("?listed=true") == {hazards["listed_overdue"].pk, hazards["reviewing_major"].pk}
    assert ids(f"?organisation={org.pk}") == {with_org.pk}
    assert ids(f"?grid={town.b1.code}") == {outside.pk}
    assert ids("?queue=to_review") == {hazards["reviewing"].pk, hazards["reviewing_major"].pk}
    # The worker's own review queue leaves the major one to the office.
    assert ids("?queue=to_review", client_for("worker_a1")) == {hazards["reviewing"].pk}
    assert ids(client=client_for("worker_b1")) == {outside.pk}
    bad = office.get(f"{API}/hazards?queue=nonsense")
    assert (bad.status_code, bad.json()["field"]) == (400, "queue")
    assert office.get(f"{API}/hazards?state=gone").status_code == 422
    outside_grid = client_for("village_a").get(f"{API}/hazards?grid={town.b1.code}")
    assert (outside_grid.status_code, outside_grid.json()["field"]) == (404, "grid")


def test_hazard_detail_has_its_events_and_the_callers_actions(client_for, town):
    hazards = _hazards(town)
    hazard = hazards["overdue_at_town"]
    body = client_for("town_office").get(f"{API}/hazards/{hazard.pk}").json()
    assert [e["kind"] for e in body["events"]] == ["report", "order", "escalate"]
    assert body["events"][-1]["actor"] == "village_a"
    assert (body["level"], body["state"], body["overdue"]) == (
        town.town.code,
        "rectifying",
        True,
    )
    for name in CAST:
        response = client_for(name).get(f"{API}/hazards/{hazard.pk}")
        if name in ("worker_b1", "env_handler"):
            assert response.status_code == 404, name
            continue
        expected = {verb for user, verb in MATRIX["overdue_at_town"] if user == name}
        if town.town.parent_id is None and name in ("admin", "town_office"):
            expected.discard("escalate")
        assert set(response.json()["allowed_actions"]) == expected, name


def test_every_verb_of_the_table_has_one_api_operation():
    prefix = "/hazards/{int:hazard_id}/"
    routes = {path.removeprefix(prefix) for path in safety_router.path_operations if prefix in path}
    assert routes == set(VERBS)
    for verb in VERBS:
        [operation] = safety_router.path_operations[prefix + verb].operations
        assert operation.methods == ["POST"], verb
    # Mounted on the fieldwork router, so the operations answer under /api/v1/fieldwork.
    assert safety_router in [r for _prefix, r, _tags in fieldwork_router._routers]


class _RollbackError(Exception):
    pass


def _status(client, hazard: Hazard, verb: str) -> int:
    """The status of one verb through HTTP, rolled back so every cell starts from the same
    hazard (the request runs in the test's connection)."""
    status = 0
    try:
        with transaction.atomic():
            status = post(client, f"{API}/hazards/{hazard.pk}/{verb}", ARGS[verb]).status_code
            raise _RollbackError
    except _RollbackError:
        pass
    return status


def test_the_verb_role_state_matrix_through_the_api(client_for, town):
    """Every verb for every member of the cast on a hazard in every situation: 200 exactly for
    the pinned matrix (and then the verb was in the caller's `allowed_actions`), else 403 or
    409 for a caller who sees the hazard, 404 for one who does not."""
    hazards = _hazards(town)
    expected = {k: set(v) for k, v in MATRIX.items()}
    if town.town.parent_id is None:
        expected["overdue_at_town"] -= {("admin", "escalate"), ("town_office", "escalate")}
    clients = {name: client_for(name) for name in CAST}
    seen: dict[str, set[tuple[str, str]]] = {k: set() for k in hazards}
    refusals: set[int] = set()
    for situation, hazard in hazards.items():
        for name, client in clients.items():
            detail = client.get(f"{API}/hazards/{hazard.pk}")
            for verb in VERBS:
                status = _status(client, hazard, verb)
                if name in ("worker_b1", "env_handler"):
                    assert (detail.status_code, status) == (404, 404), (situation, name, verb)
                    continue
                if status == 200:
                    seen[situation].add((name, verb))
                    assert verb in detail.json()["allowed_actions"], (situation, name, verb)
                else:
                    assert status in (403, 409), (situation, name, verb, status)
                    refusals.add(status)
    assert seen == expected
    assert refusals == {403, 409}
    # Nothing of the rolled-back cells stayed.
    assert {h.pk: h.state for h in Hazard.objects.all()} == {
        h.pk: h.state for h in hazards.values()
    }


def test_a_verb_takes_the_hazard_through_its_lifecycle_with_events(client_for, town):
    worker = client_for("worker_a1")
    hazard = services.report_hazard(
        by=town.user("worker_a1"), grid=town.a1, description="电线裸露", source="patrol"
    )
    url = f"{API}/hazards/{hazard.pk}"
    ordered = post(worker, f"{url}/order", {"days": 5, "note": "五个工作日内整改"})
    assert ordered.status_code == 200, ordered.content
    body = ordered.json()
    assert (body["state"], body["allowed_actions"]) == ("rectifying", ["complete"])
    due = dt.datetime.fromisoformat(body["due_at"])
    assert (timezone.localdate(due) - timezone.localdate()).days >= 5
    done = post(worker, f"{url}/complete", {"note": "已更换线缆", "version": 2})
    assert done.json()["state"] == "reviewing"
    failed = post(worker, f"{url}/review", {"passed": False, "days": 2, "note": "未套管"})
    assert (failed.json()["state"], failed.json()["reviews_failed"]) == ("rectifying", 1)
    post(worker, f"{url}/complete", {"note": "已套管"})
    closed = post(worker, f"{url}/review", {"passed": True})
    assert closed.json()["state"] == "closed"
    assert closed.json()["closed_at"]
    kinds = list(HazardEvent.objects.filter(hazard=hazard).values_list("kind", flat=True))
    assert kinds == ["report", "order", "complete", "review_fail", "complete", "review_pass"]
    assert [e["kind"] for e in closed.json()["events"]] == kinds


def test_a_wrong_state_or_a_stale_version_is_a_409_and_changes_nothing(client_for, town):
    office, worker = client_for("town_office"), client_for("worker_a1")
    hazard = services.report_hazard(
        by=town.user("worker_a1"), grid=town.a1, description="堆放杂物", source="patrol"
    )
    url = f"{API}/hazards/{hazard.pk}"
    seen = office.get(url).json()["version"]
    assert seen == 1  # the report
    ordered = post(worker, f"{url}/order", {"days": 3, "version": seen})
    assert (ordered.status_code, ordered.json()["version"]) == (200, 2)
    # The office acts on what it saw before the worker's order: a 409 with what is allowed now.
    stale = post(office, f"{url}/complete", {"note": "已清理", "version": seen})
    assert stale.status_code == 409
    assert (stale.json()["state"], stale.json()["allowed"]) == ("rectifying", ["complete"])
    assert "版本 1" in stale.json()["detail"]
    # Without a version, a verb the state does not admit is refused naming the state.
    wrong = post(office, f"{url}/fix_on_spot", {"note": "已清理"})
    assert wrong.status_code == 409
    assert "限期整改" in wrong.json()["detail"]
    # A stale version never hides a missing role: the leader is refused as a leader.
    leader = post(client_for("leader"), f"{url}/complete", {"note": "x", "version": seen})
    assert leader.status_code == 403
    # Not overdue yet: urging is not allowed now (409), though the operator may urge.
    assert post(office, f"{url}/urge", {}).status_code == 409
    assert HazardEvent.objects.filter(hazard=hazard).count() == 2
    # Overdue: an urge goes through once; the phone's resend of the same body is stale.
    Hazard.objects.filter(pk=hazard.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    body = {"note": "请尽快整改", "version": office.get(url).json()["version"]}
    assert post(office, f"{url}/urge", body).status_code == 200
    assert post(office, f"{url}/urge", body).status_code == 409
    assert Hazard.objects.get(pk=hazard.pk).state == "rectifying"
    kinds = list(HazardEvent.objects.filter(hazard=hazard).values_list("kind", flat=True))
    assert kinds == ["report", "order", "urge"]


def test_bad_verb_input_is_refused_with_a_message(client_for, town):
    office = client_for("town_office")
    worker = town.user("worker_a1")
    hazard = services.report_hazard(
        by=worker, grid=town.a1, description="气瓶倒放", source="patrol", grade="major"
    )
    url = f"{API}/hazards/{hazard.pk}"

    def refused(verb: str, body: dict[str, Any]) -> tuple[int, str]:
        response = post(office, f"{url}/{verb}", body)
        assert response.json()["detail"], response.content
        return response.status_code, response.json().get("field", "")

    assert refused("order", {"days": 0})[0] == 422
    assert refused("order", {"days": 91})[0] == 422
    assert refused("order", {"days": "soon"})[0] == 422
    assert refused("list", {"days": 10})[0] == 422
    assert refused("list", {"days": 10, "measures": "   "}) == (400, "measures")
    assert refused("fix_on_spot", {"note": ""})[0] == 422
    assert refused("order", {"version": -1})[0] == 422
    assert post(office, f"{url}/burn", {}).status_code == 404
    assert office.post(f"{url}/order", "{", content_type="application/json").status_code in (
        400,
        422,
    )
    # A failed review needs a note (what was not rectified).
    hazard = services.order_rectification(hazard, by=worker, days=3)
    hazard = services.complete_rectification(hazard, by=worker, note="已处理")
    assert refused("review", {"passed": False}) == (400, "note")
    assert Hazard.objects.get(pk=hazard.pk).state == "reviewing"
    assert HazardEvent.objects.filter(hazard=hazard).count() == 3
    # Outside the scope a verb is a 404 like a missing hazard.
    assert post(client_for("worker_b1"), f"{url}/complete", {"note": "x"}).status_code == 404


# --- Excel --------------------------------------------------------------------------------------


def test_the_ledger_and_key_supervision_list_download_with_the_filters(client_for, town):
    hazards = _hazards(town)
    org = business(town.a1, "红饭店", key=True)
    business(town.b1, "乙村饭店")
    with_org = services.report_hazard(
        by=town.user("worker_a1"),
        grid=town.a1,
        description="油烟管道",
        source="inspection",
        organisation=org,
    )
    office = client_for("town_office")
    ledger = _sheet(office.get(f"{API}/hazards.xlsx?overdue=true"))
    assert ledger[0][0] == "编号"
    overdue = ("rectifying_overdue", "listed_overdue", "overdue_at_town")
    assert sorted(r[0] for r in ledger[1:]) == sorted(
        Hazard.objects.get(pk=hazards[k].pk).number for k in overdue
    )
    assert {r[9] for r in ledger[1:]} == {"是"}
    by_org = _sheet(office.get(f"{API}/hazards.xlsx?organisation={org.pk}"))
    assert [(r[0], r[2]) for r in by_org[1:]] == [(with_org.number, "红饭店")]
    keys = _sheet(office.get(f"{API}/key-supervision.xlsx"))
    assert keys[0][0] == "单位名称"
    assert [r[0] for r in keys[1:]] == ["红饭店"]
    plan = _sheet(office.get(f"{API}/inspection-plan.xlsx?grid={town.b1.code}"))
    assert [r[0] for r in plan[1:]] == ["乙村饭店"]
    # Office documents: a worker is refused; the village operator sees village A only.
    assert client_for("worker_a1").get(f"{API}/hazards.xlsx").status_code == 403
    assert client_for("worker_a1").get(f"{API}/key-supervision.xlsx").status_code == 403
    village = client_for("village_a")
    assert village.get(f"{API}/hazards.xlsx?grid={town.b1.code}").status_code == 404
    assert (
        len(_sheet(village.get(f"{API}/hazards.xlsx"))) - 1
        == Hazard.objects.visible_to(town.user("village_a")).count()
    )
