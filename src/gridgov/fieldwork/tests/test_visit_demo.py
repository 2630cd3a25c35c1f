"""The demo's visits by plan and survey, on the test town."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.utils import timezone

from gridgov.core.testing.town import TOWN_CODE, UNIT_A1, UNIT_B1
from gridgov.fieldwork import surveys, visits
from gridgov.fieldwork.models import Survey, Visit, VisitTask
from gridgov.fieldwork.visit_demo import seed_demo_visits
from gridgov.registry.models import Household, HouseholdTag

pytestmark = pytest.mark.django_db


def test_demo_visits_follow_the_plan_and_a_survey_is_answered(town) -> None:
    for code, username in ((UNIT_A1, "worker_a1"), (UNIT_B1, "worker_b1")):
        staff = town.user(username).staff
        for i in range(25):
            home = Household.objects.create(
                grid=town.grid(code), number=f"{code}-{i}", contact_worker=staff
            )
            if i % 5 == 0:
                HouseholdTag.objects.create(
                    household=home, kind="left_behind", since=date(2025, 1, 1)
                )
    summary = SimpleNamespace(root_code=TOWN_CODE)
    result = seed_demo_visits(summary=summary, by=town.user("admin"))
    assert result is not None
    assert result.visits > 20
    now = timezone.now()
    # Every visit is in the past and answers at least one task or is a policy talk.
    assert not Visit.objects.filter(visited_at__gt=now).exists()
    done = VisitTask.objects.filter(visit__isnull=False).count()
    assert done >= result.visits * 0.8
    assert VisitTask.objects.filter(kind="occasion").count() == 3
    assert VisitTask.objects.overdue(now).filter(kind="occasion").count() == 1
    rows = visits.overdue_summary(town.user("town_office"))
    assert {r.worker for r in rows} == {"worker_a1", "worker_b1"}
    survey = Survey.objects.get()
    table = surveys.tabulate(survey, town.user("town_office"))
    assert table.responses == result.survey_responses == 25
    assert sum(n for _label, n, _share in table.questions[1].counts) == 25
    assert seed_demo_visits(summary=summary, by=town.user("admin")) is None


def test_demo_visits_made_on_patrol_are_linked_to_it(town) -> None:
    from gridgov.fieldwork.demo import seed_demo_fieldwork
    from gridgov.fieldwork.models import Patrol

    staff = town.user("worker_a1").staff
    for i in range(30):
        home = Household.objects.create(
            grid=town.grid(UNIT_A1), number=f"{UNIT_A1}-{i}", contact_worker=staff
        )
        HouseholdTag.objects.create(household=home, kind="left_behind", since=date(2025, 1, 1))
    summary = SimpleNamespace(root_code=TOWN_CODE)
    seed_demo_fieldwork(summary=summary, by=town.user("admin"))
    assert Patrol.objects.filter(user=town.user("worker_a1")).count() > 15
    assert seed_demo_visits(summary=summary, by=town.user("admin")) is not None
    worker_visits = Visit.objects.filter(user=town.user("worker_a1"))
    linked = worker_visits.filter(patrol__isnull=False).select_related("patrol")
    # Most visits fall on a patrol of that day (the demo places them there); each linked one
    # lies inside its patrol and belongs to its worker, by record_visit's rule.
    assert linked.count() >= 0.5 * worker_visits.count() > 0
    for visit in linked:
        assert visit.patrol.user_id == visit.user_id
        assert visit.patrol.started_at <= visit.visited_at <= visit.patrol.ended_at
    for visit in worker_visits.filter(patrol__isnull=True):
        assert not Patrol.objects.filter(
            user=visit.user, started_at__lte=visit.visited_at, ended_at__gte=visit.visited_at
        ).exists()
