"""The two hazard warning rules (issue 11): overdue hazards in a unit grid above a threshold,
and major hazards under listed rectification; they lift themselves when the condition clears."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.core.errors import DomainError
from gridgov.fieldwork.safety import services
from gridgov.fieldwork.safety.models import Hazard
from gridgov.oversight.models import EarlyWarning, WarningRule
from gridgov.oversight.warnings import evaluate_warnings, save_rule, validate_rule_params

pytestmark = pytest.mark.django_db


def _rules(town) -> None:
    WarningRule.objects.update(is_active=False)
    office = town.user("town_office")
    save_rule(
        code="hazard_overdue",
        name="隐患超期",
        kind="hazard_overdue",
        params={"levels": {"yellow": 2, "red": 3}},
        by=office,
    )
    save_rule(
        code="hazard_listed",
        name="重大隐患挂牌",
        kind="hazard_listed",
        params={"levels": {"orange": 1}},
        by=office,
    )


def _overdue(town, n: int) -> list[Hazard]:
    worker = town.user("worker_a1")
    out = []
    for i in range(n):
        h = services.report_hazard(by=worker, grid=town.a1, description=f"隐患{i}", source="patrol")
        h = services.order_rectification(h, by=worker, days=3)
        Hazard.objects.filter(pk=h.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
        out.append(h)
    return out


def test_overdue_hazards_above_the_threshold_raise_a_warning_that_lifts_itself(town):
    _rules(town)
    hazards = _overdue(town, 1)
    assert evaluate_warnings().raised == 0  # one is below the threshold of two
    hazards += _overdue(town, 1)
    assert evaluate_warnings().raised == 1
    warning = EarlyWarning.objects.active().get(rule_code="hazard_overdue")
    assert (warning.grid_id, warning.level, warning.facts) == (
        town.a1.pk,
        "yellow",
        {"overdue_hazards": 2},
    )
    _overdue(town, 1)
    assert evaluate_warnings().changed == 1
    assert EarlyWarning.objects.active().get(rule_code="hazard_overdue").level == "red"
    worker = town.user("worker_a1")
    for h in Hazard.objects.overdue():
        services.complete_rectification(h, by=worker, note="已整改")
    assert evaluate_warnings().lifted == 1
    assert not EarlyWarning.objects.active().filter(rule_code="hazard_overdue").exists()


def test_a_listed_major_hazard_raises_a_warning_until_it_is_closed(town):
    _rules(town)
    office = town.user("town_office")
    h = services.report_hazard(
        by=office, grid=town.a2, description="储罐区泄漏", source="inspection", grade="major"
    )
    assert evaluate_warnings().raised == 0
    h = services.list_hazard(h, by=office, days=10, measures="停产整改,设置警戒")
    evaluate_warnings()
    warning = EarlyWarning.objects.active().get(rule_code="hazard_listed")
    assert (warning.grid_id, warning.level) == (town.a2.pk, "orange")
    h = services.complete_rectification(h, by=office, note="已更换储罐")
    services.review_hazard(h, by=office, passed=True)
    assert evaluate_warnings().lifted == 1


def test_hazard_rule_params_are_checked():
    with pytest.raises(DomainError) as err:
        validate_rule_params("hazard_overdue", {"levels": {"red": 1, "blue": 2}})
    assert err.value.field == "params.levels.red"
