"""Appeals (申诉): raised, reviewed, accepted or refused with the reason, re-published."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from gridgov.core.errors import ConflictError, DomainError
from gridgov.oversight.models import AppealEvent, AppealState, RunState
from gridgov.oversight.services import (
    act_on_appeal,
    assess,
    publish_run,
    raise_appeal,
    republish_run,
    results_visible_to,
)
from gridgov.oversight.tests.conftest import at
from gridgov.oversight.workflow import APPEAL_VERBS, allowed_actions


@pytest.fixture
def worker_run(town, make_case):
    make_case("A1", state="handling", due=at(3, 10), reporter="worker_a1", created=at(3, 1))
    return publish_run(
        scheme_code="sheet100", month="2026-03", unit_kind="worker", by=town.user("town_office")
    )


def test_appeal_lifecycle_accepted_and_republished(town, worker_run):
    result = worker_run.results.get(code="worker_a1")
    handling = next(i for i in result.items if i["code"] == "handling_rate")
    assert handling["points"] == 0
    appeal = raise_appeal(
        result=result,
        item_code="handling_rate",
        reason="该案件为上级部门延误,非本人责任",
        requested_points=Decimal(20),
        by=town.user("worker_a1"),
    )
    office = town.user("town_office")
    assert allowed_actions(appeal, office) == ["review"]
    assert allowed_actions(appeal, town.user("worker_a1")) == []
    with pytest.raises(ConflictError):
        act_on_appeal(appeal=appeal, verb="accept", by=office, note="x", corrected_points=1)
    act_on_appeal(appeal=appeal, verb="review", by=office)
    with pytest.raises(DomainError):
        act_on_appeal(appeal=appeal, verb="accept", by=office, note="", corrected_points=20)
    with pytest.raises(DomainError):
        act_on_appeal(appeal=appeal, verb="accept", by=office, note="核实", corrected_points=21)
    appeal = act_on_appeal(
        appeal=appeal, verb="accept", by=office, note="经核实延误在县级部门", corrected_points=20
    )
    assert appeal.state == AppealState.ACCEPTED
    assert appeal.decision_note == "经核实延误在县级部门"
    new = republish_run(run=worker_run, by=office, note="申诉更正")
    worker_run.refresh_from_db()
    assert worker_run.state == RunState.SUPERSEDED
    assert (new.state, new.revision, new.supersedes_id) == (RunState.PUBLISHED, 2, worker_run.pk)
    fixed = new.results.get(code="worker_a1")
    assert next(i for i in fixed.items if i["code"] == "handling_rate")["points"] == 20
    assert fixed.score == result.score + 20
    rows = {
        r["code"]: r for r in assess(scheme_code="sheet100", month="2026-03", unit_kind="worker")
    }
    assert rows["worker_a1"]["score"] == float(fixed.score)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.APPLIED
    assert appeal.applied_run == new
    assert list(AppealEvent.objects.filter(appeal=appeal).values_list("verb", flat=True)) == [
        "raise",
        "review",
        "accept",
        "apply",
    ]
    with pytest.raises(DomainError):
        republish_run(run=new, by=office)


def test_refused_appeal_keeps_the_score_and_records_the_reason(town, worker_run):
    result = worker_run.results.get(code="worker_a1")
    appeal = raise_appeal(
        result=result, item_code="publicity", reason="有简报两期", by=town.user("worker_a1")
    )
    office = town.user("town_office")
    act_on_appeal(appeal=appeal, verb="review", by=office)
    with pytest.raises(DomainError):
        act_on_appeal(appeal=appeal, verb="refuse", by=office, note=" ")
    appeal = act_on_appeal(appeal=appeal, verb="refuse", by=office, note="简报不在考核月")
    assert appeal.state == AppealState.REFUSED
    assert appeal.events.last().note == "简报不在考核月"
    with pytest.raises(DomainError):
        republish_run(run=worker_run, by=office)


def test_appeal_needs_a_reason_and_a_known_item(town, worker_run):
    result = worker_run.results.get(code="worker_a1")
    with pytest.raises(DomainError):
        raise_appeal(result=result, item_code="publicity", reason="  ", by=town.user("worker_a1"))
    with pytest.raises(DomainError):
        raise_appeal(result=result, item_code="nope", reason="r", by=town.user("worker_a1"))


# Who may raise an appeal on worker_a1's result, and who may review it (raised by worker_a1).
RAISE = {
    "worker_a1": True,  # their own result
    "worker_b1": False,  # somebody else's
    "village_a": True,  # office of the village above the grid
    "town_office": True,
    "env_handler": False,
    "leader": False,  # read-only
    "admin": True,
}
REVIEW = {
    "worker_a1": False,  # never one's own appeal
    "worker_b1": False,
    "village_a": True,
    "town_office": True,
    "env_handler": False,
    "leader": False,
    "admin": True,
}


@pytest.mark.parametrize("username", sorted(RAISE))
def test_permission_matrix(town, worker_run, username):
    user = town.user(username)
    result = worker_run.results.get(code="worker_a1")
    assert user.has_perm("oversight.raise_appeal", result) is RAISE[username]
    appeal = raise_appeal(
        result=result, item_code="publicity", reason="r", by=town.user("worker_a1")
    )
    assert user.has_perm("oversight.review_appeal", appeal) is REVIEW[username]
    if not REVIEW[username]:
        with pytest.raises(PermissionDenied):
            act_on_appeal(appeal=appeal, verb="review", by=user)
    assert user.has_perm("oversight.publish_run") is (
        username in {"village_a", "town_office", "admin"}
    )


def test_office_cannot_review_its_own_appeal(town, worker_run):
    office = town.user("town_office")
    appeal = raise_appeal(
        result=worker_run.results.get(code="worker_a1"),
        item_code="publicity",
        reason="r",
        by=office,
    )
    assert not office.has_perm("oversight.review_appeal", appeal)
    assert town.user("admin").has_perm("oversight.review_appeal", appeal)


def test_results_are_scoped(town, worker_run):
    def codes(username: str) -> set[str]:
        return set(
            results_visible_to(town.user(username))
            .filter(run=worker_run)
            .values_list("code", flat=True)
        )

    assert codes("worker_a1") == {"worker_a1"}
    assert "worker_a1" not in codes("worker_b1")
    assert {"worker_a1", "worker_b1"} <= codes("town_office")
    assert "worker_b1" not in codes("village_a")


def test_verb_table_names_registered_permissions():
    import rules

    for verb in APPEAL_VERBS.values():
        assert rules.perm_exists(verb.perm)
