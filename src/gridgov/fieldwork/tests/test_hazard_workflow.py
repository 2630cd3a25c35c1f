"""The agreement test of the hazard verbs (as cases/tests/test_workflow.py does for cases).

The table (fieldwork/safety/workflow.py), the detail page's forms, the registered permissions
and the services name the same verbs. Then over hazards in every state (overdue or not, major
or not, at the village or the town level) for every verb and every member of the cast who can
see the hazard: the verb is in `allowed_actions` exactly when its service succeeds, a refusal is
a 403 or a 409, and the whole verb × role × state matrix is pinned below. The permissions'
queryset twins agree with the predicates over the same hazards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import rules
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from gridgov.core.errors import ConflictError
from gridgov.fieldwork.safety import permissions, services
from gridgov.fieldwork.safety.forms import ACTION_FORMS
from gridgov.fieldwork.safety.models import Hazard, HazardEvent, HazardGrade, HazardSource
from gridgov.fieldwork.safety.workflow import (
    QUEUES,
    VERBS,
    allowed_actions,
    queue,
    queue_counts,
    restrict,
)

pytestmark = pytest.mark.django_db

CAST = ("admin", "town_office", "village_a", "worker_a1", "worker_b1", "env_handler", "leader")
SERVICE_NAMES = {
    "fix_on_spot": "fix_hazard_on_spot",
    "order": "order_rectification",
    "list": "list_hazard",
    "complete": "complete_rectification",
    "review": "review_hazard",
    "urge": "urge_hazard",
    "escalate": "escalate_hazard",
}
ARGS: dict[str, dict[str, Any]] = {
    "fix_on_spot": {"note": "已当场整改"},
    "order": {"days": 5},
    "list": {"days": 10, "measures": "设置警戒区,停用相关设备"},
    "complete": {"note": "已整改"},
    "review": {"passed": False, "days": 3, "note": "未整改到位"},
    "urge": {"note": "请抓紧"},
    "escalate": {"note": "逾期未整改"},
}


def _service(verb: str) -> Callable[..., Any] | None:
    return getattr(services, SERVICE_NAMES.get(verb, ""), None)


def test_table_forms_permissions_and_services_name_the_same_verbs():
    table = set(VERBS)
    assert table == set(ACTION_FORMS)
    registered = {
        p for p in rules.permissions.permissions if p.endswith("_hazard") or "hazard_" in p
    }
    assert {v.perm for v in VERBS.values()} == registered
    assert [v for v in VERBS if _service(v) is None] == []
    assert set(SERVICE_NAMES) == table


def test_transition_table_is_pinned():
    """(source, transition, target) from the @transition metadata, as a literal list."""
    found = set()
    for name in (
        "fix_on_spot",
        "order",
        "list_",
        "complete",
        "pass_review",
        "fail_review",
        "fail_listed_review",
    ):
        meta = getattr(Hazard, name)._django_fsm
        for source, t in meta.transitions.items():
            found.add((str(source), name, str(t.target)))
    assert found == {
        ("found", "fix_on_spot", "closed"),
        ("found", "order", "rectifying"),
        ("found", "list_", "listed"),
        ("rectifying", "complete", "reviewing"),
        ("listed", "complete", "reviewing"),
        ("reviewing", "pass_review", "closed"),
        ("reviewing", "fail_review", "rectifying"),
        ("reviewing", "fail_listed_review", "listed"),
    }


def _hazards(town) -> dict[str, Hazard]:
    """One hazard per situation, in unit grid A1 (village A, town)."""
    by = town.user("worker_a1")
    office = town.user("town_office")
    past = timezone.now() - dt.timedelta(days=30)

    def new(grade: str = HazardGrade.ORDINARY) -> Hazard:
        return services.report_hazard(
            by=by, grid=town.a1, description="灭火器过期", source=HazardSource.PATROL, grade=grade
        )

    out = {"found": new(), "found_major": new(HazardGrade.MAJOR)}
    out["rectifying"] = services.order_rectification(new(), by=by, days=5)
    late = services.order_rectification(new(), by=by, days=5)
    Hazard.objects.filter(pk=late.pk).update(due_at=past)
    out["rectifying_overdue"] = late
    listed = services.list_hazard(new(HazardGrade.MAJOR), by=office, days=10, measures="警戒")
    Hazard.objects.filter(pk=listed.pk).update(due_at=past)
    out["listed_overdue"] = listed
    up = services.order_rectification(new(), by=by, days=5)
    Hazard.objects.filter(pk=up.pk).update(due_at=past)
    out["overdue_at_town"] = services.escalate_hazard(up, by=town.user("village_a"))
    out["reviewing"] = services.complete_rectification(
        services.order_rectification(new(), by=by, days=5), by=by, note="已整改"
    )
    major = services.list_hazard(new(HazardGrade.MAJOR), by=office, days=10, measures="警戒")
    out["reviewing_major"] = services.complete_rectification(major, by=office, note="已整改")
    out["closed"] = services.fix_hazard_on_spot(new(), by=by, note="当场更换")
    return {k: Hazard.objects.get(pk=v.pk) for k, v in out.items()}


# The pinned matrix: situation -> the (user, verb) pairs allowed. Users who cannot see the
# hazard (worker_b1, env_handler) are left out; leaders see and may do nothing.
MATRIX: dict[str, set[tuple[str, str]]] = {
    "found": {
        (u, v)
        for u in ("admin", "town_office", "village_a", "worker_a1")
        for v in ("fix_on_spot", "order")
    }
    | set(),
    "found_major": {
        (u, v)
        for u in ("admin", "town_office", "village_a", "worker_a1")
        for v in ("fix_on_spot", "order")
    }
    | {("admin", "list"), ("town_office", "list"), ("village_a", "list")},
    "rectifying": {(u, "complete") for u in ("admin", "town_office", "village_a", "worker_a1")},
    "rectifying_overdue": {
        (u, "complete") for u in ("admin", "town_office", "village_a", "worker_a1")
    }
    | {(u, "urge") for u in ("admin", "town_office", "village_a")}
    | {("admin", "escalate"), ("village_a", "escalate")},
    "listed_overdue": {(u, "complete") for u in ("admin", "town_office", "village_a", "worker_a1")}
    | {(u, "urge") for u in ("admin", "town_office", "village_a")}
    | {("admin", "escalate"), ("village_a", "escalate")},
    # At the town: the village may no longer urge it; the town holds it and may escalate.
    "overdue_at_town": {(u, "complete") for u in ("admin", "town_office", "village_a", "worker_a1")}
    | {("admin", "urge"), ("town_office", "urge")}
    | {("admin", "escalate"), ("town_office", "escalate")},
    "reviewing": {(u, "review") for u in ("admin", "town_office", "village_a", "worker_a1")},
    "reviewing_major": {(u, "review") for u in ("admin", "town_office", "village_a")},
    "closed": set(),
}


def test_allowed_actions_agree_with_the_services_over_the_matrix(town):
    hazards = _hazards(town)
    assert set(hazards) == set(MATRIX)
    users = {name: town.user(name) for name in CAST}
    # The town grid has no parent in the cast: a town operator's escalation has nowhere to go.
    town_has_parent = town.town.parent_id is not None
    seen: dict[str, set[tuple[str, str]]] = {}
    for situation, hazard in hazards.items():
        seen[situation] = set()
        for name, user in users.items():
            visible = Hazard.objects.visible_to(user).filter(pk=hazard.pk).exists()
            if not visible:
                assert name in ("worker_b1", "env_handler"), (situation, name)
                continue
            allowed = set(allowed_actions(hazard, user))
            for verb in VERBS:
                outcome = _try(verb, hazard, user)
                assert (verb in allowed) == (outcome == "ok"), (situation, name, verb, outcome)
                if verb in allowed:
                    seen[situation].add((name, verb))
    expected = {k: set(v) for k, v in MATRIX.items()}
    if not town_has_parent:
        expected["overdue_at_town"] -= {("admin", "escalate"), ("town_office", "escalate")}
    assert seen == expected


class _RollbackError(Exception):
    pass


def _try(verb: str, hazard: Hazard, user: Any) -> str:
    service = _service(verb)
    assert service is not None
    outcome = "ok"
    try:
        with transaction.atomic():
            service(hazard, by=user, **ARGS[verb])
            raise _RollbackError
    except _RollbackError:
        outcome = "ok"
    except PermissionDenied:
        outcome = "403"
    except ConflictError:
        outcome = "409"
    return outcome


def test_queryset_twins_agree_with_the_predicates(town):
    hazards = _hazards(town)
    for name in CAST:
        user = town.user(name)
        visible = Hazard.objects.visible_to(user)
        for verb, row in VERBS.items():
            by_rule = {
                h.pk
                for h in hazards.values()
                if visible.filter(pk=h.pk).exists()
                and h.state in row.states
                and permissions.RULES[row.perm].test(user, h)
            }
            by_twin = set(restrict(visible, user, verb).values_list("pk", flat=True))
            assert by_rule == by_twin, (name, verb)


def test_failed_review_of_a_listed_hazard_sends_it_back_to_listed(town):
    office = town.user("town_office")
    hazard = services.report_hazard(
        by=office, grid=town.a1, description="液化气瓶违规存放", source="inspection", grade="major"
    )
    hazard = services.list_hazard(hazard, by=office, days=10, measures="暂停使用,设置警示")
    hazard = services.complete_rectification(hazard, by=office, note="已搬离")
    hazard = services.review_hazard(hazard, by=office, passed=False, days=2, note="仍有气瓶")
    assert (hazard.state, hazard.reviews_failed) == ("listed", 1)
    hazard = services.complete_rectification(hazard, by=office, note="全部搬离")
    hazard = services.review_hazard(hazard, by=office, passed=True)
    assert hazard.state == "closed"
    assert hazard.closed_at is not None
    kinds = list(HazardEvent.objects.filter(hazard=hazard).values_list("kind", flat=True))
    assert kinds == ["report", "list", "complete", "review_fail", "complete", "review_pass"]


def test_escalation_goes_up_one_level_and_is_recorded(town):
    worker, village = town.user("worker_a1"), town.user("village_a")
    hazard = services.report_hazard(
        by=worker, grid=town.a1, description="配电箱未上锁", source="patrol"
    )
    assert hazard.level_grid == town.village_a
    hazard = services.order_rectification(hazard, by=worker, days=3)
    with pytest.raises(ConflictError):  # not overdue yet
        services.escalate_hazard(hazard, by=village)
    Hazard.objects.filter(pk=hazard.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    hazard = services.escalate_hazard(hazard, by=village, note="村级无法督促整改")
    assert hazard.level_grid == town.town
    event = HazardEvent.objects.get(hazard=hazard, kind="escalate")
    assert (event.actor.username, event.level_grid_id) == ("village_a", town.town.pk)
    with pytest.raises(PermissionDenied):  # the village no longer holds it
        services.escalate_hazard(hazard, by=village)


def test_deadline_is_counted_in_working_days(town):
    worker = town.user("worker_a1")
    hazard = services.report_hazard(by=worker, grid=town.a1, description="x", source="patrol")
    hazard = services.order_rectification(hazard, by=worker, days=5)
    assert hazard.due_at is not None
    local = timezone.localtime(hazard.due_at)
    assert local.weekday() < 5
    assert (local.date() - timezone.localdate()).days >= 5
    with pytest.raises(Exception, match="1–90"):
        services.order_rectification(
            services.report_hazard(by=worker, grid=town.a1, description="y", source="patrol"),
            by=worker,
            days=0,
        )


def test_the_sweep_flags_an_overdue_hazard_once_and_tells_the_level(town):
    from gridgov.core.models import Notification

    worker = town.user("worker_a1")
    hazard = services.report_hazard(by=worker, grid=town.a1, description="x", source="patrol")
    hazard = services.order_rectification(hazard, by=worker, days=3)
    assert services.sweep_overdue_hazards() == 0
    later = hazard.due_at + dt.timedelta(minutes=1)
    assert services.sweep_overdue_hazards(later) == 1
    assert services.sweep_overdue_hazards(later) == 0
    event = HazardEvent.objects.get(hazard=hazard, kind="overdue")
    assert event.actor is None
    told = set(
        Notification.objects.filter(kind="hazard_overdue").values_list("user__username", flat=True)
    )
    assert told == {"village_a", "worker_a1"}
    # Sent back with a new deadline, it can be flagged again when that one passes.
    hazard = services.complete_rectification(hazard, by=worker, note="done")
    hazard = services.review_hazard(hazard, by=worker, passed=False, days=2, note="no")
    assert hazard.overdue_flagged_at is None
    assert services.sweep_overdue_hazards(hazard.due_at + dt.timedelta(minutes=1)) == 1


def test_queue_counts_agree_with_the_queues(town):
    _hazards(town)
    for name in CAST:
        user = town.user(name)
        counts = queue_counts(user)
        assert counts == {key: queue(key, user).count() for key in QUEUES}, name
    assert queue_counts(town.user("town_office"))["overdue"] == 3


def test_a_hazard_is_held_by_the_nearest_level_with_a_grid_office(town):
    # Village B has no operator in the cast: its hazards are the town's from the start.
    hazard = services.report_hazard(
        by=town.user("worker_b1"), grid=town.b1, description="x", source="patrol"
    )
    assert hazard.level_grid == town.town
    a1 = services.report_hazard(
        by=town.user("worker_a1"), grid=town.a1, description="x", source="patrol"
    )
    assert a1.level_grid == town.village_a
