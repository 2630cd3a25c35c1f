"""Two people acting on the same case at once: one succeeds, the other gets a 409 with the
current state, and nothing is lost or applied twice. The racing tests need real concurrent
connections and row locks, so they run on PostgreSQL (SQLite serialises every writer at BEGIN
IMMEDIATE, so there is no race to lose there); the stale-version path runs everywhere."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.test import Client
from django_fsm import ConcurrentTransition

from gridgov.cases import services, tasks
from gridgov.cases.catalogue import ensure_default_catalogue
from gridgov.cases.models import (
    Case,
    CaseEvent,
    CaseState,
    CaseTask,
    Channel,
    EventKind,
    MatterItem,
)
from gridgov.cases.services import intake
from gridgov.core.testing.town import INSIDE, UNIT_A1

S = CaseState
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent connections with row locks (PostgreSQL); SQLite serialises writers",
)


@pytest.fixture
def cast_tx(town_tx):
    """The cast and the catalogue in a database that tests commit to (flushed afterwards)."""
    ensure_default_catalogue()
    return town_tx


def _new_case(town) -> Case:
    return intake.report_case(
        by=town.user("worker_a1"),
        channel=Channel.PATROL,
        description="违法排污",
        item=MatterItem.objects.get(code="0401"),
        lon=INSIDE[UNIT_A1][0],
        lat=INSIDE[UNIT_A1][1],
    ).case


def _at_town(town) -> Case:
    case = services.accept_case(case=_new_case(town), by=town.user("village_a"))
    return services.escalate_case(case=case, by=town.user("village_a"), note="上报")


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each thread uses its own connection."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=10)
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def api_post(username: str, url: str, body: dict[str, Any]) -> Callable[[], tuple[int, Any]]:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))

    def call() -> tuple[int, Any]:
        response = client.post(url, data=json.dumps(body), content_type="application/json")
        return response.status_code, response.json()

    return call


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_one_wins(cast_tx):
    town = cast_tx
    case = _at_town(town)
    url = f"/api/v1/cases/{case.pk}/dispatch"
    results = race(
        api_post("town_office", url, {"department": town.env.pk}),
        api_post("admin", url, {"department": town.police.pk}),
    )
    codes = sorted(code for code, _body in results)
    assert codes == [200, 409]
    loser = next(body for code, body in results if code == 409)
    assert loser["state"] == S.DISPATCHED
    assert "dispatch" not in loser["allowed"]
    assert CaseEvent.objects.filter(case=case, kind=EventKind.DISPATCH).count() == 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.REGISTER).count() == 1
    assert CaseTask.objects.filter(case=case).count() == 1
    assert Case.objects.get(pk=case.pk).version == case.version + 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_accept_and_reject_at_once_apply_one(cast_tx):
    town = cast_tx
    case = _new_case(town)
    results = race(
        api_post("village_a", f"/api/v1/cases/{case.pk}/accept", {}),
        api_post("admin", f"/api/v1/cases/{case.pk}/reject", {"note": "误报"}),
    )
    assert sorted(code for code, _ in results) == [200, 409]
    final = Case.objects.get(pk=case.pk).state
    assert final in {S.ACCEPTED, S.REJECTED}
    decisive = CaseEvent.objects.filter(case=case, kind__in=[EventKind.ACCEPT, EventKind.REJECT])
    assert decisive.count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_handlers_signing_for_the_same_assignment(cast_tx):
    town = cast_tx
    case = services.dispatch_case(case=_at_town(town), by=town.user("town_office"), to=town.env)
    url = f"/api/v1/cases/{case.pk}/handle"
    results = race(api_post("env_handler", url, {}), api_post("admin", url, {}))
    assert sorted(code for code, _ in results) == [200, 409]
    assert CaseEvent.objects.filter(case=case, kind=EventKind.HANDLE).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_escalations_go_up_one_level_only(cast_tx):
    town = cast_tx
    case = services.accept_case(case=_new_case(town), by=town.user("village_a"))
    url = f"/api/v1/cases/{case.pk}/escalate"
    body = {"note": "上报", "version": case.version}
    results = race(api_post("village_a", url, body), api_post("admin", url, body))
    assert sorted(code for code, _ in results) == [200, 409]
    assert Case.objects.get(pk=case.pk).level == "town"
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ESCALATE).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_racing_retries_with_one_idempotency_key_make_one_case(cast_tx):
    town = cast_tx
    worker = town.user("worker_a1")
    item = MatterItem.objects.get(code="0401")

    def submit() -> tuple[int, bool]:
        result = intake.report_case(
            by=worker,
            channel=Channel.PATROL,
            description="路灯不亮",
            item=item,
            lon=INSIDE[UNIT_A1][0],
            lat=INSIDE[UNIT_A1][1],
            idempotency_key="retry-4242",
        )
        return result.case.pk, result.created

    results = race(submit, submit, submit)
    assert len({pk for pk, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, True]
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(kind=EventKind.REPORT).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_racing_anonymous_reports_under_one_key_make_one_case_and_refuse_the_other(cast_tx):
    key = "5f0c9a1e-3b7d-4c2a-9e61-0d2f4b8a7c11"

    def submit(description: str) -> Callable[[], tuple[str, int | None]]:
        def call() -> tuple[str, int | None]:
            try:
                result = intake.report_case(
                    by=None,
                    channel=Channel.RESIDENT,
                    description=description,
                    lon=INSIDE[UNIT_A1][0],
                    lat=INSIDE[UNIT_A1][1],
                    idempotency_key=key,
                )
            except intake.IdempotencyKeyReusedError:
                return "refused", None
            return ("created" if result.created else "same"), result.case.pk

        return call

    results = race(submit("路灯不亮"), submit("路灯不亮"), submit("别人的事"))
    case = Case.objects.get()
    outcomes = sorted(outcome for outcome, _pk in results)
    # Whichever payload committed first owns the key; the other payload is refused, and a
    # retry of the winner's payload gets its case.
    if case.description == "路灯不亮":
        assert outcomes == ["created", "refused", "same"]
    else:
        assert outcomes == ["created", "refused", "refused"]
    assert {pk for _outcome, pk in results if pk is not None} == {case.pk}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_flag_each_case_once(cast_tx):
    import datetime as dt

    town = cast_tx
    for _ in range(3):
        services.dispatch_case(
            case=_at_town(town), by=town.user("town_office"), to=town.env, days=1
        )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    results = race(lambda: tasks.sweep(now=later), lambda: tasks.sweep(now=later))
    assert sum(r.overdue for r in results) == 3
    assert CaseEvent.objects.filter(kind=EventKind.OVERDUE).count() == 3


# --- the stale paths, on every database -------------------------------------------------------


def test_a_stale_instance_cannot_overwrite_a_newer_state(town, report):
    case = report()
    stale = Case.objects.get(pk=case.pk)
    services.accept_case(case=case, by=town.user("village_a"))
    stale.reject()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    assert Case.objects.get(pk=case.pk).state == S.ACCEPTED


def test_stale_version_through_the_api_is_409_with_the_current_state(town, report, client_for):
    case = report()
    seen = case.version
    services.accept_case(case=case, by=town.user("village_a"))
    response = client_for("village_a").post(
        f"/api/v1/cases/{case.pk}/reject",
        data=json.dumps({"note": "误报", "version": seen}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["state"] == S.ACCEPTED
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.REJECT).exists()
