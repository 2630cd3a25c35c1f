"""Joint handling (联合执法): each co-handling department gets its own slip deadline when the
dispatcher gives one (else the lead's), and the sweep warns and flags each co-handler's slip by
its own deadline, once, telling that department (issue 3: "each with its own sub-task, deadline
and feedback")."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.cases import services, tasks
from gridgov.cases.models import CaseEvent, CaseTask, EventKind, TaskRole
from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role
from gridgov.people.services import create_user, grant_role

from .conftest import SHANGHAI

pytestmark = pytest.mark.usefixtures("clock")
POLICE = "410182100-POLICE"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=SHANGHAI)


@pytest.fixture
def police_handler(town):
    user = create_user(username="police_handler", password="x-2026-police")
    grant_role(user=user, role=Role.HANDLER, department=town.department(POLICE))
    return user


def at_town(town, report):
    case = services.accept_case(case=report(), by=town.user("village_a"))
    return services.escalate_case(case=case, by=town.user("village_a"), note="需联合执法")


def slip(case, code):
    return CaseTask.objects.get(case=case, department__code=code)


def test_co_handler_gets_its_own_deadline_or_the_leads(town, report):
    office = town.user("town_office")
    police = town.department(POLICE)
    case = services.dispatch_case(
        case=at_town(town, report),
        by=office,
        to=town.env,
        days=5,
        co=[services.CoHandler(department=police, days=2)],
    )
    # Monday 06-08 09:00: 5 working days → end of 06-15, 2 working days → end of 06-10.
    assert case.due_at == end_of(dt.date(2026, 6, 15))
    co = slip(case, POLICE)
    assert (co.role, co.due_at, co.limit_value) == (TaskRole.CO, end_of(dt.date(2026, 6, 10)), 2)
    assert slip(case, town.env.code).due_at == case.due_at
    event = CaseEvent.objects.get(case=case, kind=EventKind.CO_DISPATCH)
    assert (event.department, event.due_at) == (police, co.due_at)

    other = services.dispatch_case(
        case=at_town(town, report), by=office, to=town.env, days=5, co=[police]
    )
    assert slip(other, POLICE).due_at == other.due_at  # no limit of its own: the lead's


def test_co_handler_due_date_is_checked_like_the_leads(town, report):
    office = town.user("town_office")
    police = town.department(POLICE)
    case = at_town(town, report)
    for handler, message in (
        (services.CoHandler(department=police, days=9), "不能晚于主办期限"),
        (services.CoHandler(department=police, due_on=dt.date(2026, 6, 13)), "不是工作日"),
        (services.CoHandler(department=police, due_on=dt.date(2026, 6, 1)), "早于今天"),
        (services.CoHandler(department=police, days=2, due_on=dt.date(2026, 6, 9)), "只能填写一项"),
    ):
        with pytest.raises(DomainError, match=message) as err:
            services.dispatch_case(case=case, by=office, to=town.env, days=5, co=[handler])
        assert err.value.field == "co"
    case = services.dispatch_case(
        case=case,
        by=office,
        to=town.env,
        days=5,
        co=[services.CoHandler(department=police, due_on=dt.date(2026, 6, 11))],
    )
    assert slip(case, POLICE).due_at == end_of(dt.date(2026, 6, 11))


def test_sweep_warns_and_flags_a_co_handlers_slip_once_and_tells_its_department(
    town, report, police_handler, django_capture_on_commit_callbacks
):
    from gridgov.core.models import Notification

    case = services.dispatch_case(
        case=at_town(town, report),
        by=town.user("town_office"),
        to=town.env,
        days=5,
        co=[services.CoHandler(department=town.department(POLICE), days=1)],
    )
    co = slip(case, POLICE)  # due end of Tuesday 06-09
    with django_capture_on_commit_callbacks(execute=True):
        warned = tasks.sweep(now=at(2026, 6, 9, 21, 0))
        again = tasks.sweep(now=at(2026, 6, 9, 22, 0))
        late = tasks.sweep(now=at(2026, 6, 10, 9, 0))
        late_again = tasks.sweep(now=at(2026, 6, 10, 10, 0))
    assert (warned.tasks_warned, again.tasks_warned) == (1, 0)
    assert (late.tasks_overdue, late_again.tasks_overdue) == (1, 0)
    # The case (and the lead's slip) is not late: only the co-handler's slip is.
    assert (warned.warned, late.overdue) == (0, 0)
    flagged = CaseEvent.objects.filter(case=case, task=co).values_list("kind", "department")
    assert sorted(flagged) == sorted(
        [
            (EventKind.CO_DISPATCH, co.department_id),
            (EventKind.WARN, co.department_id),
            (EventKind.OVERDUE, co.department_id),
        ]
    )
    told = Notification.objects.filter(kind__in=["approaching", "overdue"])
    assert sorted(told.values_list("user__username", "kind")) == [
        ("police_handler", "approaching"),
        ("police_handler", "overdue"),
        ("town_office", "overdue"),  # the dispatching level hears of a late slip
    ]


def test_a_fed_back_co_handler_is_not_flagged_and_an_extension_rearms(town, report, police_handler):
    case = services.dispatch_case(
        case=at_town(town, report),
        by=town.user("town_office"),
        to=town.env,
        days=5,
        co=[services.CoHandler(department=town.department(POLICE), days=1)],
    )
    case = services.handle_case(case=case, by=police_handler)
    assert tasks.sweep(now=at(2026, 6, 10, 9, 0)).tasks_overdue == 1
    extension = services.request_extension(case=case, by=police_handler, days=3, reason="需取证")
    services.decide_extension(extension=extension, by=town.user("town_office"), approve=True)
    co = slip(case, POLICE)
    assert (co.due_at, co.overdue_flagged_at, co.warned_at) == (
        end_of(dt.date(2026, 6, 12)),
        None,
        None,
    )
    services.feedback_case(case=case, by=police_handler, result="已配合查处")
    assert tasks.sweep(now=at(2026, 6, 13, 9, 0)).tasks_overdue == 0


def test_dispatch_api_takes_a_co_handlers_own_limit(client_for, town, report):
    case = at_town(town, report)
    police = town.department(POLICE)
    response = client_for("town_office").post(
        f"/api/v1/cases/{case.pk}/dispatch",
        data={"department": town.env.pk, "days": 5, "co": [{"department": police.pk, "days": 2}]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    slips = {t["department"]["id"]: t["due_at"] for t in response.json()["tasks"]}
    assert dt.datetime.fromisoformat(slips[police.pk]).astimezone(SHANGHAI).date() == dt.date(
        2026, 6, 10
    )
    assert slip(case, POLICE).limit_value == 2
    late = client_for("town_office").post(
        f"/api/v1/cases/{at_town(town, report).pk}/dispatch",
        data={"department": town.env.pk, "days": 5, "co": [{"department": police.pk, "days": 8}]},
        content_type="application/json",
    )
    assert late.status_code == 400
    assert late.json()["field"] == "co"
