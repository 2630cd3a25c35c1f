"""The agreement test of the campaign verbs (as test_hazard_workflow.py does for hazards).

The table (fieldwork/safety/campaign_workflow.py), the office page's forms, the transition
metadata, the registered permissions and the API's operations name the same verbs. Then over
campaigns in every state, for every verb and every member of the cast who can see the campaign:
the verb is in `allowed_actions` exactly when its service succeeds, a refusal is a 403 or a
409, and the whole verb × role × state matrix is pinned below. The permissions' queryset twins
agree with the predicates over the same campaigns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import rules
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.workflow import transition_targets
from gridgov.fieldwork.safety import services
from gridgov.fieldwork.safety.campaign_api import router
from gridgov.fieldwork.safety.campaign_workflow import (
    ANSWER_VERBS,
    LIFECYCLE,
    VERBS,
    allowed_actions,
    allowed_answer_actions,
    restrict,
)
from gridgov.fieldwork.safety.forms import CAMPAIGN_FORMS
from gridgov.fieldwork.safety.models import (
    Campaign,
    CampaignAnswer,
    CampaignEvent,
    CampaignState,
)
from gridgov.fieldwork.safety.services import AnswerIn

pytestmark = pytest.mark.django_db

CAST = ("admin", "town_office", "village_a", "worker_a1", "worker_b1", "env_handler", "leader")
S = CampaignState


def make_campaign(town, state: str, *, grids=None) -> Campaign:
    office = town.user("town_office" if grids is None else "village_a")
    c = services.create_campaign(
        by=office,
        title=f"燃气安全专项排查 {state}",
        items=["餐饮场所燃气报警器", "居民液化气瓶存放"],
        grids=grids or [town.town],
        deadline=timezone.localdate() + dt.timedelta(days=10),
        publish=state != S.DRAFT,
    )
    if state == S.CLOSED:
        services.close_campaign(c, by=office, remark="已全部排查")
    elif state == S.CANCELLED:
        services.cancel_campaign(c, by=office, reason="上级通知取消")
    c.refresh_from_db()
    assert c.state == state
    return c


def _unit_of(town, username: str):
    return {"worker_b1": town.b1}.get(username, town.a1)


def attempt(town, verb: str, campaign: Campaign, username: str) -> Any:
    user = town.user(username)
    item = campaign.checklist.items.first()
    calls = {
        "publish": lambda: services.publish_campaign(campaign, by=user),
        "close": lambda: services.close_campaign(campaign, by=user, remark="结束"),
        "cancel": lambda: services.cancel_campaign(campaign, by=user, reason="取消"),
        "reopen": lambda: services.reopen_campaign(
            campaign, by=user, deadline=timezone.localdate() + dt.timedelta(days=3)
        ),
        "answer": lambda: services.answer_campaign(
            by=user,
            campaign=campaign,
            grid=_unit_of(town, username),
            answers=[AnswerIn(item.pk, "done")],
        ),
    }
    return calls[verb]()


# The pinned matrix for a campaign over the whole town, started by the town's office: the
# verbs each member of the cast may take in each state. env_handler has no territory and does
# not see the campaign at all (a 404 before any rule).
EXPECTED: dict[str, dict[str, set[str]]] = {
    S.DRAFT: {
        "admin": {"publish", "cancel"},
        "town_office": {"publish", "cancel"},
        "village_a": set(),
        "worker_a1": set(),
        "worker_b1": set(),
        "leader": set(),
    },
    S.OPEN: {
        "admin": {"close", "cancel", "answer"},
        "town_office": {"close", "cancel"},
        "village_a": set(),
        "worker_a1": {"answer"},
        "worker_b1": {"answer"},
        "leader": set(),
    },
    S.CLOSED: {
        "admin": {"reopen"},
        "town_office": {"reopen"},
        "village_a": set(),
        "worker_a1": set(),
        "worker_b1": set(),
        "leader": set(),
    },
    S.CANCELLED: {u: set() for u in CAST if u != "env_handler"},
}


def test_the_table_the_forms_the_transitions_the_permissions_and_the_api_agree():
    assert set(LIFECYCLE) == set(CAMPAIGN_FORMS) == {"publish", "close", "cancel", "reopen"}
    assert set(VERBS) - set(LIFECYCLE) == {"answer"}
    for name in LIFECYCLE:
        row = VERBS[name]
        [method] = row.transitions
        assert {row.target} == transition_targets(getattr(Campaign, method)), name
        assert row.event, name
    for row in (*VERBS.values(), *ANSWER_VERBS.values()):
        assert rules.perm_exists(row.perm), row.perm
        assert row.who is not None
    operations = {
        (method, path)
        for path, view in router.path_operations.items()
        for op in view.operations
        for method in op.methods
    }
    for name in LIFECYCLE:
        assert ("POST", f"/{{int:campaign_id}}/{name}") in operations, name
    assert ("POST", "/{int:campaign_id}/answers") in operations
    assert ("POST", "/{int:campaign_id}/answers/{int:answer_id}/correct") in operations


@pytest.mark.parametrize("state", [S.DRAFT, S.OPEN, S.CLOSED, S.CANCELLED])
def test_allowed_actions_match_the_services_and_the_pinned_matrix(town, state):
    campaign = make_campaign(town, state)
    seen = {}
    for username in CAST:
        user = town.user(username)
        if not Campaign.objects.visible_to(user).filter(pk=campaign.pk).exists():
            assert username == "env_handler"
            continue
        allowed = allowed_actions(campaign, user)
        seen[username] = set(allowed)
        for verb in VERBS:
            fresh = Campaign.objects.get(pk=campaign.pk)
            try:
                with transaction.atomic():
                    attempt(town, verb, fresh, username)
                    raise _RollbackError
            except _RollbackError:
                ok = True
            except PermissionDenied:
                ok, code = False, 403
            except ConflictError:
                ok, code = False, 409
            assert ok == (verb in allowed), (state, username, verb)
            if not ok:
                # Not yours → 403; yours but not in this state → 409.
                expected = 409 if verb in _any_state(username) else 403
                assert code == expected, (state, username, verb, code)
    assert seen == EXPECTED[state]


def _any_state(username: str) -> set[str]:
    return set().union(*(EXPECTED[s].get(username, set()) for s in EXPECTED))


class _RollbackError(Exception):
    pass


def test_the_twins_agree_with_the_predicates(town):
    campaigns = [make_campaign(town, s) for s in (S.DRAFT, S.OPEN, S.CLOSED, S.CANCELLED)]
    campaigns.append(make_campaign(town, S.OPEN, grids=[town.village_a]))
    for username in CAST:
        user = town.user(username)
        visible = Campaign.objects.visible_to(user)
        for verb, row in VERBS.items():
            by_rule = {
                c.pk for c in visible if c.state in row.states and rules.has_perm(row.perm, user, c)
            }
            by_twin = set(restrict(visible, user, verb).values_list("pk", flat=True))
            assert by_rule == by_twin, (username, verb)


def test_a_village_office_runs_its_own_campaign_but_not_the_towns(town):
    mine = make_campaign(town, S.OPEN, grids=[town.village_a])
    towns = make_campaign(town, S.OPEN)
    village = town.user("village_a")
    assert allowed_actions(mine, village) == ["close", "cancel"]
    assert allowed_actions(towns, village) == []
    assert not Campaign.objects.visible_to(town.user("worker_b1")).filter(pk=mine.pk).exists()


def test_close_and_reopen_write_events_and_answers_are_refused_while_closed(town):
    office = town.user("town_office")
    worker = town.user("worker_a1")
    campaign = make_campaign(town, S.OPEN)
    item = campaign.checklist.items.first()
    with pytest.raises(DomainError) as no_remark:
        services.close_campaign(campaign, by=office, remark="  ")
    assert no_remark.value.field == "remark"
    services.close_campaign(campaign, by=office, remark="提前完成,发现 0 处问题")
    with pytest.raises(ConflictError) as closed:
        services.answer_campaign(
            by=worker, campaign=campaign, grid=town.a1, answers=[AnswerIn(item.pk, "done")]
        )
    assert closed.value.status_code == 409
    assert "已结束" in closed.value.message
    assert CampaignAnswer.objects.filter(campaign=campaign).count() == 0
    with pytest.raises(DomainError):
        services.reopen_campaign(
            campaign, by=office, deadline=timezone.localdate() - dt.timedelta(days=1)
        )
    new_deadline = timezone.localdate() + dt.timedelta(days=5)
    services.reopen_campaign(campaign, by=office, deadline=new_deadline, note="补报")
    campaign.refresh_from_db()
    assert (campaign.state, campaign.deadline, campaign.closed_at) == (S.OPEN, new_deadline, None)
    events = list(CampaignEvent.objects.filter(campaign=campaign).values_list("kind", "to_state"))
    assert events == [("create", "open"), ("close", "closed"), ("reopen", "open")]
    assert (
        CampaignEvent.objects.get(campaign=campaign, kind="close").note == "提前完成,发现 0 处问题"
    )
    result = services.answer_campaign(
        by=worker, campaign=campaign, grid=town.a1, answers=[AnswerIn(item.pk, "done")]
    )
    assert result.saved == 1


def test_corrections_keep_their_history_and_report_a_new_problem(town):
    campaign = make_campaign(town, S.OPEN)
    worker = town.user("worker_a1")
    item = campaign.checklist.items.first()
    services.answer_campaign(
        by=worker, campaign=campaign, grid=town.a1, answers=[AnswerIn(item.pk, "done")]
    )
    answer = CampaignAnswer.objects.get(campaign=campaign, grid=town.a1, item=item)
    assert allowed_answer_actions(answer, worker) == ["correct"]
    assert allowed_answer_actions(answer, town.user("village_a")) == ["correct"]
    assert allowed_answer_actions(answer, town.user("worker_b1")) == []
    assert allowed_answer_actions(answer, town.user("leader")) == []
    with pytest.raises(PermissionDenied):
        services.correct_campaign_answer(
            answer, by=town.user("worker_b1"), outcome="hazard", note="x"
        )
    with pytest.raises(DomainError) as same:
        services.correct_campaign_answer(answer, by=worker, outcome="done")
    assert same.value.field == "outcome"
    with pytest.raises(DomainError) as no_note:
        services.correct_campaign_answer(answer, by=worker, outcome="hazard")
    assert no_note.value.field == "note"

    services.correct_campaign_answer(
        answer, by=worker, outcome="hazard", note="液化气瓶放在灶台旁", reason="复看发现"
    )
    answer.refresh_from_db()
    assert answer.outcome == "hazard"
    assert answer.hazard is not None
    assert answer.hazard.source == "campaign"
    first_hazard = answer.hazard_id
    services.correct_campaign_answer(
        answer, by=town.user("village_a"), outcome="hazard", note="液化气瓶已挪开,仍需复查"
    )
    answer.refresh_from_db()
    assert answer.hazard_id == first_hazard  # an already reported problem keeps its hazard
    history = list(
        answer.revisions.values_list(
            "by__username", "old_outcome", "new_outcome", "old_note", "new_note"
        )
    )
    assert history == [
        ("worker_a1", "done", "hazard", "", "液化气瓶放在灶台旁"),
        ("village_a", "hazard", "hazard", "液化气瓶放在灶台旁", "液化气瓶已挪开,仍需复查"),
    ]
    services.close_campaign(campaign, by=town.user("town_office"), remark="结束")
    answer.refresh_from_db()
    assert allowed_answer_actions(answer, worker) == []
    with pytest.raises(ConflictError):
        services.correct_campaign_answer(answer, by=worker, outcome="done")
    assert answer.revisions.count() == 2


def test_overdue_grids_are_the_units_still_owing_answers_after_the_deadline(town):
    campaign = make_campaign(town, S.OPEN)
    items = list(campaign.checklist.items.all())
    services.answer_campaign(
        by=town.user("worker_a1"),
        campaign=campaign,
        grid=town.a1,
        answers=[AnswerIn(i.pk, "done") for i in items],
    )
    office = town.user("town_office")
    towns = services.campaign_progress(campaign, office)
    assert services.overdue_units(towns) == []  # not past the deadline yet
    Campaign.objects.filter(pk=campaign.pk).update(
        deadline=timezone.localdate() - dt.timedelta(days=1)
    )
    campaign.refresh_from_db()
    towns = services.campaign_progress(campaign, office)
    late = sorted(u.code for _v, u in services.overdue_units(towns))
    units = sorted(u.code for u in services.campaign_units(campaign))
    assert late == sorted(set(units) - {town.a1.code})
    assert towns[0].overdue == len(units) - 1
