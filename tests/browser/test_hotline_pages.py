"""The hotline pages in a browser: the import page, the discovery page with its ECharts trend
over two rounds, and a round's detail, at desktop and phone size, with no browser errors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gridgov.cases.models import Case, Channel, MatterItem
from gridgov.cases.services.intake import report_case
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_A2, UNIT_B1, Town
from gridgov.grids.models import Grid
from gridgov.hotline.models import HotlineRecord, HotlineSource, RecordStatus
from gridgov.hotline.services.crosscheck import run_crosscheck

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 3, 2)


def seed(town: Town) -> None:
    source = HotlineSource.objects.create(name="s12345", mapping_text="[columns]\n")
    noise = MatterItem.objects.get(code="0404")
    for week in range(2):
        start = MONDAY + dt.timedelta(days=7 * week)
        noon = dt.datetime.combine(start + dt.timedelta(days=2), dt.time(12), tzinfo=SHANGHAI)
        for n, grid in enumerate([UNIT_A1, UNIT_A2, UNIT_B1]):
            if week == 1 or n == 0:
                case = report_case(
                    by=town.user("worker_a1" if grid != UNIT_B1 else "worker_b1"),
                    channel=Channel.PATROL,
                    description="夜间施工噪音",
                    item=noise,
                    lon=INSIDE[grid][0],
                    lat=INSIDE[grid][1],
                ).case
                Case.objects.filter(pk=case.pk).update(created_at=noon - dt.timedelta(hours=3))
            HotlineRecord.objects.create(
                source=source,
                external_number=f"W{week}-{n}",
                received_at=noon,
                item=noise,
                status=RecordStatus.CLOSED,
                lon=INSIDE[grid][0],
                lat=INSIDE[grid][1],
                grid=Grid.objects.get(code=grid),
            )
        run_crosscheck(start=start, end=start + dt.timedelta(days=6), by=None)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_hotline_pages_render_without_errors(open_page: Any, shot: Any, viewport: str) -> None:
    seed(Town())
    watched = open_page("town_office", viewport=viewport)
    page = watched.page
    page.goto("/hotline/import/")
    page.locator("#import-form").wait_for()
    shot(page, f"hotline-import-{viewport}")
    page.goto("/hotline/discovery/?start=2026-03-01&end=2026-03-31")
    page.locator("#trend-chart canvas").wait_for()
    assert page.locator("#rounds tbody tr").count() == 2
    shot(page, f"hotline-discovery-{viewport}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1
    page.locator("#rounds a").first.click()
    page.locator("#results").wait_for()
    assert page.locator("#results tbody tr").count() == 3
    shot(page, f"hotline-round-{viewport}")
