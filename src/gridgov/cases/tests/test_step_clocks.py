"""Time limits before dispatch: the platform holding a case owes its acceptance, then its
registration and dispatch, each within a limit from the StepLimit table (STANDARDS: register +
dispatch ≤ 30 min ordinary, ≤ 10 min urgent; verification 1–2 h). The clock is stored on the
case, shown in the queues and swept once per step; the hotline's received_at is a column."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps

from gridgov.cases import queues, services, tasks
from gridgov.cases.deadlines import forget_step_limits
from gridgov.cases.models import (
    Case,
    CaseEvent,
    Channel,
    EventKind,
    PlatformStep,
    StepLimit,
    Urgency,
)

from .conftest import MONDAY, SHANGHAI

pytestmark = pytest.mark.usefixtures("clock")
MINUTE = dt.timedelta(minutes=1)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def test_a_report_owes_its_acceptance_within_the_step_limit(report):
    case = report()  # Monday 09:00, ordinary: 120 working minutes
    assert (case.step, case.due_at) == (PlatformStep.ACCEPT, None)
    assert case.step_due_at.astimezone(SHANGHAI) == pytest.approx(at(2026, 6, 8, 11, 0), abs=MINUTE)
    assert case.step_warn_at < case.step_due_at


def test_an_emergency_has_a_clock_before_it_is_registered(report):
    case = report(urgency=Urgency.EMERGENCY)
    assert case.due_at is None  # no handling deadline until registration …
    # … but the town must accept it within 15 minutes of clock time.
    assert case.step == PlatformStep.ACCEPT
    assert case.step_due_at - case.created_at == dt.timedelta(minutes=15)


def test_step_clock_follows_the_platform_steps(town, report, clock):
    village, office = town.user("village_a"), town.user("town_office")
    case = report()
    clock.move_to(at(2026, 6, 8, 10, 0))
    case = services.accept_case(case=case, by=village)
    assert case.step == PlatformStep.DISPATCH
    assert case.step_due_at.astimezone(SHANGHAI) == pytest.approx(
        at(2026, 6, 8, 10, 30), abs=MINUTE
    )
    clock.move_to(at(2026, 6, 8, 10, 20))
    case = services.escalate_case(case=case, by=village, note="超出村级能力")
    # The town owes its own dispatch from the moment the case reaches it.
    assert case.step_due_at.astimezone(SHANGHAI) == pytest.approx(
        at(2026, 6, 8, 10, 50), abs=MINUTE
    )
    dispatch_by = case.step_due_at
    case = services.register_case(case=case, by=office)
    assert (case.step, case.step_due_at) == (PlatformStep.DISPATCH, dispatch_by)  # one limit
    case = services.dispatch_case(case=case, by=office, to=town.env)
    assert (case.step, case.step_due_at) == ("", None)
    case = services.return_case(
        case=case, by=town.user("env_handler"), reason="not_ours", note="非本部门"
    )
    assert case.step == PlatformStep.DISPATCH  # re-dispatch is owed again


def test_step_limits_are_rows_an_administrator_edits(report):
    StepLimit.objects.filter(step=PlatformStep.ACCEPT, urgency=Urgency.ORDINARY).update(minutes=30)
    forget_step_limits()  # the admin does this on save (test_admin)
    case = report()
    assert case.step_due_at - case.created_at == dt.timedelta(minutes=30)
    StepLimit.objects.filter(step=PlatformStep.ACCEPT, urgency=Urgency.ORDINARY).delete()
    forget_step_limits()
    case = report()
    assert (case.step, case.step_due_at) == (PlatformStep.ACCEPT, None)  # no row, no clock


def test_sweep_warns_and_flags_a_late_step_once_to_the_holding_level(
    town, report, django_capture_on_commit_callbacks
):
    from gridgov.core.models import Notification

    case = report()  # accept by 11:00 at the village
    with django_capture_on_commit_callbacks(execute=True):
        early = tasks.sweep(now=at(2026, 6, 8, 10, 0))
        warned = tasks.sweep(now=at(2026, 6, 8, 10, 40))
        late = tasks.sweep(now=at(2026, 6, 8, 11, 5))
        again = tasks.sweep(now=at(2026, 6, 8, 11, 10))
    assert (early.steps_warned, early.steps_overdue) == (0, 0)
    assert (warned.steps_warned, late.steps_overdue, again.steps_overdue) == (1, 1, 0)
    event = CaseEvent.objects.get(case=case, kind=EventKind.STEP_OVERDUE)
    assert (event.reason, event.level, event.due_at) == ("accept", "village", case.step_due_at)
    told = Notification.objects.filter(kind__in=["approaching", "overdue"])
    assert sorted(told.values_list("user__username", "kind")) == [
        ("village_a", "approaching"),
        ("village_a", "overdue"),
    ]
    # Accepting starts the next step with fresh flags.
    case = services.accept_case(case=case, by=town.user("village_a"))
    assert (case.step_warned_at, case.step_overdue_flagged_at) == (None, None)


def test_queues_show_the_step_and_put_the_most_pressing_first(town, report, client_for):
    ordinary = report()
    emergency = report(urgency=Urgency.EMERGENCY, point=None, grid_code="410182100201001")
    office = town.user("town_office")
    assert list(queues.to_accept(town.user("admin"))[:2]) == [emergency, ordinary]
    rows = client_for("village_a").get("/api/v1/cases/", {"queue": "to_accept"}).json()["items"]
    row = next(r for r in rows if r["id"] == ordinary.pk)
    assert (row["step"], row["step_label"], row["step_overdue"]) == ("accept", "受理核实", False)
    assert row["step_due_at"] is not None
    assert not queues.late_steps(office).exists()
    assert list(queues.late_steps(office, at(2026, 6, 8, 9, 30))) == [emergency]
    counts = client_for("village_a").get("/api/v1/cases/queues").json()
    assert counts["late_steps"] == 0


def test_hotline_received_at_is_a_typed_column(town, report):
    received = at(2026, 6, 8, 8, 40)
    case = report(
        by="town_office",
        channel=Channel.HOTLINE,
        external_number="12345-0608-01",
        received_at=received,
    )
    assert case.received_at == received
    assert Case.objects.filter(received_at__lt=MONDAY).get() == case
    assert "received_at" not in CaseEvent.objects.get(case=case, kind=EventKind.REPORT).extra


def test_received_at_is_only_for_hotline_cases_and_not_in_the_future(report):
    from gridgov.core.errors import DomainError

    with pytest.raises(DomainError, match="只用于热线"):
        report(received_at=at(2026, 6, 8, 8, 0))
    with pytest.raises(DomainError, match="晚于当前时间"):
        report(
            by="town_office",
            channel=Channel.HOTLINE,
            external_number="12345-0608-02",
            received_at=at(2026, 6, 9, 8, 0),
        )


def test_migration_copies_received_at_out_of_the_event_json(town, report):
    case = report(
        by="town_office",
        channel=Channel.HOTLINE,
        external_number="12345-0608-03",
        received_at=at(2026, 6, 8, 8, 15),
    )
    # A row written before the column: the time only in the report event's JSON.
    Case.objects.filter(pk=case.pk).update(received_at=None)
    CaseEvent.objects.filter(case=case, kind=EventKind.REPORT).update(
        extra={"received_at": "2026-06-08T08:15:00+08:00"}
    )
    migration = importlib.import_module(
        "gridgov.cases.migrations.0003_step_clocks_task_flags_received_at"
    )
    migration.forwards(apps, None)
    assert Case.objects.get(pk=case.pk).received_at == at(2026, 6, 8, 8, 15)
