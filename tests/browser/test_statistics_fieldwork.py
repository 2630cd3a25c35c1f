"""Field work on the statistics page in a browser (issue 13): its three charts drawn, the area
table drilled into, the trend switched to weeks, a figure opening the hazards page it counts, at
desktop and phone size and in English, with no browser errors."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.core.testing.town import VILLAGE_A, Town
from gridgov.reports.tests.test_stats_fieldwork_breakdowns import seed_field_march

pytestmark = pytest.mark.browser

MARCH = "start=2026-03-01&end=2026-03-31"
ALL_CHARTS = "() => document.documentElement.dataset.statsCharts === '6'"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_field_work_charts_drill_down_trend_and_links(
    open_page: Any, shot: Any, viewport: str
) -> None:
    seed_field_march(Town())
    page = open_page("town_office", viewport=viewport).page
    page.goto(f"/reports/statistics/?{MARCH}#field-work")
    page.wait_for_function(ALL_CHARTS)
    for chart in ("chart-field-areas", "chart-field-trend", "chart-hazard-state"):
        page.locator(f"#{chart} canvas").wait_for()
    area = page.locator("#field-table-area")
    assert area.locator("tbody tr").count() == 2
    assert area.locator("tfoot [data-figure=hazards_found]").inner_text() == "5"
    assert page.locator("#field-table-trend tbody tr").count() == 31
    folder = shot(page, f"reports-statistics-fieldwork-{viewport}").parent
    page.locator("#field-work").screenshot(path=str(folder / f"reports-field-{viewport}.png"))
    area.locator(f"a[href*='grid={VILLAGE_A}']").first.click()
    page.wait_for_function(ALL_CHARTS)
    assert page.locator("#trail a").count() == 1
    assert page.locator("#field-table-area tbody tr").count() == 2
    page.locator("#trend-units a", has_text="按周").click()
    page.locator("#field-trend details[open]").wait_for()
    page.wait_for_function(ALL_CHARTS)
    assert page.locator("#field-table-trend tbody tr").count() == 6
    page.locator("#field-work").screenshot(
        path=str(folder / f"reports-field-village-week-{viewport}.png")
    )
    page.locator("#field-by-hazard_grade a").first.click()
    page.locator("#hazard-count").wait_for()
    assert page.locator("#hazard-table tbody tr").count() == int(
        page.locator("#hazard-count").inner_text().split()[1]
    )


def test_field_work_section_in_english(open_page: Any, site: str, shot: Any) -> None:
    seed_field_march(Town())
    watched = open_page("town_office", locale="en-US")
    watched.context.add_cookies([{"name": "django_language", "value": "en", "url": site}])
    page = watched.page
    page.goto(f"/reports/statistics/?{MARCH}&trend=week")
    page.wait_for_function(ALL_CHARTS)
    section = page.locator("#field-work")
    assert "Field work statistics" in section.inner_text()
    assert "By week" in page.locator("#trend-units").inner_text()
    assert "基层工作" not in section.inner_text()
    folder = shot(page, "reports-statistics-fieldwork-en").parent
    section.screenshot(path=str(folder / "reports-field-en.png"))
    page.set_viewport_size({"width": 375, "height": 667})
    page.wait_for_timeout(300)
    section.screenshot(path=str(folder / "reports-field-en-phone.png"))
