"""The warning rule "key household not visited past its cadence" (kind `unvisited`, seed 003:
key households at least monthly): raised per unit grid by the number of key households whose
visit by plan is overdue, lifted by itself once they are visited."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.testing.town import UNIT_A1, UNIT_B1
from gridgov.fieldwork import visits
from gridgov.oversight.models import EarlyWarning, WarningRule
from gridgov.oversight.tests.conftest import at
from gridgov.oversight.warnings import evaluate_warnings, validate_rule_params
from gridgov.registry.models import Household, HouseholdTag

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_homes(town) -> None:
    WarningRule.objects.exclude(code="key_unvisited").update(is_active=False)
    staff = town.user("worker_a1").staff
    for i in range(3):
        home = Household.objects.create(
            grid=town.grid(UNIT_A1), number=f"K{i}", contact_worker=staff
        )
        HouseholdTag.objects.create(household=home, kind="empty_nest", since=dt.date(2025, 1, 1))
    Household.objects.create(  # an ordinary household: quarterly, not overdue in May
        grid=town.grid(UNIT_A1), number="O1", contact_worker=staff
    )
    other = Household.objects.create(
        grid=town.grid(UNIT_B1), number="K9", contact_worker=town.user("worker_b1").staff
    )
    HouseholdTag.objects.create(household=other, kind="military", since=dt.date(2025, 1, 1))
    visits.generate_visit_plan(on=dt.date(2026, 5, 12))


def test_unvisited_key_households_raise_by_count_and_lift_when_visited(town, key_homes):
    assert evaluate_warnings(at(5, 31, 23)).raised == 0  # not yet past May's deadline
    visits.record_visit(
        by=town.user("worker_b1"),
        uid=None,
        household_number="K9",
        kind="home",
        learnt="x",
        visited_at=at(5, 20),
    )
    evaluate_warnings(at(6, 1, 9))
    warning = EarlyWarning.objects.active().get()
    assert (warning.grid.code, warning.level, warning.facts) == (
        UNIT_A1,
        "yellow",
        {"unvisited": 3},
    )
    # Visited late: the May task stays overdue (its period has passed).
    visits.record_visit(
        by=town.user("worker_a1"),
        uid=None,
        household_number="K0",
        kind="home",
        learnt="x",
        visited_at=at(6, 1, 9, 30),
    )
    evaluate_warnings(at(6, 1, 10))
    assert EarlyWarning.objects.active().get().level == "yellow"
    # A grace period of 3 days lifts it until 4 June.
    rule = WarningRule.objects.get(code="key_unvisited")
    rule.params = {**rule.params, "grace_days": 3}
    rule.save()
    result = evaluate_warnings(at(6, 2, 9))
    assert result.lifted == 1
    assert not EarlyWarning.objects.active().exists()


def test_grace_days_must_be_positive():
    levels = {"levels": {"blue": 1}}
    assert validate_rule_params("unvisited", levels) == levels
    with pytest.raises(Exception, match="grace_days"):
        validate_rule_params("unvisited", {**levels, "grace_days": -1})
