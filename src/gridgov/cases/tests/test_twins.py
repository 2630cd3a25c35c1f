"""Every "who may" rule and its queryset twin agree (issue 8; NetBox's `restrict`), over the demo's
cases replayed on the test cast's town (every open state, joint handling, extensions, reopened
and transferred cases): for every member of the cast, every verb and every work queue, each
case the queryset returns passes the predicate, and each case in the user's scope that passes
the predicate is in the queryset."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import rules
from django.db.models import Prefetch
from django.utils import timezone

from gridgov.cases import permissions, queues
from gridgov.cases.models import (
    LIVE_TASK_STATES,
    Case,
    CaseState,
    ExtensionRequest,
    ExtensionState,
    PlatformLevel,
)
from gridgov.cases.workflow import VERBS, restrict
from gridgov.core.testing.town import TOWN_CODE
from gridgov.demo.cases import seed_demo_cases

S = CaseState
CAST = ("admin", "town_office", "village_a", "worker_a1", "worker_b1", "env_handler", "leader")


@pytest.fixture
def demo_cases(town):
    seed_demo_cases(
        summary=SimpleNamespace(root_code=TOWN_CODE),
        by=town.user("admin"),
        today=timezone.localdate(),
    )
    assert Case.objects.count() > 300


def _visible(user: Any) -> list[Case]:
    return list(
        Case.objects.visible_to(user)
        .select_related("grid__region", "level_region")
        .prefetch_related(
            "tasks",
            Prefetch("extensions", queryset=ExtensionRequest.objects.select_related("task")),
        )
    )


def _may(perm: str) -> Callable[[Any, Case], bool]:
    return lambda user, case: bool(rules.has_perm(perm, user, case))


# What each case queue mirrors, as predicates (the queues are built from the twins).
QUEUE_RULES: dict[str, Callable[[Any, Case], bool]] = {
    "to_accept": lambda u, c: c.state == S.REPORTED and _may("cases.accept_case")(u, c),
    "to_dispatch": lambda u, c: (
        c.state in {S.ACCEPTED, S.REGISTERED} and permissions.level_operator.test(u, c)
    ),
    "returned": lambda u, c: c.state == S.RETURNED and permissions.level_operator.test(u, c),
    "to_verify": lambda u, c: (
        (c.state in VERBS["verify"].states and _may("cases.verify_case")(u, c))
        or (c.state == S.VERIFIED and _may("cases.close_case")(u, c))
    ),
    "to_callback": lambda u, c: (
        c.state == S.CLOSED
        and c.closed_level != PlatformLevel.HOTLINE
        and _may("cases.callback_case")(u, c)
    ),
    "late_steps": lambda u, c: (
        bool(c.step)
        and c.step_due_at is not None
        and c.step_due_at < timezone.now()
        and permissions.level_operator.test(u, c)
    ),
    "overdue": lambda u, c: c.is_overdue(timezone.now()),
}


@pytest.mark.slow
def test_every_verb_and_queue_agrees_with_its_predicate(town, demo_cases):
    assert set(QUEUE_RULES) == set(queues.CASE_QUEUES), "a queue without its rule here"
    disagreements = []
    for username in CAST:
        user = town.user(username)
        visible = _visible(user)
        by_pk = {c.pk: c for c in visible}
        for verb, row in VERBS.items():
            expected = {c.pk for c in visible if c.state in row.states and _may(row.perm)(user, c)}
            got = set(
                restrict(Case.objects.visible_to(user), user, verb).values_list("pk", flat=True)
            )
            if got != expected:
                disagreements.append(
                    (username, verb, sorted(got - expected), sorted(expected - got))
                )
        for name, queue in queues.CASE_QUEUES.items():
            expected = {c.pk for c in visible if QUEUE_RULES[name](user, c)}
            got = set(queue(user).values_list("pk", flat=True))
            assert got <= set(by_pk), (username, name, "a queue shows a case out of scope")
            if got != expected:
                disagreements.append(
                    (username, name, sorted(got - expected), sorted(expected - got))
                )
    assert disagreements == []


@pytest.mark.slow
def test_slip_and_extension_queues_agree_with_their_predicates(town, demo_cases):
    for username in CAST:
        user = town.user(username)
        live = {
            t.pk
            for c in Case.objects.prefetch_related("tasks")
            for t in permissions.acting_tasks(user, c, LIVE_TASK_STATES)
        }
        assert set(queues.my_tasks(user).values_list("pk", flat=True)) == live, username
        decidable = {
            e.pk
            for e in ExtensionRequest.objects.select_related("task").filter(
                state=ExtensionState.PENDING
            )
            if permissions.decides(user, e)
        }
        got = set(queues.extension_requests(user).values_list("pk", flat=True))
        assert got == decidable, username
