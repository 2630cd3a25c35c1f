"""The demo's month of field work, on the test town."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from gridgov.core.testing.town import TOWN_CODE
from gridgov.fieldwork import daily
from gridgov.fieldwork.demo import seed_demo_fieldwork
from gridgov.fieldwork.models import DutyShift, Patrol, PatrolDay, TrackChunk

pytestmark = pytest.mark.django_db


def test_a_month_of_patrols_walks_inside_the_unit_grids(town) -> None:
    today = date(2026, 5, 31)
    result = seed_demo_fieldwork(
        summary=SimpleNamespace(root_code=TOWN_CODE), by=town.user("admin"), today=today
    )
    assert result is not None
    assert result.patrols > 20
    assert TrackChunk.objects.count() >= result.patrols
    days = PatrolDay.objects.filter(user=town.user("worker_a1"))
    assert days.count() > 10
    # The walks stay inside the worker's grid: nothing flagged outside, some coverage.
    assert all(d.outside_share == 0 for d in days)
    assert all(0 < d.coverage["410182100201001"] <= 1 for d in days)
    rows = daily.compliance(town.user("town_office"), today - timedelta(days=30), today)
    a1 = next(r for r in rows if r.username == "worker_a1")
    assert 0 < a1.periods_met <= a1.periods_due == 31
    assert DutyShift.objects.count() == 1
    # A second call adds nothing.
    again = seed_demo_fieldwork(
        summary=SimpleNamespace(root_code=TOWN_CODE), by=town.user("admin"), today=today
    )
    assert again is None
    assert Patrol.objects.count() == result.patrols
