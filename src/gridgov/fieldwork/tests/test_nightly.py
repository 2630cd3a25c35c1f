"""The nightly jobs: patrol days made stale by uploads are computed again (once), and the
period's visit plans are generated (once)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from gridgov.core.management.commands.scheduler import load_schedule
from gridgov.fieldwork import nightly
from gridgov.fieldwork.models import PatrolDay, VisitTask
from gridgov.fieldwork.tests.test_daily import patrol
from gridgov.registry.models import Household

pytestmark = pytest.mark.django_db


def test_stale_patrol_days_are_refreshed_once(town):
    with time_machine.travel(datetime(2026, 5, 11, 10, 0, tzinfo=UTC), tick=False):
        patrol(town, "worker_a1", "2026-05-11")
        patrol(town, "worker_b1", "2026-05-11")
    stored = {d.user_id: d.mileage_m for d in PatrolDay.objects.filter(day=date(2026, 5, 11))}
    PatrolDay.objects.filter(user=town.user("worker_a1")).delete()
    assert nightly.stale_patrol_days(date(2026, 5, 11)) == [town.user("worker_a1").pk]
    with time_machine.travel(datetime(2026, 5, 12, 3, 0, tzinfo=UTC), tick=False):
        assert nightly.refresh_patrol_days.call() == {"yesterday": 1, "today": 0}
        assert nightly.refresh_patrol_days.call() == {"yesterday": 0, "today": 0}
    day = PatrolDay.objects.get(user=town.user("worker_a1"), day=date(2026, 5, 11))
    assert day.mileage_m == pytest.approx(stored[town.user("worker_a1").pk])
    assert day.mileage_m > 600


def test_visit_plans_are_generated_nightly_once(town):
    Household.objects.create(
        grid=town.grid("410182100201001"), number="N1", contact_worker=town.user("worker_a1").staff
    )
    with time_machine.travel(datetime(2026, 7, 1, 0, 30, tzinfo=UTC), tick=False):
        assert nightly.generate_visit_plans.call() == {"created": 2, "existing": 0}
        assert nightly.generate_visit_plans.call() == {"created": 0, "existing": 2}
    assert set(VisitTask.objects.values_list("kind", "period_start")) == {
        ("ordinary", date(2026, 7, 1)),
        ("policy_talk", date(2026, 7, 1)),
    }


def test_both_jobs_are_scheduled_daily():
    paths = {entry.path: entry.minutes for entry in load_schedule()}
    assert paths["gridgov.fieldwork.nightly.refresh_patrol_days"] == 24 * 60
    assert paths["gridgov.fieldwork.nightly.generate_visit_plans"] == 24 * 60
