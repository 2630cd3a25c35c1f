"""The demo's business safety and campaign, on the test town."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gridgov.core.testing.town import TOWN_CODE
from gridgov.fieldwork.safety.demo import seed_demo_safety
from gridgov.fieldwork.safety.models import CampaignAnswer, Hazard, HazardEvent, Inspection
from gridgov.fieldwork.tests.test_safety import business

pytestmark = pytest.mark.django_db


def test_demo_inspections_hazards_in_several_states_and_a_partly_answered_campaign(town):
    for grid in (town.a1, town.a2, town.b1, town.b2):
        for n, industry in enumerate(["餐饮业", "机械加工", "零售业", "煤炭开采和洗选业"]):
            business(grid, f"{grid.code}-{n}", industry=industry, grade="yellow")
    summary = SimpleNamespace(root_code=TOWN_CODE)
    result = seed_demo_safety(summary=summary, by=town.user("admin"))
    assert result is not None
    assert result.inspections == Inspection.objects.count() > 0
    assert len(result.hazards) >= 3, result.hazards
    assert all(h.events.exists() for h in Hazard.objects.all())
    assert HazardEvent.objects.filter(kind="report").count() == Hazard.objects.count()
    answered = CampaignAnswer.objects.values("grid").distinct().count()
    assert 0 < answered < 4
    assert seed_demo_safety(summary=summary, by=town.user("admin")) is None
