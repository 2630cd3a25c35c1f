"""The office replays a worker's patrol day on the monitoring page."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.core.testing.town import Town
from gridgov.fieldwork.tests.test_daily import patrol

pytestmark = pytest.mark.browser


def test_monitoring_page_replays_a_workers_day(open_page: Any, shot: Any) -> None:
    patrol(Town(), "worker_a1", "2026-05-12")
    w = open_page("town_office")
    page = w.page
    page.goto("/fieldwork/monitoring/?date=2026-05-12&user=worker_a1")
    page.wait_for_selector("#replay-map[data-ready='1']")
    assert "0.71 km" in page.locator("#replay-summary").inner_text()
    page.locator("#replay-slider").fill("59")
    assert page.locator("#replay-time").inner_text() == "09:09:50"
    flagged = page.locator("tr[data-user='worker_b1'] [data-flag='no_patrol']")
    assert flagged.count() == 1
    shot(page, "fieldwork-monitoring-desktop")
