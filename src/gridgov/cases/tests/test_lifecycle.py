"""The case loop as stories: report → accept → register & dispatch → sign for → feedback →
verify → close → callback, with returns, rework, joint handling, escalation, extension,
urging, transfer, merge and reopen. Assertions read the CaseEvent rows KPIs are built on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from gridgov.cases import services
from gridgov.cases.models import (
    Case,
    CaseEvent,
    CaseState,
    CaseTask,
    ClosureType,
    EventKind,
    ExtensionState,
    PlatformLevel,
    ReturnReason,
    TaskRole,
    TaskState,
)
from gridgov.core.errors import ConflictError, DomainError

from .conftest import SHANGHAI

S = CaseState
pytestmark = pytest.mark.usefixtures("clock")


def kinds(case: Case) -> list[str]:
    return list(
        CaseEvent.objects.filter(case=case).order_by("at", "pk").values_list("kind", flat=True)
    )


def local_date(value: dt.datetime) -> dt.date:
    return value.astimezone(SHANGHAI).date()


def escalated(town, report, **kwargs) -> Case:
    """Accepted by the village acceptance centre and passed up to the town (seed 003)."""
    case = services.accept_case(case=report(**kwargs), by=town.user("village_a"))
    return services.escalate_case(case=case, by=town.user("village_a"), note="需镇职能部门处理")


def dispatched(town, report, **kwargs) -> Case:
    case = escalated(town, report)
    return services.dispatch_case(case=case, by=town.user("town_office"), to=town.env, **kwargs)


def test_patrol_report_lands_at_the_village_acceptance_centre(town, report):
    case = report()
    assert case.state == S.REPORTED
    assert case.grid == town.a1
    assert case.level == PlatformLevel.VILLAGE
    assert case.level_region == town.a1.region
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.from_state, event.to_state) == (EventKind.REPORT, "", S.REPORTED)
    assert event.actor == town.user("worker_a1")
    assert event.grid == town.a1


def test_full_loop_leaves_one_event_per_step(town, report, clock):
    village = town.user("village_a")
    office = town.user("town_office")
    handler = town.user("env_handler")
    worker = town.user("worker_a1")
    case = report()
    case = services.accept_case(case=case, by=village, note="属实")
    case = services.escalate_case(case=case, by=village, note="需环保所处理")
    case = services.dispatch_case(case=case, by=office, to=town.env, days=3)
    assert case.state == S.DISPATCHED
    assert case.department == town.env
    task = CaseTask.objects.get(case=case)
    assert (task.role, task.state, task.dispatch_level) == (
        TaskRole.LEAD,
        TaskState.PENDING,
        PlatformLevel.TOWN,
    )
    case = services.handle_case(case=case, by=handler)
    assert case.state == S.HANDLING
    case = services.feedback_case(case=case, by=handler, result="已责令企业停产整改")
    assert case.state == S.FED_BACK
    case = services.verify_case(case=case, by=worker, passed=True, note="现场已整改")
    # The worker verifies; the village platform closes (supervision and command kept apart).
    assert case.state == S.VERIFIED
    case = services.close_case(case=case, by=office)
    assert (case.state, case.closure_type, case.closed_level) == (
        S.CLOSED,
        ClosureType.NORMAL,
        PlatformLevel.TOWN,
    )
    # The department's slip keeps its feedback: closing ends the case, not the work done.
    task.refresh_from_db()
    assert (task.state, task.result) == (TaskState.FED_BACK, "已责令企业停产整改")
    case = services.callback_case(case=case, by=office, satisfaction=5, note="群众满意")
    assert (case.state, case.satisfaction) == (S.CALLED_BACK, 5)
    assert kinds(case) == [
        EventKind.REPORT,
        EventKind.ACCEPT,
        EventKind.ESCALATE,
        EventKind.REGISTER,
        EventKind.DISPATCH,
        EventKind.HANDLE,
        EventKind.FEEDBACK,
        EventKind.VERIFY,
        EventKind.CLOSE,
        EventKind.CALLBACK,
    ]
    states = list(
        CaseEvent.objects.filter(case=case)
        .order_by("at", "pk")
        .values_list("from_state", "to_state")
    )
    assert states[1:] == [
        (S.REPORTED, S.ACCEPTED),
        (S.ACCEPTED, S.ACCEPTED),
        (S.ACCEPTED, S.REGISTERED),
        (S.REGISTERED, S.DISPATCHED),
        (S.DISPATCHED, S.HANDLING),
        (S.HANDLING, S.FED_BACK),
        (S.FED_BACK, S.VERIFIED),
        (S.VERIFIED, S.CLOSED),
        (S.CLOSED, S.CALLED_BACK),
    ]
    close = CaseEvent.objects.get(case=case, kind=EventKind.CLOSE)
    assert close.closure_type == ClosureType.NORMAL
    assert CaseEvent.objects.get(case=case, kind=EventKind.CALLBACK).satisfaction == 5


def test_operator_verification_closes_at_once(town, report):
    village = town.user("town_office")
    case = dispatched(town, report)
    case = services.handle_case(case=case, by=town.user("env_handler"))
    case = services.feedback_case(case=case, by=town.user("env_handler"), result="已处理")
    case = services.verify_case(case=case, by=village, passed=True)
    assert case.state == S.CLOSED
    assert kinds(case)[-2:] == [EventKind.VERIFY, EventKind.CLOSE]


def test_dispatch_sets_deadline_in_working_days(town, report):
    case = dispatched(town, report, days=3)
    # Monday 2026-06-08 + 3 working days = Thursday 2026-06-11 (seed 002: 限时办理).
    assert local_date(case.due_at) == dt.date(2026, 6, 11)
    assert not case.due_provisional
    assert CaseEvent.objects.get(case=case, kind=EventKind.DISPATCH).due_at == case.due_at
    assert CaseTask.objects.get(case=case).due_at == case.due_at


def test_dispatch_across_national_day_counts_the_make_up_saturday(town, report, clock):
    clock.move_to(dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI))
    case = dispatched(town, report, days=3)
    assert local_date(case.due_at) == dt.date(2026, 10, 10)


def test_default_limit_comes_from_the_catalogue_item(town, report, item):
    case = dispatched(town, report)  # 0401 违法排污: 5 working days
    assert item("0401").limit_days == 5
    assert local_date(case.due_at) == dt.date(2026, 6, 15)


def test_urgent_case_limit_is_in_hours(town, report, item):
    case = escalated(town, report, urgency="urgent")
    case = services.dispatch_case(case=case, by=town.user("town_office"), to=town.env)
    assert case.limit_unit == "work_hours"
    assert case.limit_value == item("0401").urgent_hours
    assert case.due_at - case.limit_started_at <= dt.timedelta(days=2)


def test_dispatch_without_department_follows_the_catalogue_route(town, report):
    case = escalated(town, report, category="0404")  # noise: the town police at town level
    case = services.dispatch_case(case=case, by=town.user("town_office"))
    assert case.department == town.police


def test_unclassified_case_cannot_be_registered_or_routed(town, report):
    case = escalated(town, report, category=None)
    office = town.user("town_office")
    with pytest.raises(DomainError) as err:
        services.dispatch_case(case=case, by=office)
    assert err.value.field == "department"
    with pytest.raises(DomainError) as err:
        services.dispatch_case(case=case, by=office, to=town.env)
    assert err.value.field == "item"
    assert Case.objects.get(pk=case.pk).state == S.ACCEPTED


def test_a_level_dispatches_only_to_its_own_departments(town, report):
    case = report()
    case = services.accept_case(case=case, by=town.user("village_a"))
    with pytest.raises(DomainError, match="逐级上报"):
        services.dispatch_case(case=case, by=town.user("village_a"), to=town.env)
    case = services.escalate_case(case=case, by=town.user("village_a"), note="上报镇")
    with pytest.raises(DomainError, match="逐级上报"):
        services.dispatch_case(case=case, by=town.user("town_office"), to=town.county_env)
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.REGISTER).exists()


def test_department_return_goes_back_for_redispatch(town, report):
    village = town.user("town_office")
    case = dispatched(town, report)
    case = services.return_case(
        case=case,
        by=town.user("env_handler"),
        reason=ReturnReason.NOT_OURS,
        note="属噪声问题,非环保职责",
    )
    assert case.state == S.RETURNED
    assert case.department is None
    event = CaseEvent.objects.get(case=case, kind=EventKind.RETURN)
    assert (event.reason, event.department) == (ReturnReason.NOT_OURS, town.env)
    case = services.dispatch_case(case=case, by=village, to=town.police)
    assert case.state == S.DISPATCHED
    assert list(CaseTask.objects.filter(case=case).values_list("state", flat=True)) == [
        TaskState.RETURNED,
        TaskState.PENDING,
    ]


def test_return_needs_a_reason(town, report):
    case = dispatched(town, report)
    with pytest.raises(DomainError):
        services.return_case(case=case, by=town.user("env_handler"), reason="bogus", note="x")
    with pytest.raises(DomainError):
        services.return_case(
            case=case, by=town.user("env_handler"), reason=ReturnReason.OTHER, note=" "
        )


def test_failed_verification_sends_back_for_rework_and_counts_it(town, report):
    handler = town.user("env_handler")
    case = dispatched(town, report)
    case = services.handle_case(case=case, by=handler)
    case = services.feedback_case(case=case, by=handler, result="已处理")
    case = services.verify_case(case=case, by=town.user("worker_a1"), passed=False, note="仍有排污")
    assert (case.state, case.rework_count) == (S.HANDLING, 1)
    assert CaseTask.objects.get(case=case).state == TaskState.ACCEPTED
    case = services.feedback_case(case=case, by=handler, result="已封堵排污口")
    assert case.state == S.FED_BACK
    assert kinds(case).count(EventKind.FEEDBACK) == 2
    assert kinds(case).count(EventKind.REWORK) == 1


def test_joint_enforcement_is_handled_when_every_feedback_is_in(town, report):
    office = town.user("town_office")
    env_handler = town.user("env_handler")
    police_user = _handler_for(town, town.police, "police_handler")
    case = escalated(town, report)
    case = services.dispatch_case(
        case=case, by=office, to=town.env, co=[town.police], instructions="联合执法"
    )
    tasks = {t.department_id: t for t in CaseTask.objects.filter(case=case)}
    assert tasks[town.env.pk].role == TaskRole.LEAD
    assert tasks[town.police.pk].role == TaskRole.CO
    assert kinds(case)[-2:] == [EventKind.DISPATCH, EventKind.CO_DISPATCH]
    case = services.handle_case(case=case, by=env_handler)
    case = services.handle_case(case=case, by=police_user)
    case = services.feedback_case(case=case, by=env_handler, result="查封排污设备")
    assert case.state == S.HANDLING  # the co-handler's feedback is not in yet
    case = services.feedback_case(case=case, by=police_user, result="维持现场秩序")
    assert case.state == S.FED_BACK
    assert "查封排污设备" in case.result
    assert "维持现场秩序" in case.result
    feedback = CaseEvent.objects.filter(case=case, kind=EventKind.FEEDBACK).order_by("pk")
    assert [(e.department_id, e.to_state) for e in feedback] == [
        (town.env.pk, S.HANDLING),
        (town.police.pk, S.FED_BACK),
    ]


def _handler_for(town, department, username):
    from gridgov.core.jurisdiction import Role
    from gridgov.people.services import create_user, grant_role

    user = create_user(username=username, password="x-password-1")
    grant_role(user=user, role=Role.HANDLER, department=department)
    return user


def test_escalation_goes_up_exactly_one_level(town, report):
    case = report()
    case = services.accept_case(case=case, by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="超出村级职责")
    assert (case.state, case.level, case.level_region) == (
        S.ACCEPTED,
        PlatformLevel.TOWN,
        town.town.region,
    )
    event = CaseEvent.objects.get(case=case, kind=EventKind.ESCALATE)
    assert event.level == PlatformLevel.VILLAGE
    assert event.extra["to_level"] == PlatformLevel.TOWN
    # The village can no longer act on it; the town can.
    with pytest.raises(PermissionDenied):
        services.dispatch_case(case=case, by=town.user("village_a"), to=town.env)
    case = services.escalate_case(case=case, by=town.user("town_office"), note="需区直部门处理")
    assert case.level == PlatformLevel.COUNTY
    case = services.dispatch_case(case=case, by=town.user("admin"), to=town.county_env)
    case = services.handle_case(case=case, by=town.user("admin"))
    case = services.feedback_case(case=case, by=town.user("admin"), result="区生态环境局已立案查处")
    case = services.verify_case(case=case, by=town.user("admin"), passed=True)
    assert (case.state, case.closed_level) == (S.CLOSED, PlatformLevel.COUNTY)


def test_escalation_needs_a_reason(town, report):
    case = services.accept_case(case=report(), by=town.user("village_a"))
    with pytest.raises(DomainError):
        services.escalate_case(case=case, by=town.user("village_a"), note="")


def test_transfer_to_hotline_closes_at_hotline_level(town, report):
    case = services.accept_case(case=report(), by=town.user("village_a"))
    case = services.transfer_case(case=case, by=town.user("village_a"), note="属市级事权,转96361")
    assert (case.state, case.closed_level, case.closure_type) == (
        S.CLOSED,
        PlatformLevel.HOTLINE,
        ClosureType.SPECIAL,
    )
    assert kinds(case)[-1] == EventKind.TRANSFER


def test_extension_request_and_approval_move_the_deadline(town, report):
    handler = town.user("env_handler")
    village = town.user("town_office")
    case = dispatched(town, report, days=3)
    old_due = case.due_at
    case = services.handle_case(case=case, by=handler)
    extension = services.request_extension(case=case, by=handler, days=2, reason="需检测报告")
    with pytest.raises(ConflictError):
        services.request_extension(case=case, by=handler, days=1, reason="again")
    extension = services.decide_extension(
        extension=extension, by=village, approve=True, note="同意"
    )
    assert extension.state == ExtensionState.APPROVED
    case = Case.objects.get(pk=case.pk)
    assert local_date(old_due) == dt.date(2026, 6, 11)
    assert local_date(case.due_at) == dt.date(2026, 6, 15)
    assert CaseTask.objects.get(case=case).due_at == case.due_at
    assert kinds(case)[-2:] == [EventKind.EXTENSION_REQUEST, EventKind.EXTEND]
    with pytest.raises(ConflictError):
        services.decide_extension(extension=extension, by=village, approve=False)


def test_extension_refused_keeps_the_deadline(town, report):
    handler = town.user("env_handler")
    case = dispatched(town, report, days=3)
    extension = services.request_extension(case=case, by=handler, days=2, reason="人手不足")
    with pytest.raises(PermissionDenied):
        services.decide_extension(extension=extension, by=town.user("village_a"), approve=True)
    services.decide_extension(
        extension=extension, by=town.user("town_office"), approve=False, note="请按期办结"
    )
    assert Case.objects.get(pk=case.pk).due_at == case.due_at
    assert kinds(case)[-1] == EventKind.EXTENSION_REFUSE


def test_urge_and_supervise_are_counted_events_without_state_change(town, report):
    case = dispatched(town, report)
    case = services.urge_case(case=case, by=town.user("town_office"), note="请加快办理")
    case = services.urge_case(case=case, by=town.user("town_office"), note="再次催办")
    case = services.supervise_case(case=case, by=town.user("town_office"), note="镇网格办督办")
    assert (case.state, case.urge_count, case.supervise_count) == (S.DISPATCHED, 2, 1)
    urges = CaseEvent.objects.filter(case=case, kind=EventKind.URGE)
    assert urges.count() == 2
    assert {e.department for e in urges} == {town.env}
    with pytest.raises(PermissionDenied):
        services.urge_case(case=case, by=town.user("leader"), note="领导只读")


def test_urge_of_a_closed_case_is_a_conflict(town, report):
    case = services.accept_case(case=report(), by=town.user("village_a"))
    case = services.transfer_case(case=case, by=town.user("village_a"), note="转热线")
    with pytest.raises(ConflictError) as err:
        services.urge_case(case=case, by=town.user("village_a"), note="催")
    assert err.value.state == S.CLOSED


def test_dissatisfied_callback_reopens_the_case(town, report):
    village = town.user("town_office")
    case = dispatched(town, report)
    case = services.handle_case(case=case, by=town.user("env_handler"))
    case = services.feedback_case(case=case, by=town.user("env_handler"), result="已处理")
    case = services.verify_case(case=case, by=village, passed=True)
    with pytest.raises(DomainError):
        services.callback_case(case=case, by=village, satisfaction=5, reopen=True)
    with pytest.raises(DomainError):
        services.callback_case(case=case, by=village, satisfaction=2)
    case = services.callback_case(
        case=case, by=village, satisfaction=3, note="仍有异味", reopen=True
    )
    assert (case.state, case.reopen_count, case.satisfaction) == (S.REGISTERED, 1, 3)
    assert case.closed_at is None
    assert case.due_at is not None
    assert kinds(case)[-2:] == [EventKind.CALLBACK, EventKind.REOPEN]
    case = services.dispatch_case(case=case, by=village, to=town.env)
    assert case.state == S.DISPATCHED


def test_satisfied_callback_cannot_reopen(town, report):
    village = town.user("village_a")
    case = services.accept_case(case=report(), by=village)
    case = services.handle_case(case=case, by=village)
    case = services.feedback_case(case=case, by=village, result="村里已协调处理")
    case = services.verify_case(case=case, by=village, passed=True)
    case = services.callback_case(case=case, by=village, satisfaction=4)
    with pytest.raises(ConflictError) as err:
        services.reopen_case(case=case, by=village, note="再办")
    assert "reopen" not in err.value.allowed


def test_acceptance_centre_handles_without_dispatch(town, report):
    village = town.user("village_a")
    case = services.accept_case(case=report(), by=village)
    case = services.handle_case(case=case, by=village, note="村受理中心直接协调")
    assert case.state == S.HANDLING
    assert case.due_at is not None
    case = services.feedback_case(case=case, by=village, result="已协调企业整改")
    case = services.verify_case(case=case, by=town.user("worker_a1"), passed=True)
    case = services.close_case(case=case, by=village)
    assert case.closed_level == PlatformLevel.VILLAGE


def test_closing_after_the_deadline_is_an_overdue_closure(town, report, clock):
    village = town.user("town_office")
    case = dispatched(town, report, days=1)
    case = services.handle_case(case=case, by=town.user("env_handler"))
    case = services.feedback_case(case=case, by=town.user("env_handler"), result="已处理")
    clock.move_to(dt.datetime(2026, 6, 12, 9, 0, tzinfo=SHANGHAI))
    case = services.verify_case(case=case, by=village, passed=True)
    assert case.closure_type == ClosureType.OVERDUE


def test_unverified_case_closes_only_as_special_or_erroneous(town, report):
    village = town.user("town_office")
    case = dispatched(town, report)
    with pytest.raises(DomainError):
        services.close_case(case=case, by=village)
    with pytest.raises(DomainError):
        services.close_case(case=case, by=village, closure_type=ClosureType.SPECIAL, note="")
    case = services.close_case(
        case=case, by=village, closure_type=ClosureType.SPECIAL, note="历史遗留问题"
    )
    assert case.closure_type == ClosureType.SPECIAL
    assert CaseTask.objects.get(case=case).state == TaskState.CANCELLED


def test_reject_and_merge_need_reasons_and_record_both_sides(town, report):
    village = town.user("village_a")
    first = report()
    second = report(description="同一家企业偷排")
    with pytest.raises(DomainError):
        services.reject_case(case=first, by=village, note="")
    services.merge_case(case=second, into=first, by=village, note="同一事件")
    second = Case.objects.get(pk=second.pk)
    assert (second.state, second.merged_into) == (S.MERGED, first)
    assert CaseEvent.objects.get(case=second, kind=EventKind.MERGE).related_case == first
    assert CaseEvent.objects.get(case=first, kind=EventKind.MERGED_IN).related_case == second
    with pytest.raises(DomainError):
        services.merge_case(case=first, into=second, by=village, note="反向")
    third = report()
    third = services.reject_case(case=third, by=village, note="重复误报")
    assert third.state == S.REJECTED


def test_illegal_transition_lists_allowed_actions(town, report):
    case = report()
    with pytest.raises(ConflictError) as err:
        services.callback_case(case=case, by=town.user("village_a"), satisfaction=5)
    assert err.value.state == S.REPORTED
    assert {"accept", "reject", "merge", "classify", "urge", "supervise", "comment"} <= set(
        err.value.allowed
    )
    assert "dispatch" not in err.value.allowed


def test_lacking_the_permission_is_forbidden_not_a_conflict(town, report):
    case = report()
    with pytest.raises(PermissionDenied):
        services.handle_case(case=case, by=town.user("env_handler"))
    with pytest.raises(PermissionDenied):
        services.accept_case(case=case, by=town.user("worker_a1"))
    with pytest.raises(PermissionDenied):
        services.accept_case(case=case, by=town.user("town_office"))  # not the town's level


def test_stale_version_is_a_conflict(town, report):
    case = report()
    seen = case.version
    services.accept_case(case=case, by=town.user("village_a"))
    with pytest.raises(ConflictError) as err:
        services.reject_case(case=case, by=town.user("village_a"), note="x", version=seen)
    assert err.value.state == S.ACCEPTED


def test_failed_step_writes_nothing(town, report):
    case = services.accept_case(case=report(), by=town.user("village_a"))
    before = (
        CaseEvent.objects.count(),
        CaseTask.objects.count(),
        Case.objects.get(pk=case.pk).version,
    )
    with pytest.raises(DomainError):
        services.dispatch_case(case=case, by=town.user("village_a"), to=town.env, co=[town.env])
    with pytest.raises(DomainError):
        services.dispatch_case(case=case, by=town.user("village_a"), to=town.env, days=0)
    after = (
        CaseEvent.objects.count(),
        CaseTask.objects.count(),
        Case.objects.get(pk=case.pk).version,
    )
    assert before == after


def test_handlers_hear_of_assignments_and_urges_after_commit(
    town, report, django_capture_on_commit_callbacks
):
    from gridgov.core.models import Notification

    handler = town.user("env_handler")
    with django_capture_on_commit_callbacks(execute=False) as pending:
        case = dispatched(town, report)
    assert not Notification.objects.filter(user=handler).exists()  # nothing before commit
    for callback in pending:
        callback()
    assigned = Notification.objects.get(user=handler, kind="assignment")
    assert assigned.target_id == case.pk
    assert assigned.url == f"/cases/{case.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        services.urge_case(case=case, by=town.user("town_office"), note="请加快")
    urge = Notification.objects.get(user=handler, kind="urge")
    assert urge.body == "请加快"
    assert not Notification.objects.filter(user=town.user("town_office"), kind="urge").exists()


def test_an_english_operator_assigns_in_the_handlers_language(
    town, report, django_capture_on_commit_callbacks
):
    """The slip's notice is written in every language at once: the operator's English page
    must not decide what the handler (or the SMS) reads."""
    from django.utils.translation import override

    from gridgov.core.models import Notification

    case = escalated(town, report)
    with override("en"), django_capture_on_commit_callbacks(execute=True):
        services.dispatch_case(case=case, by=town.user("town_office"), to=town.env)
    assigned = Notification.objects.get(user=town.user("env_handler"), kind="assignment")
    assert assigned.title == f"新交办主办案件:{case.title}"
    assert assigned.body.startswith("办理期限 ")
    with override("en"):
        assert assigned.shown_title == f"New case assigned to you (Lead): {case.title}"
        assert assigned.shown_body.startswith("Deadline: ")
    with override("zh-hans"):
        assert assigned.shown_title == assigned.title


def test_emergency_reaches_the_town_and_the_village_at_once(
    town, report, django_capture_on_commit_callbacks
):
    from gridgov.core.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        case = report(urgency="emergency", description="化工厂起火")
    assert (case.level, case.mode) == (PlatformLevel.TOWN, "emergency")
    told = set(
        Notification.objects.filter(kind="case_emergency").values_list("user__username", flat=True)
    )
    assert {"town_office", "village_a"} <= told


def test_resident_rates_their_closed_case_by_tracking_code(town, report):
    office = town.user("town_office")
    case = dispatched(town, report)
    with pytest.raises(ConflictError):
        services.resident_callback(tracking_code=case.tracking_code, satisfaction=5)
    case = services.handle_case(case=case, by=town.user("env_handler"))
    case = services.feedback_case(case=case, by=town.user("env_handler"), result="已处理")
    case = services.verify_case(case=case, by=office, passed=True)
    case = services.resident_callback(
        tracking_code=case.tracking_code.lower(), satisfaction=3, note="还有味"
    )
    assert (case.state, case.satisfaction) == (S.CALLED_BACK, 3)
    event = CaseEvent.objects.get(case=case, kind=EventKind.CALLBACK)
    assert (event.actor, event.satisfaction, event.extra) == (None, 3, {"by_resident": True})
    assert "reopen" in services.allowed_actions(case, office)
    with pytest.raises(ConflictError):
        services.resident_callback(tracking_code=case.tracking_code, satisfaction=5)
