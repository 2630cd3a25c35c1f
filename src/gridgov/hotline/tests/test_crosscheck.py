"""Back-tracing rounds (倒查): matching records to earlier grid-reported cases, the stored
evidence, numbered rounds, tasks for the missed ones, and discovery rates (STANDARDS)."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from gridgov.cases.models import Case, CaseState, Channel, MatterItem
from gridgov.cases.services import intake
from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_A2, UNIT_B1, UNIT_B2, VILLAGE_A
from gridgov.hotline.models import (
    BacktraceState,
    BacktraceTask,
    CrosscheckResult,
    CrosscheckRound,
    HotlineRecord,
    HotlineSource,
    RecordStatus,
)
from gridgov.hotline.services.crosscheck import (
    answer_backtrace,
    discovery_rates,
    last_week,
    review_backtrace,
    round_trend,
    run_crosscheck,
    run_weekly_round,
)
from gridgov.hotline.workflow import VERBS, allowed_actions

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 3, 2)
NOON = dt.datetime(2026, 3, 4, 12, 0, tzinfo=SHANGHAI)  # Wednesday of that week


def grid_case(
    town, *, at, code="0404", point=INSIDE[UNIT_A1], by="worker_a1", channel=Channel.PATROL
):
    made = intake.report_case(
        by=town.user(by),
        channel=channel,
        description="夜间施工噪音",
        item=MatterItem.objects.get(code=code),
        lon=point[0],
        lat=point[1],
        **({"external_number": f"H{at:%H%M%S}"} if channel == Channel.HOTLINE else {}),
    ).case
    # The report time is what the rule compares: put the case where the story needs it.
    Case.objects.filter(pk=made.pk).update(created_at=at)
    return made


def record(number, *, at=NOON, code="0404", grid=UNIT_A1, point=None, status=RecordStatus.CLOSED):
    source, _ = HotlineSource.objects.get_or_create(name="s12345")
    lon, lat = point or INSIDE[grid] if grid else (None, None)
    return HotlineRecord.objects.create(
        source=source,
        external_number=number,
        received_at=at,
        item=MatterItem.objects.get(code=code) if code else None,
        status=status,
        lon=lon,
        lat=lat,
        grid=HotlineRecord._meta.get_field("grid").related_model.objects.get(code=grid)
        if grid
        else None,
    )


def week():
    return {"start": MONDAY, "end": MONDAY + dt.timedelta(days=6)}


def test_a_record_matches_an_earlier_patrol_case_in_its_grid_and_the_evidence_is_stored(town):
    case = grid_case(town, at=NOON - dt.timedelta(hours=5))
    rec = record("R1")
    round_ = run_crosscheck(by=None, **week())
    result = CrosscheckResult.objects.get(round=round_, record=rec)
    assert result.matched
    assert result.case_id == case.pk
    assert (result.same_grid, result.same_item, result.minutes_before) == (True, True, 300)
    assert result.distance_m == pytest.approx(0, abs=0.01)
    assert not BacktraceTask.objects.exists()
    assert (round_.number, round_.records, round_.matched) == (1, 1, 1)


@pytest.mark.parametrize(
    ("hours_before", "code", "channel", "matched"),
    [
        (71, "0404", Channel.PATROL, True),
        (73, "0404", Channel.PATROL, False),  # reported too early
        (-1, "0404", Channel.PATROL, False),  # reported after the record
        (2, "0405", Channel.PATROL, True),  # another item of the same class (生态环境)
        (2, "0501", Channel.PATROL, False),  # another class
        (2, "0404", Channel.HOTLINE, False),  # not a grid report
    ],
)
def test_matching_rule_time_window_category_and_channel(town, hours_before, code, channel, matched):
    by = "town_office" if channel == Channel.HOTLINE else "worker_a1"
    grid_case(town, at=NOON - dt.timedelta(hours=hours_before), code=code, channel=channel, by=by)
    rec = record("R1")
    run_crosscheck(by=None, **week())
    assert CrosscheckResult.objects.get(record=rec).matched is matched


def test_a_case_next_door_within_50_m_matches_across_the_grid_edge(town):
    edge = 113.31  # the A1 | A2 boundary
    grid_case(town, at=NOON - dt.timedelta(hours=1), point=(edge - 0.0002, 34.81))  # A1, ~18 m
    rec = record("R1", grid=UNIT_A2, point=(edge + 0.0002, 34.81))
    far = record("R2", grid=UNIT_A2, point=(edge + 0.003, 34.81))  # ~290 m away
    run_crosscheck(by=None, **week())
    near_result = CrosscheckResult.objects.get(record=rec)
    assert near_result.matched
    assert not near_result.same_grid
    assert near_result.distance_m < 50
    assert not CrosscheckResult.objects.get(record=far).matched


def test_unmatched_record_is_a_task_for_the_grid_worker_with_a_deadline(town):
    rec = record("R1", grid=UNIT_A1)
    record("R2", grid=None)  # no place: no grid to ask
    run_crosscheck(by=None, **week())
    task = BacktraceTask.objects.get()
    assert task.result.record == rec
    assert task.grid.code == UNIT_A1
    assert task.assignee == town.user("worker_a1")
    assert task.state == BacktraceState.OPEN
    assert task.due_at > task.created_at


def test_backtrace_lifecycle_follows_the_verb_table(town):
    record("R1")
    run_crosscheck(by=None, **week())
    task = BacktraceTask.objects.get()
    worker, office, outsider = (
        town.user("worker_a1"),
        town.user("town_office"),
        town.user("worker_b1"),
    )
    assert allowed_actions(task, worker) == ["explain", "correct"]
    assert allowed_actions(task, outsider) == []
    with pytest.raises(PermissionDenied):
        answer_backtrace(task=task, verb="explain", answer="x", by=outsider)
    with pytest.raises(DomainError):
        answer_backtrace(task=task, verb="explain", answer="  ", by=worker)
    task = answer_backtrace(task=task, verb="correct", answer="已上门协调,施工时间调整", by=worker)
    assert task.state == BacktraceState.CORRECTED
    with pytest.raises(ConflictError):
        answer_backtrace(task=task, verb="explain", answer="again", by=worker)
    with pytest.raises(PermissionDenied):
        review_backtrace(task=task, verb="accept", by=worker)
    assert allowed_actions(task, office) == ["accept", "reopen"]
    task = review_backtrace(task=task, verb="accept", by=office)
    assert task.state == BacktraceState.ACCEPTED


def test_verb_table_names_the_states_and_permissions():
    assert {(name, tuple(sorted(v.states)), v.target) for name, v in VERBS.items()} == {
        ("explain", ("open",), "explained"),
        ("correct", ("open",), "corrected"),
        ("accept", ("corrected", "explained"), "accepted"),
        ("reopen", ("corrected", "explained"), "open"),
    }


def test_rounds_are_numbered_and_a_later_round_supersedes_for_the_rate(town):
    rec = record("R1")
    first = run_crosscheck(by=None, **week())
    grid_case(town, at=NOON - dt.timedelta(hours=2))  # entered late, found by the next round
    second = run_crosscheck(by=None, **week())
    assert (first.number, second.number) == (1, 2)
    assert CrosscheckResult.objects.get(record=rec, superseded=False).round == second
    rates = {r.code: r for r in discovery_rates(**week())}
    assert (rates[UNIT_A1].records, rates[UNIT_A1].matched, rates[UNIT_A1].rate) == (1, 1, 1.0)
    trend = round_trend()
    assert [(t["round"], t["discovery_rate"]) for t in trend] == [(1, 0.0), (2, 1.0)]


def test_discovery_rate_per_unit_grid_village_and_town(town):
    grid_case(town, at=NOON - dt.timedelta(hours=3))
    record("A1-hit")
    record("A1-51h", at=NOON + dt.timedelta(days=2))  # the case is then 51 h old: still in
    record("A1-late", at=NOON + dt.timedelta(days=4))  # 99 h: too old
    record("A2-miss", grid=UNIT_A2)
    record("B1-miss", grid=UNIT_B1)
    record("cancelled", grid=UNIT_B2, status=RecordStatus.CANCELLED)
    run_crosscheck(by=None, **week())
    rates = {r.code: r for r in discovery_rates(**week())}
    assert (rates[UNIT_A1].records, rates[UNIT_A1].matched) == (3, 2)
    assert (rates[UNIT_A2].records, rates[UNIT_A2].matched) == (1, 0)
    assert (rates[VILLAGE_A].records, rates[VILLAGE_A].matched) == (4, 2)
    assert rates[VILLAGE_A].rate == 0.5
    assert rates[UNIT_B2].rate is None  # a cancelled record does not count
    town_code = town.town.code
    assert (rates[town_code].records, rates[town_code].matched) == (5, 2)


def test_command_prints_the_round_records_and_unit_grids(town, capsys):
    case = grid_case(town, at=NOON - dt.timedelta(hours=1))
    record("R1")
    record("R2", grid=UNIT_B1)
    call_command("crosscheck", "--from", "2026-03-02", "--to", "2026-03-08", "--json")
    body = json.loads(capsys.readouterr().out)
    assert body["round"] == 1
    assert {(r["external_number"], r["grid"], r["matched_case"]) for r in body["records"]} == {
        ("R1", UNIT_A1, case.pk),
        ("R2", UNIT_B1, None),
    }
    grids = {g["code"]: g for g in body["grids"]}
    assert set(grids) == {UNIT_A1, UNIT_A2, UNIT_B1, UNIT_B2}
    assert grids[UNIT_A1] == {"code": UNIT_A1, "records": 1, "matched": 1, "discovery_rate": 1.0}
    assert grids[UNIT_B1]["discovery_rate"] == 0.0
    assert grids[UNIT_A2]["discovery_rate"] is None


def test_weekly_round_runs_once_per_week(town):
    today = dt.date(2026, 3, 11)
    assert last_week(today) == (MONDAY, MONDAY + dt.timedelta(days=6))
    record("R1")
    made = run_weekly_round(today=today)
    assert made is not None
    assert made.weekly
    assert run_weekly_round(today=today + dt.timedelta(days=1)) is None
    assert CrosscheckRound.objects.count() == 1


def test_a_rejected_grid_case_does_not_count(town):
    case = grid_case(town, at=NOON - dt.timedelta(hours=1))
    Case.objects.filter(pk=case.pk).update(state=CaseState.REJECTED)
    rec = record("R1")
    run_crosscheck(by=None, **week())
    assert not CrosscheckResult.objects.get(record=rec).matched


def test_an_operator_runs_a_round_and_a_worker_may_not(town):
    record("R1")
    with pytest.raises(PermissionDenied):
        run_crosscheck(by=town.user("worker_a1"), **week())
    made = run_crosscheck(by=town.user("village_a"), **week())
    assert made.records == 1


def test_the_scheduler_enqueues_the_weekly_round_and_the_worker_runs_it(town, run_task_queue):
    import time_machine

    from gridgov.core.management.commands import scheduler
    from gridgov.hotline.tasks import weekly_crosscheck

    assert "gridgov.hotline.tasks.weekly_crosscheck" in {e.path for e in scheduler.load_schedule()}
    record("R1")
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        weekly_crosscheck.enqueue()
        weekly_crosscheck.enqueue()
        assert run_task_queue() == 2
    made = CrosscheckRound.objects.get()
    assert (made.period_start, made.records) == (MONDAY, 1)
