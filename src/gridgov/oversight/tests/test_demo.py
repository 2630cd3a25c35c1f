"""The demo seeding on the test cast: half a year of runs under both schemes, one appeal
applied, warnings from the rules, two bulletins, coordination records; idempotent."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from gridgov.core.testing.town import TOWN_CODE
from gridgov.oversight.demo import last_months, seed_demo_oversight
from gridgov.oversight.models import (
    Appeal,
    AppealState,
    AssessmentRun,
    CoordinationGroup,
    EarlyWarning,
    ResidentSurvey,
    RunState,
    Training,
    TwoWayRating,
    WarningBulletin,
)


def test_last_months_are_the_six_before_this_one():
    assert last_months(dt.date(2026, 2, 15)) == [
        "2025-08",
        "2025-09",
        "2025-10",
        "2025-11",
        "2025-12",
        "2026-01",
    ]


def test_demo_seeds_assessments_warnings_and_bulletins(town):
    summary = SimpleNamespace(root_code=TOWN_CODE)
    assert seed_demo_oversight(summary=summary, by=None) == 24
    published = AssessmentRun.objects.filter(state=RunState.PUBLISHED)
    assert set(published.values_list("scheme__code", flat=True)) == {
        "sheet100",
        "sheet1000",
        "dept100",
    }
    assert published.values("month").distinct().count() == 6
    assert list(Appeal.objects.values_list("state", flat=True)) == [AppealState.APPLIED]
    assert AssessmentRun.objects.filter(state=RunState.SUPERSEDED).count() == 1
    # The cast has two workers: bursts of 3 and 5 straw-burning reports → blue and yellow.
    assert sorted(EarlyWarning.objects.active().values_list("level", flat=True)) == [
        "blue",
        "yellow",
    ]
    assert list(WarningBulletin.objects.values_list("number", flat=True)) == [2, 1]
    assert Training.objects.count() == 1
    assert ResidentSurvey.objects.values("month").distinct().count() == 6
    # Each department rated the platform and was rated (the cast's env has a handler).
    assert TwoWayRating.objects.filter(direction="platform_to_dept").count() == 6 * 2
    assert TwoWayRating.objects.filter(direction="dept_to_platform").count() == 6
    dept_run = published.filter(scheme__code="dept100").order_by("-month").first()
    items = {i["code"]: i for i in dept_run.results.get(code=str(town.env.pk)).items}
    assert items["handling_quality"]["denominator"] == 100
    assert CoordinationGroup.objects.get().matter_classes.exists()
    assert seed_demo_oversight(summary=summary, by=None) == 0
