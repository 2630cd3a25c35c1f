"""Four-colour warnings: rules as versioned data, idempotent evaluation, auto and manual lift,
notification of the people responsible; bulletins numbered per year, acknowledged and reported."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.models import Notification
from gridgov.oversight.models import (
    BulletinState,
    EarlyWarning,
    RecipientState,
    WarningRule,
)
from gridgov.oversight.tasks import evaluate_warning_rules
from gridgov.oversight.tests.conftest import at
from gridgov.oversight.warnings import (
    act_on_bulletin,
    evaluate_warnings,
    issue_bulletin,
    lift_warning,
    save_rule,
    validate_rule_params,
)
from gridgov.oversight.workflow import bulletin_actions

NOW = at(6, 20, 12)


@pytest.fixture
def only(town):
    """Keep only the named shipped rules active."""

    def keep(*codes: str) -> None:
        WarningRule.objects.exclude(code__in=codes).update(is_active=False)

    return keep


def test_shipped_rules_are_versioned_data(db):
    assert set(WarningRule.objects.filter(is_current=True).values_list("code", flat=True)) == {
        "same_class_7d",
        "overdue_backlog",
        "hotline_surge",
        "key_unvisited",
    }


def test_rule_params_are_checked():
    ok = {"days": 7, "levels": {"blue": 3, "yellow": 5}}
    assert validate_rule_params("cluster", ok) == ok
    for bad, field in (
        ({"days": 7, "levels": {"blue": 5, "yellow": 3}}, "params.levels.yellow"),
        ({"days": 0, "levels": {"blue": 3}}, "params.days"),
        ({"days": 7, "levels": {"purple": 3}}, "params.levels"),
        ({"levels": {"blue": 1.5}, "days": 7}, "params.baseline_days"),
    ):
        kind = "surge" if field == "params.baseline_days" else "cluster"
        with pytest.raises(DomainError) as err:
            validate_rule_params(kind, bad)
        assert err.value.field == field


def test_cluster_rule_colours_by_count_and_lifts_itself(town, make_case, only):
    only("same_class_7d")
    cases = [make_case("A1", created=NOW - dt.timedelta(days=1, hours=n)) for n in range(5)]
    make_case("A1", created=NOW - dt.timedelta(days=8))  # outside the 7 days
    make_case("A1", created=NOW - dt.timedelta(hours=1), item="0301")  # another class
    make_case("A2", created=NOW - dt.timedelta(hours=1))
    result = evaluate_warnings(NOW)
    assert (result.raised, result.lifted) == (1, 0)
    warning = EarlyWarning.objects.active().get()
    assert (warning.grid, warning.level, warning.facts["count"]) == (town.a1, "yellow", 5)
    # Idempotent: a second run changes nothing and notifies nobody again.
    sent = Notification.objects.filter(kind="warning").count()
    assert sent >= 3  # worker_a1, village_a, town_office (and the leader)
    again = evaluate_warnings(NOW)
    assert (again.raised, again.changed, again.lifted) == (0, 0, 0)
    assert Notification.objects.filter(kind="warning").count() == sent
    assert set(
        Notification.objects.filter(kind="warning").values_list("user__username", flat=True)
    ) == {"worker_a1", "village_a", "town_office", "leader"}
    # Three more: orange; then the week passes and it lifts itself.
    for n in range(3):
        make_case("A1", created=NOW - dt.timedelta(hours=2 + n))
    assert evaluate_warnings(NOW).changed == 1
    assert EarlyWarning.objects.active().get().level == "orange"
    type(cases[0]).objects.filter(grid=town.a1).update(state="rejected")
    assert evaluate_warnings(NOW).lifted == 1
    warning.refresh_from_db()
    assert warning.lifted_at is not None
    assert warning.lifted_by is None


def test_overdue_rule_and_manual_lift(town, make_case, only):
    only("overdue_backlog")
    for _n in range(3):
        make_case("B1", state="dispatched", due=NOW - dt.timedelta(days=1))
    make_case("B1", state="closed", due=NOW - dt.timedelta(days=1), closed=NOW)
    make_case("B1", state="dispatched", due=NOW + dt.timedelta(days=1))
    evaluate_warnings(NOW)
    warning = EarlyWarning.objects.active().get()
    assert (warning.grid, warning.level) == (town.b1, "blue")
    with pytest.raises(PermissionDenied):
        lift_warning(warning=warning, by=town.user("village_a"), note="x")  # not their village
    with pytest.raises(DomainError):
        lift_warning(warning=warning, by=town.user("town_office"), note=" ")
    lift_warning(warning=warning, by=town.user("town_office"), note="已现场督办")
    with pytest.raises(ConflictError):
        lift_warning(warning=warning, by=town.user("town_office"), note="again")
    # Quiet while the condition holds at the same level; raised again when it grows.
    assert evaluate_warnings(NOW).raised == 0
    for _n in range(2):
        make_case("B1", state="dispatched", due=NOW - dt.timedelta(days=1))
    assert evaluate_warnings(NOW).raised == 1
    assert EarlyWarning.objects.active().get().level == "yellow"


def test_surge_against_the_grids_own_baseline(town, make_case, only):
    only("hotline_surge")
    # Baseline: 8 hotline cases over the previous 56 days = 1 per week; now 4 in a week.
    for n in range(8):
        make_case("A2", channel="hotline", created=NOW - dt.timedelta(days=10 + n * 6))
    for n in range(4):
        make_case("A2", channel="hotline", created=NOW - dt.timedelta(days=n + 0.5))
    # B2: 2 recent hotline cases, under min_count.
    for n in range(2):
        make_case("B2", channel="hotline", created=NOW - dt.timedelta(days=n + 0.5))
    evaluate_warnings(NOW)
    warning = EarlyWarning.objects.active().get()
    assert (warning.grid, warning.level) == (town.a2, "red")
    assert warning.facts == {"recent": 4, "baseline": 1.0, "ratio": 4.0}


def test_rule_edit_is_a_new_version(town, make_case, only):
    only("same_class_7d")
    office = town.user("town_office")
    rule = save_rule(
        code="same_class_7d",
        name="7天内同类案件",
        kind="cluster",
        params={"days": 7, "levels": {"blue": 2, "yellow": 3, "orange": 4, "red": 5}},
        by=office,
        note="收紧阈值",
    )
    assert rule.version == 2
    assert WarningRule.objects.filter(code="same_class_7d").count() == 2
    for n in range(5):
        make_case("A1", created=NOW - dt.timedelta(hours=n + 1))
    evaluate_warnings(NOW)
    assert EarlyWarning.objects.active().get().level == "red"
    with pytest.raises(PermissionDenied):
        save_rule(
            code="x",
            name="x",
            kind="overdue",
            params={"levels": {"blue": 1}},
            by=town.user("worker_a1"),
        )


def test_a_new_version_numbers_after_a_deleted_current_one(town, only):
    # A demo reset deletes the rules its accounts wrote; the older versions stay, none current,
    # and the next edit must number itself after them (not 1 again, which is kept).
    only("same_class_7d")
    office = town.user("town_office")
    params = {"days": 7, "levels": {"blue": 3, "yellow": 5, "orange": 8, "red": 12}}
    second = save_rule(code="same_class_7d", name="同类", kind="cluster", params=params, by=office)
    third = save_rule(code="same_class_7d", name="同类", kind="cluster", params=params, by=office)
    third.delete()
    assert not WarningRule.objects.filter(code="same_class_7d", is_current=True).exists()
    fourth = save_rule(code="same_class_7d", name="同类", kind="cluster", params=params, by=office)
    assert (second.version, fourth.version) == (2, 3)
    current = WarningRule.objects.filter(code="same_class_7d", is_current=True)
    assert list(current.values_list("version", flat=True)) == [3]


def test_scheduled_task_runs_the_evaluation(town, only):
    only()
    assert evaluate_warning_rules.call() == {"raised": 0, "changed": 0, "lifted": 0}


def test_bulletins_numbered_per_year_acknowledged_and_reported(town):
    office = town.user("town_office")
    deadline = timezone.localdate() + dt.timedelta(days=7)
    first = issue_bulletin(
        title="秸秆焚烧高发预警",
        level="orange",
        grid=town.town,
        situation="近期多处露天焚烧",
        measures="加强巡查,落实禁烧",
        deadline=deadline,
        departments=[town.env, town.police],
        by=office,
    )
    second = issue_bulletin(
        title="汛期隐患预警",
        level="yellow",
        grid=town.village_a,
        situation="降雨",
        measures="排查",
        deadline=deadline,
        departments=[town.env],
        by=office,
    )
    assert (first.number, second.number, second.year) == (1, 2, first.year)
    assert (
        Notification.objects.filter(kind="warning_bulletin", user__username="env_handler").count()
        == 2
    )
    with pytest.raises(PermissionDenied):
        issue_bulletin(
            title="t",
            level="blue",
            grid=town.town,
            situation="s",
            measures="m",
            deadline=deadline,
            departments=[town.env],
            by=town.user("village_a"),  # the town is above their scope
        )
    with pytest.raises(DomainError):
        issue_bulletin(
            title="t",
            level="blue",
            grid=town.town,
            situation="s",
            measures="m",
            deadline=deadline,
            departments=[],
            by=office,
        )
    env = first.recipients.get(department=town.env)
    handler = town.user("env_handler")
    assert bulletin_actions(env, handler) == ["acknowledge"]
    assert bulletin_actions(env, office) == []
    with pytest.raises(ConflictError):
        act_on_bulletin(recipient=env, verb="report", by=handler, report="done")
    act_on_bulletin(recipient=env, verb="acknowledge", by=handler)
    with pytest.raises(DomainError):
        act_on_bulletin(recipient=env, verb="report", by=handler, report="")
    env = act_on_bulletin(recipient=env, verb="report", by=handler, report="出动巡查12次")
    assert env.state == RecipientState.REPORTED
    first.refresh_from_db()
    assert first.state == BulletinState.ISSUED  # police has not reported
    police = first.recipients.get(department=town.police)
    with pytest.raises(PermissionDenied):
        act_on_bulletin(recipient=police, verb="acknowledge", by=handler)
