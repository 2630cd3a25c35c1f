"""The demo's hotline data on the test cast's town with the demo cases: a 12345 source with its
mapping, sixteen weekly rounds numbered 1–16 over the calls, every call that repeats a worker's
patrol report found by the grid, the rest 未主动发现 with tasks in every state, unclassified
calls with the classifier's suggestion, last quarter's tier proposal with one confirmed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from types import SimpleNamespace

import pytest
from django.utils import timezone

from gridgov.cases.models import Channel
from gridgov.core.testing.town import TOWN_CODE
from gridgov.demo.cases import seed_demo_cases
from gridgov.grids.models import Grid
from gridgov.hotline import demo
from gridgov.hotline.models import (
    BacktraceTask,
    CrosscheckResult,
    CrosscheckRound,
    HotlineRecord,
    HotlineSource,
    RecordStatus,
    TextModel,
    TierProposal,
    TierProposalState,
)
from gridgov.hotline.services import hotline_kpis
from gridgov.hotline.services.crosscheck import discovery_rates
from gridgov.hotline.services.tiers import last_quarter


@pytest.fixture
def seeded(town):
    summary = SimpleNamespace(root_code=TOWN_CODE)
    seed_demo_cases(summary=summary, by=town.user("admin"))
    return demo.seed_demo_hotline(summary=summary, by=town.user("admin"))


@pytest.mark.slow
def test_the_demo_imports_calls_and_runs_sixteen_numbered_weekly_rounds(seeded):
    source = HotlineSource.objects.get(name="12345")
    assert '"其他"' in source.mapping_text
    assert source.mapping["columns"]["status"] == "工单状态"
    others = demo.WEEKS * demo.OTHER_PER_WEEK
    assert seeded.records == seeded.echoes + others + demo.UNCLASSIFIED
    assert HotlineRecord.objects.count() == seeded.records
    assert seeded.echoes >= 10
    rounds = list(CrosscheckRound.objects.order_by("number"))
    assert [r.number for r in rounds] == list(range(1, 17))
    assert all(r.weekly and r.period_start.weekday() == 0 for r in rounds)
    assert all(
        b.period_start - a.period_end == dt.timedelta(days=1)
        for a, b in zip(rounds, rounds[1:], strict=False)
    )
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    assert rounds[-1].period_end == monday - dt.timedelta(days=1)
    # Every counted call received before this week is in exactly one round.
    first = timezone.make_aware(dt.datetime.combine(monday, dt.time(0, 0)))
    counted = HotlineRecord.objects.counted().filter(received_at__lt=first).count()
    assert sum(r.records for r in rounds) == counted == CrosscheckResult.objects.count()


@pytest.mark.slow
def test_calls_repeating_a_patrol_report_are_found_and_the_rest_get_tasks(seeded):
    results = CrosscheckResult.objects.select_related("record", "case")
    echoes = [r for r in results if r.record.external_number in seeded.echo_numbers]
    assert len(echoes) >= 10
    for result in echoes:
        assert result.matched, result.record.external_number
        assert result.case.channel == Channel.PATROL
        # The latest grid case of the item answers, which may be a later report than the one
        # the call repeats.
        assert 0 < result.minutes_before <= 46 * 60
    matched = sum(1 for r in results if r.matched)
    assert 0 < matched < len(results)
    unmatched_in_grids = sum(1 for r in results if not r.matched and r.grid_id)
    assert BacktraceTask.objects.count() == seeded.tasks == unmatched_in_grids
    states = Counter(BacktraceTask.objects.values_list("state", flat=True))
    assert set(states) == {"open", "explained", "corrected", "accepted"}
    assert BacktraceTask.objects.filter(state="open").exclude(answer="").count() == 1  # sent back
    rate = next(
        r
        for r in discovery_rates(
            start=CrosscheckRound.objects.get(number=1).period_start,
            end=CrosscheckRound.objects.get(number=16).period_end,
        )
        if r.code == TOWN_CODE
    )
    in_grids = [r for r in results if r.grid_id]
    assert (rate.records, rate.matched) == (len(in_grids), sum(r.matched for r in in_grids))


@pytest.mark.slow
def test_unclassified_calls_carry_a_suggestion_and_kpis_have_late_and_rated_calls(seeded):
    model = TextModel.objects.get()
    assert model.samples >= 100
    assert model.cv_accuracy is not None
    unclassified = HotlineRecord.objects.filter(item__isnull=True)
    assert unclassified.count() == seeded.unclassified == demo.UNCLASSIFIED
    assert not unclassified.filter(suggested_item__isnull=True).exists()
    assert all(0 < c <= 1 for c in unclassified.values_list("suggestion_confidence", flat=True))
    first = HotlineRecord.objects.order_by("received_at").first().received_at
    k = hotline_kpis(HotlineRecord.objects.all(), start=first, end=timezone.now())
    statuses = Counter(HotlineRecord.objects.values_list("status", flat=True))
    assert k.received == seeded.records - statuses[RecordStatus.CANCELLED]
    assert 0 < k.closed_on_time < k.closed < k.received
    assert 0.6 < k.closed_on_time / k.closed < 0.9
    assert 0.85 < k.satisfaction_rate < 0.99
    assert statuses[RecordStatus.OPEN] > 0


@pytest.mark.slow
def test_last_quarter_is_proposed_with_one_grid_confirmed_and_a_second_call_adds_nothing(
    seeded, town
):
    quarter = last_quarter(timezone.localdate())
    proposals = TierProposal.objects.filter(quarter=quarter)
    root = Grid.objects.get(code=TOWN_CODE)
    units = Grid.objects.active().leaves().filter(path__startswith=root.path).count()
    assert proposals.count() == seeded.proposals == units
    confirmed = proposals.get(state=TierProposalState.CONFIRMED)
    assert confirmed.grid.tier == confirmed.proposed_tier
    records = HotlineRecord.objects.count()
    summary = SimpleNamespace(root_code=TOWN_CODE)
    assert demo.seed_demo_hotline(summary=summary, by=town.user("admin")) is None
    assert HotlineRecord.objects.count() == records


@pytest.mark.slow
def test_demo_reset_clears_the_hotline_data_so_a_rebuild_numbers_from_one(seeded, town):
    demo.clear_hotline()
    assert not CrosscheckRound.objects.exists()
    assert not HotlineSource.objects.exists()
    again = demo.seed_demo_hotline(
        summary=SimpleNamespace(root_code=TOWN_CODE), by=town.user("admin")
    )
    assert (again.records, again.echoes, again.tasks) == (
        seeded.records,
        seeded.echoes,
        seeded.tasks,
    )
    assert list(
        CrosscheckRound.objects.order_by("number").values_list("number", flat=True)
    ) == list(range(1, 17))
