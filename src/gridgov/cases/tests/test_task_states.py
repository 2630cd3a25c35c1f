"""The assignment slip (交办单) is a declared state machine like the case (issue 8): its transitions
pinned, its live states named once (the sweep's partial indexes included), its state changed
only through the transition methods, and each slip step leaving an event row naming the slip."""

import pytest

from gridgov.cases import services
from gridgov.cases.models import (
    LIVE_TASK_STATES,
    STANDING_TASK_STATES,
    CaseEvent,
    CaseTask,
    EventKind,
    TaskState,
)

T = TaskState

TABLE = sorted(
    [
        (T.PENDING, "sign", T.ACCEPTED),
        (T.PENDING, "return_", T.RETURNED),
        (T.ACCEPTED, "return_", T.RETURNED),
        (T.ACCEPTED, "feedback", T.FED_BACK),
        (T.FED_BACK, "rework", T.ACCEPTED),
        (T.PENDING, "cancel", T.CANCELLED),
        (T.ACCEPTED, "cancel", T.CANCELLED),
        (T.FED_BACK, "cancel", T.CANCELLED),
    ],
    key=lambda row: (row[1], str(row[0])),
)


def test_task_transition_table_is_pinned():
    actual = sorted(
        (
            (t.source, t.name, t.target)
            for t in CaseTask._meta.get_field("state").get_all_transitions(CaseTask)
        ),
        key=lambda row: (row[1], str(row[0])),
    )
    assert actual == TABLE


def test_live_and_standing_task_states():
    assert set(LIVE_TASK_STATES) == {T.PENDING, T.ACCEPTED}
    assert set(STANDING_TASK_STATES) == {T.PENDING, T.ACCEPTED, T.FED_BACK}
    assert T.RETURNED not in STANDING_TASK_STATES
    assert T.CANCELLED not in STANDING_TASK_STATES


def test_sweep_indexes_use_the_live_states():
    conditions = {i.name: i.condition for i in CaseTask._meta.indexes if i.condition is not None}
    for name in ("task_live_warn_idx", "task_live_due_idx"):
        state_filter = dict(conditions[name].children)["state__in"]
        assert list(state_filter) == list(LIVE_TASK_STATES), name


def test_task_state_cannot_be_assigned_directly():
    task = CaseTask(state=T.PENDING)
    with pytest.raises(AttributeError):
        task.state = T.FED_BACK  # FSMField(protected=True)
    assert task.state == T.PENDING


@pytest.mark.usefixtures("clock")
def test_each_slip_step_leaves_an_event_naming_the_slip(town, report):
    office, handler = town.user("town_office"), town.user("env_handler")
    case = services.accept_case(case=report(), by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="上报")
    case = services.dispatch_case(case=case, by=office, to=town.env)
    task = CaseTask.objects.get(case=case)
    case = services.handle_case(case=case, by=handler)
    case = services.feedback_case(case=case, by=handler, result="已处理")
    case = services.verify_case(case=case, by=office, passed=False, note="仍有异味")
    task.refresh_from_db()
    assert task.state == T.ACCEPTED
    assert task.fed_back_at is None
    kinds = list(
        CaseEvent.objects.filter(case=case, task=task).order_by("at", "pk").values_list("kind")
    )
    assert [k for (k,) in kinds] == [EventKind.DISPATCH, EventKind.HANDLE, EventKind.FEEDBACK]
    case = services.close_case(case=case, by=office, closure_type="special", note="撤销")
    task.refresh_from_db()
    assert task.state == T.CANCELLED
