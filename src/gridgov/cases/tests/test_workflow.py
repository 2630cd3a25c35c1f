"""The agreement test of the case verbs (issue 8; STYLE: "Lifecycles: one verb, one row").

The table (cases/workflow.py), the page forms, the API's `/cases/{id}/<verb>` operations, the
registered permissions and the services must name the same verbs; a test names whichever one
is missing. Then, over cases in every state, for every verb and every member of the test cast
who can see the case: `verb in allowed_actions(case, user)` exactly when the service succeeds,
and a refused service answers 403 (PermissionDenied) or 409 (ConflictError), never anything
else."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import rules
from django.core.exceptions import PermissionDenied
from django.db import transaction

from gridgov.cases import permissions, services
from gridgov.cases.api import router
from gridgov.cases.forms import ACTION_FORMS
from gridgov.cases.models import (
    Case,
    CaseState,
    CaseTask,
    EventKind,
    ExtensionRequest,
    ExtensionState,
    MatterItem,
)
from gridgov.cases.services import closing, control, flow
from gridgov.cases.workflow import TASK_STEPS, VERBS, allowed_actions
from gridgov.core.errors import ConflictError

pytestmark = pytest.mark.usefixtures("clock")

S = CaseState
CAST = ("admin", "town_office", "village_a", "worker_a1", "worker_b1", "env_handler", "leader")
# Permissions that are not verbs on an existing case.
NOT_VERBS = {"cases.report_case", "cases.view_contact"}
# Transitions that intake runs (report, on-the-spot handling, keeping the information).
INTAKE_TRANSITIONS = {"resolve_on_spot", "record"}
# The services whose name is not `<verb>_case`.
SERVICE_NAMES = {"extend": "request_extension", "decide_extension": "decide_extension"}


# The modules a verb's service may live in; the API and the forms import it from there.
SERVICE_MODULES = (flow, control, closing)


def _service(verb: str) -> Callable[..., Any] | None:
    name = SERVICE_NAMES.get(verb, f"{verb}_case")
    found = {getattr(module, name) for module in SERVICE_MODULES if hasattr(module, name)}
    return found.pop() if len(found) == 1 else None


def _api_verbs() -> set[str]:
    """`/{case_id}/<verb>`, or `/{case_id}/<things>/{thing_id}/<action>` for a verb on a
    sub-object (`extensions/{id}/decide` is the verb `decide_extension`)."""
    found = set()
    for path, view in router.path_operations.items():
        if not any("POST" in op.methods for op in view.operations):
            continue
        if m := re.fullmatch(r"/\{int:case_id\}/(\w+)", path):
            found.add(m.group(1))
        elif m := re.fullmatch(r"/\{int:case_id\}/\w+/\{int:(\w+)_id\}/(\w+)", path):
            found.add(f"{m.group(2)}_{m.group(1)}")
    return found


def _registered_case_perms() -> set[str]:
    return {name for name in rules.permissions.permissions if name.startswith("cases.")} - NOT_VERBS


def test_table_forms_api_permissions_and_services_name_the_same_verbs():
    """Each assertion names the verbs missing one piece (the README's "How to add a verb")."""
    table = set(VERBS)
    api = _api_verbs()
    registered = _registered_case_perms()
    perms = {verb.perm for verb in VERBS.values()}

    assert not sorted(table - set(ACTION_FORMS)), "verbs without a page form (cases/forms.py)"
    assert not sorted(set(ACTION_FORMS) - table), "page forms of no verb"
    assert not sorted(table - api), "verbs without a POST /cases/{id}/<verb> (cases/api.py)"
    assert not sorted(api - table), "API operations of no verb (cases/workflow.py)"
    no_rule = [name for name, verb in VERBS.items() if verb.who is None]
    assert not no_rule, "rows without a rule (`who`, a predicate of cases/permissions.py)"
    assert not sorted(perms - registered), "verbs whose permission is not registered"
    assert not sorted(registered - perms), "registered permissions of no verb"
    no_service = [v for v in VERBS if _service(v) is None]
    assert not no_service, "verbs without a `<verb>_case` in cases/services/{flow,control,closing}"
    assert len(perms) == len(VERBS), "two verbs share a permission"


def test_each_row_registers_its_own_rule_under_its_permission():
    """`require` reads the row's role part (403), `has_perm` and the queues the whole rule."""
    for name, verb in VERBS.items():
        registered = permissions.RULES[verb.perm]
        assert permissions.ROLE_RULES[verb.perm] is verb.who, name
        assert rules.permissions.permissions[verb.perm] is registered.predicate, name
        if verb.now is None:
            assert registered is verb.who, name


def test_every_row_names_real_transitions_and_event_kinds():
    case_transitions = {t.name for t in Case._meta.get_field("state").get_all_transitions(Case)}
    named = {t for verb in VERBS.values() for t in verb.transitions}
    assert named - case_transitions == set()
    assert case_transitions - named - INTAKE_TRANSITIONS == set(), "transitions of no verb"
    for name, verb in VERBS.items():
        assert verb.event in EventKind.values, name
        assert set(verb.other_events) <= set(EventKind.values), name
        assert verb.states <= set(S.values), name
    task_transitions = {
        t.name for t in CaseTask._meta.get_field("state").get_all_transitions(CaseTask)
    }
    assert set(TASK_STEPS) == task_transitions
    assert {k for k in TASK_STEPS.values() if k} <= set(EventKind.values)


def test_each_form_turns_its_data_into_the_services_arguments():
    """A form's `service` is the service of its verb."""
    for verb, form_class in ACTION_FORMS.items():
        assert form_class.service is _service(verb), verb


# ---------------------------------------------------------------------------------------------
# Every verb × every member of the cast × cases in every state


@dataclass
class Ctx:
    town: Any
    case: Case
    other: Case | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _build(town, report, state: str) -> Case:
    """A case in grid A1 brought to `state` through the services (the town holds it once
    escalated; the environment bureau leads and the police co-handle)."""
    village, office = town.user("village_a"), town.user("town_office")
    handler, worker = town.user("env_handler"), town.user("worker_a1")
    case = report()
    if state == "reported":
        return case
    if state == "rejected":
        return services.reject_case(case=case, by=village, note="无效")
    if state == "merged":
        return services.merge_case(case=case, into=report(), by=village, note="重复")
    case = services.accept_case(case=case, by=village)
    if state == "accepted_village":
        return case
    case = services.escalate_case(case=case, by=village, note="上报")
    if state == "accepted_town":
        return case
    if state == "registered":
        return services.register_case(case=case, by=office)
    case = services.dispatch_case(case=case, by=office, to=town.env, co=[town.police])
    if state == "dispatched":
        return case
    if state == "returned":
        return services.return_case(case=case, by=handler, reason="not_ours", note="非本部门")
    case = services.handle_case(case=case, by=handler)
    if state == "handling":
        return case
    if state == "extension":
        services.request_extension(case=case, by=handler, days=2, reason="需检测")
        return case
    police = CaseTask.objects.get(case=case, department=town.police)
    case = services.handle_case(case=case, by=town.user("admin"), task=police.pk)
    case = services.feedback_case(case=case, by=town.user("admin"), result="协查", task=police.pk)
    case = services.feedback_case(case=case, by=handler, result="已处理")
    if state == "fed_back":
        return case
    case = services.verify_case(case=case, by=worker, passed=True)
    if state == "verified":
        return case
    case = services.close_case(case=case, by=office)
    if state == "closed":
        return case
    satisfaction = 3 if state == "called_back_dissatisfied" else 5
    return services.callback_case(case=case, by=office, satisfaction=satisfaction)


STATES = [
    "reported",
    "rejected",
    "merged",
    "accepted_village",
    "accepted_town",
    "registered",
    "dispatched",
    "returned",
    "handling",
    "extension",
    "fed_back",
    "verified",
    "closed",
    "called_back_satisfied",
    "called_back_dissatisfied",
]


def _kwargs(verb: str, ctx: Ctx) -> dict[str, Any] | None:
    """Valid input for each verb's service (None: the verb has nothing to act on here)."""
    case = ctx.case
    note = {"note": "说明"}
    samples: dict[str, Callable[[], dict[str, Any] | None]] = {
        "accept": dict,
        "reject": lambda: note,
        "merge": lambda: {"into": ctx.other, **note},
        "classify": lambda: {"item": MatterItem.objects.get(code="0402")},
        "register": dict,
        "dispatch": dict,
        "handle": dict,
        "return": lambda: {"reason": "not_ours", **note},
        "feedback": lambda: {"result": "已处理"},
        "verify": lambda: {"passed": True},
        "close": lambda: {} if case.state == S.VERIFIED else {"closure_type": "special", **note},
        "transfer": lambda: note,
        "callback": lambda: {"satisfaction": 3},
        "reopen": lambda: note,
        "escalate": lambda: note,
        "extend": lambda: {"days": 2, "reason": "需检测"},
        "decide_extension": lambda: _decide_kwargs(case),
        "urge": lambda: note,
        "supervise": lambda: note,
        "comment": lambda: note,
    }
    assert verb in samples, f"the agreement test has no sample input for the verb {verb!r}"
    return samples[verb]()


def _decide_kwargs(case: Case) -> dict[str, Any] | None:
    pending = ExtensionRequest.objects.filter(case=case, state=ExtensionState.PENDING).first()
    return {"extension": pending, "approve": True} if pending else None


class _RollbackError(Exception):
    pass


def _outcome(verb: str, ctx: Ctx, user: Any) -> str:
    kwargs = _kwargs(verb, ctx)
    if kwargs is None:
        return "nothing to act on"
    service = _service(verb)
    assert service is not None
    if verb != "decide_extension":
        kwargs["case"] = Case.objects.get(pk=ctx.case.pk)
    try:
        with transaction.atomic():
            service(by=user, **kwargs)
            raise _RollbackError
    except _RollbackError:
        return "ok"
    except PermissionDenied:
        return "403"
    except ConflictError:
        return "409"
    except Exception as exc:  # noqa: BLE001 - reported as a disagreement below
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("state", STATES)
def test_allowed_actions_agree_with_the_services(town, report, state):
    ctx = Ctx(town=town, case=_build(town, report, state))
    ctx.other = report()
    disagreements = []
    for username in CAST:
        user = town.user(username)
        if not Case.objects.visible_to(user).filter(pk=ctx.case.pk).exists():
            continue
        allowed = allowed_actions(Case.objects.get(pk=ctx.case.pk), user)
        for verb in VERBS:
            outcome = _outcome(verb, ctx, user)
            agrees = (
                outcome == "ok"
                if verb in allowed
                else outcome in {"403", "409", "nothing to act on"}
            )
            if not agrees:
                disagreements.append(
                    (username, verb, "allowed" if verb in allowed else "not allowed", outcome)
                )
    assert disagreements == [], f"{state}: {disagreements}"


def test_a_pending_extension_is_not_offered_again(town, report):
    """Issue 8: while the slip's request waits, `extend` is not among the handler's verbs, and
    asking again is a 409 whose `allowed` does not list it either."""
    case = _build(town, report, "extension")
    handler = town.user("env_handler")
    assert "extend" not in allowed_actions(Case.objects.get(pk=case.pk), handler)
    with pytest.raises(ConflictError) as err:
        services.request_extension(case=case, by=handler, days=1, reason="再次")
    assert "extend" not in err.value.allowed
    assert "feedback" in err.value.allowed


def test_feedback_naming_another_departments_slip_is_a_404_naming_the_task(
    town, report, client_for
):
    case = _build(town, report, "handling")
    police = CaseTask.objects.get(case=case, department=town.police)
    response = client_for("env_handler").post(
        f"/api/v1/cases/{case.pk}/feedback", data={"result": "已处理", "task": police.pk}
    )
    assert response.status_code == 404, response.content
    assert response.json()["field"] == "task"
    assert CaseTask.objects.get(pk=police.pk).state == "pending"
