"""Warnings evaluated on new data: a case reported through the real intake raises the warning of
its grid through the task queue (no scheduler sweep run by hand), debounced per grid."""

from __future__ import annotations

import pytest

from gridgov.cases.models import Channel, MatterItem
from gridgov.cases.services import intake
from gridgov.core.testing.fixtures import clear_cache
from gridgov.core.testing.town import INSIDE, UNIT_A1
from gridgov.oversight import triggers
from gridgov.oversight.models import EarlyWarning, WarningRule
from gridgov.oversight.warnings import save_rule


@pytest.fixture(autouse=True)
def fresh_cache(db):
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def one_case_is_blue(town):
    """Only the cluster rule, raising blue from the first case of a class in a grid."""
    WarningRule.objects.exclude(code="same_class_7d").update(is_active=False)
    save_rule(
        code="same_class_7d",
        name="7天内同类案件",
        kind="cluster",
        params={"days": 7, "levels": {"blue": 1, "yellow": 3}},
        by=town.user("admin"),
        note="test",
    )


def _report(town, by: str = "worker_a1") -> None:
    lon, lat = INSIDE[UNIT_A1]
    intake.report_case(
        by=town.user(by),
        channel=Channel.PATROL,
        description="河边有企业偷排污水,气味刺鼻",
        item=MatterItem.objects.get(code="0401"),
        lon=lon,
        lat=lat,
    )


def test_a_new_case_raises_its_grids_warning_without_the_scheduler(
    town, one_case_is_blue, immediate_tasks, django_capture_on_commit_callbacks
):
    assert not EarlyWarning.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        _report(town)
    warning = EarlyWarning.objects.active().get()
    assert (warning.grid_id, warning.level, warning.facts["count"]) == (town.a1.pk, "blue", 1)
    # A second case of the class: the evaluation on its commit changes the facts.
    clear_cache()
    with django_capture_on_commit_callbacks(execute=True):
        _report(town)
    warning.refresh_from_db()
    assert warning.facts["count"] == 2


def test_nothing_is_enqueued_before_the_commit(
    town, one_case_is_blue, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _report(town)
    assert callbacks  # waiting for the commit
    assert not EarlyWarning.objects.exists()


def test_changes_of_one_grid_are_debounced_into_one_task(
    town, one_case_is_blue, run_task_queue, django_capture_on_commit_callbacks, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    monkeypatch.setattr(triggers, "DEBOUNCE_SECONDS", 0)
    with django_capture_on_commit_callbacks(execute=True):
        _report(town)
    with django_capture_on_commit_callbacks(execute=True):
        _report(town)
    queued = DBTaskResult.objects.filter(task_path__endswith="evaluate_grid_warnings")
    assert queued.count() == 1
    assert not EarlyWarning.objects.exists()  # not run yet: the queue runs it
    assert run_task_queue() >= 1
    warning = EarlyWarning.objects.active().get()
    assert (warning.grid_id, warning.facts["count"]) == (town.a1.pk, 2)
    # The task cleared its marker: the next change enqueues again.
    with django_capture_on_commit_callbacks(execute=True):
        _report(town)
    assert queued.count() == 2


def test_evaluation_of_one_grid_leaves_the_others_alone(town, make_case, one_case_is_blue):
    from gridgov.oversight.tests.conftest import at
    from gridgov.oversight.warnings import evaluate_warnings

    now = at(6, 20, 12)
    make_case("A1", created=at(6, 19))
    make_case("B1", created=at(6, 19))
    result = evaluate_warnings(now, grid_ids=[town.a1.pk])
    assert result.raised == 1
    assert list(EarlyWarning.objects.values_list("grid_id", flat=True)) == [town.a1.pk]


def test_hotline_records_and_imports_schedule_their_grids(
    town, monkeypatch, django_capture_on_commit_callbacks
):
    from gridgov.hotline.models import HotlineImport, HotlineRecord, HotlineSource
    from gridgov.oversight.tests.conftest import at

    scheduled: list[int] = []
    monkeypatch.setattr(triggers, "schedule_grid", scheduled.append)
    source = HotlineSource.objects.create(name="s12345")
    with django_capture_on_commit_callbacks(execute=True):
        HotlineRecord.objects.create(
            source=source, external_number="1", received_at=at(6, 1), status="open", grid=town.b1
        )
    assert scheduled == [town.b1.pk]
    # An import writes its records in bulk: its own row schedules the grids it touched.
    HotlineRecord.objects.bulk_create(
        [
            HotlineRecord(
                source=source, external_number=n, received_at=at(6, 2), status="open", grid=g
            )
            for n, g in (("2", town.a1), ("3", town.a2), ("4", town.a1))
        ]
    )
    scheduled.clear()
    with django_capture_on_commit_callbacks(execute=True):
        HotlineImport.objects.create(source=source, filename="x.csv", rows=3, created=3)
    assert sorted(scheduled) == sorted({town.a1.pk, town.a2.pk, town.b1.pk})


def test_a_hazard_step_schedules_its_grid(town, django_capture_on_commit_callbacks, monkeypatch):
    """The hazard rules (overdue, listed) are re-evaluated when a hazard moves, not only by the
    scheduler's sweep."""
    from gridgov.fieldwork.safety.services.hazards import report_hazard

    scheduled: list[int] = []
    monkeypatch.setattr(triggers, "schedule_grid", lambda grid_id: scheduled.append(grid_id))
    with django_capture_on_commit_callbacks(execute=True):
        report_hazard(
            by=town.user("worker_a1"), grid=town.a1, description="燃气管道老化", source="patrol"
        )
    assert scheduled == [town.a1.pk]
