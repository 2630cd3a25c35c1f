"""The demo's cases, replayed on the test cast's town: seed 004's closure split, every open
state, events in order and in the past, and a second call that adds nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from types import SimpleNamespace

import pytest
from django.utils import timezone

from gridgov.cases.models import Case, CaseEvent, CaseState, EventKind
from gridgov.core.testing.town import TOWN_CODE
from gridgov.demo.cases import CLOSED_SPLIT, seed_demo_cases

S = CaseState


@pytest.mark.slow
def test_demo_cases_follow_seed_004_and_fill_every_queue(town):
    today = timezone.localdate()
    result = seed_demo_cases(
        summary=SimpleNamespace(root_code=TOWN_CODE), by=town.user("admin"), today=today
    )
    assert result.closed_by_level == {str(k): v for k, v in CLOSED_SPLIT.items()}
    assert sum(result.closed_by_level.values()) == 288
    states = Counter(Case.objects.values_list("state", flat=True))
    for state in (
        S.REPORTED,
        S.ACCEPTED,
        S.DISPATCHED,
        S.HANDLING,
        S.RETURNED,
        S.FED_BACK,
        S.VERIFIED,
        S.CLOSED,
        S.CALLED_BACK,
        S.REJECTED,
        S.MERGED,
    ):
        assert states[state] > 0, state
    kinds = Counter(CaseEvent.objects.values_list("kind", flat=True))
    for kind in (
        EventKind.RETURN,
        EventKind.REWORK,
        EventKind.EXTEND,
        EventKind.URGE,
        EventKind.CO_DISPATCH,
        EventKind.REOPEN,
        EventKind.OVERDUE,
        EventKind.TRANSFER,
    ):
        assert kinds[kind] > 0, kind
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time(0, 0)))
    sweep_kinds = {EventKind.WARN, EventKind.OVERDUE, EventKind.STEP_WARN, EventKind.STEP_OVERDUE}
    assert not CaseEvent.objects.exclude(kind__in=sweep_kinds).filter(at__gte=midnight).exists()
    assert CaseEvent.objects.filter(at__lt=midnight - dt.timedelta(days=91)).count() == 0
    for case in Case.objects.prefetch_related("events"):
        moments = [e.at for e in case.events.all() if e.kind not in sweep_kinds]
        assert moments == sorted(moments), case.pk
    overdue_closures = Case.objects.filter(closure_type="overdue").count()
    assert 0 < overdue_closures < 120
    again = seed_demo_cases(
        summary=SimpleNamespace(root_code=TOWN_CODE), by=town.user("admin"), today=today
    )
    assert again.created == result.created
