"""The statistics page in a browser: its ECharts drawn from the engine's figures, drill-down
from the town to a village and a grid, the ledgers page and the printable case ledger, at desktop
and phone size, with no browser errors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gridgov.cases.models import Case, MatterItem, new_tracking_code
from gridgov.core.testing.town import UNIT_A1, VILLAGE_A, Town

pytestmark = pytest.mark.browser

SH = ZoneInfo("Asia/Shanghai")
MARCH = "start=2026-03-01&end=2026-03-31"


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=SH)


def seed(town: Town) -> None:
    items = list(MatterItem.objects.filter(code__in=["0401", "0404", "0301"]))
    grids = [town.a1, town.a1, town.a2, town.b1, town.b2]
    for n in range(20):
        grid = grids[n % len(grids)]
        closed = at(5 + n % 20) if n % 3 else None
        Case.objects.create(
            state="closed" if closed else "handling",
            channel=["patrol", "resident", "hotline"][n % 3],
            tracking_code=new_tracking_code(),
            title="t",
            description="d",
            item=items[n % len(items)],
            urgency="ordinary",
            mode="coordinate",
            lon=grid.label_lon,
            lat=grid.label_lat,
            grid=grid,
            level="town",
            level_region=town.town.region,
            due_at=at(10 + n % 15),
            closed_at=closed,
            closed_level="village" if closed and n % 2 else ("town" if closed else ""),
            created_at=at(1 + n % 9),
        )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_statistics_pages_render_and_drill_down(open_page: Any, shot: Any, viewport: str) -> None:
    seed(Town())
    watched = open_page("town_office", viewport=viewport)
    page = watched.page
    page.goto(f"/reports/statistics/?{MARCH}")
    page.wait_for_function("() => document.documentElement.dataset.statsCharts === '6'")
    page.locator("#chart-areas canvas").wait_for()
    assert page.locator("[data-figure=reported]").inner_text() == "20"
    assert page.locator("#table-area tbody tr").count() == 2
    shot(page, f"reports-statistics-town-{viewport}")
    page.locator(f"#table-area a[href*='grid={VILLAGE_A}']").click()
    page.wait_for_function("() => document.documentElement.dataset.statsCharts === '6'")
    assert page.locator("#trail a").count() == 1
    assert page.locator("#table-area tbody tr").count() == 2
    shot(page, f"reports-statistics-village-{viewport}")
    page.locator(f"#table-area a[href*='grid={UNIT_A1}']").click()
    page.locator("#trail strong").wait_for()
    assert page.locator("[data-figure=reported]").inner_text() == "8"
    page.goto(f"/reports/ledgers/?{MARCH}")
    page.locator("#ledger-list").wait_for()
    assert page.locator("#ledger-list tbody tr").count() >= 5
    shot(page, f"reports-ledgers-{viewport}")
    page.goto(f"/reports/ledgers/cases/?{MARCH}")
    assert page.locator("#case-ledger tbody tr").count() == 20
    shot(page, f"reports-case-ledger-{viewport}")
    if viewport == "desktop":
        page.emulate_media(media="print")
        assert not page.locator("#ledger-form").is_visible()
        shot(page, "reports-case-ledger-print")
