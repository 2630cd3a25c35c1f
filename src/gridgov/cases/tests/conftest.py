"""Fixtures for the case tests: a fixed clock inside a loaded calendar year and a report helper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.cases.deadlines import forget_step_limits
from gridgov.cases.models import Case, Channel, MatterItem
from gridgov.cases.services import intake
from gridgov.core.testing.fixtures import clear_cache
from gridgov.core.testing.town import INSIDE, UNIT_A1

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning in a loaded calendar year: deadlines in tests are exact.
MONDAY = dt.datetime(2026, 6, 8, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def api_only_urls(settings):
    settings.ROOT_URLCONF = "gridgov.cases.tests.urls"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters live in the cache, step limits in a per-process copy: each test starts
    with neither (a test that edits the limits rolls them back, the copy would outlive it)."""
    clear_cache()
    forget_step_limits()
    yield
    clear_cache()
    forget_step_limits()


@pytest.fixture
def clock():
    """Time frozen at MONDAY (ticking), movable with clock.move_to(...)."""
    with time_machine.travel(MONDAY, tick=True) as traveller:
        yield traveller


@pytest.fixture
def item() -> Callable[[str], MatterItem]:
    def get(code: str) -> MatterItem:
        return MatterItem.objects.select_related("matter_class").get(code=code)

    return get


@pytest.fixture
def report(town, item) -> Callable[..., Case]:
    """`report(by="worker_a1", category="0401", ...)`: a case through the real intake service."""

    def make(by: str | None = "worker_a1", *, category: str | None = "0401", **kwargs: Any) -> Case:
        user = town.user(by) if by else None
        point = kwargs.pop("point", INSIDE[UNIT_A1])
        defaults: dict[str, Any] = {
            # Staff file patrol reports; residents report without an account.
            "channel": Channel.PATROL if by else Channel.RESIDENT,
            "description": "河边有企业偷排污水,气味刺鼻",
            "lon": point[0] if point else None,
            "lat": point[1] if point else None,
        }
        defaults.update(kwargs)
        result = intake.report_case(by=user, item=item(category) if category else None, **defaults)
        return Case.objects.get(pk=result.case.pk)

    return make
