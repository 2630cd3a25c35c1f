"""The pages added in stop 9 looked at together (review rqa): each for the role that uses it, at
1366 and 375 px, in Chinese and English. Every page answers without a browser error, has a visible
h1 and a title, and at 375 px the document is no wider than the screen (wide tables fold into
cards or scroll inside their wrapper). Screenshots go to test-artifacts/screenshots/stop9-*.png
for a person to look at."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gridgov.core.testing.town import INSIDE, UNIT_A1, Town

pytestmark = pytest.mark.browser

OFFICE_PAGES = [
    "/command/",
    "/fieldwork/monitoring/",
    "/fieldwork/compliance/",
    "/fieldwork/diaries/",
    "/fieldwork/attendance/",
    "/fieldwork/attendance/worker_a1/",
    "/fieldwork/leave/",
    "/fieldwork/duty/",
    "/fieldwork/campaigns/",
    "/fieldwork/campaigns/{campaign}/",
    "/fieldwork/hazards/",
    "/fieldwork/hazards/{hazard}/",
    "/fieldwork/safety/plan/",
    "/reports/statistics/",
    "/reports/ledgers/",
]
PHONE_PAGES = ["/m/patrol/", "/m/diary/", "/m/check-in/", "/m/inspect/"]
HTML_LANG = {"zh-hans": "zh-CN", "en": "en"}
ROLE_PAGES = [("town_office", OFFICE_PAGES), ("worker_a1", PHONE_PAGES)]


def _some_field_work() -> dict[str, int]:
    """A hazard, a campaign over the town, a leave and a duty shift: enough for every list to
    show a row and for the detail pages to exist."""
    from gridgov.fieldwork.models import DutyShift, Leave, LeaveKind
    from gridgov.fieldwork.safety import services
    from gridgov.fieldwork.services import LOCAL_TZ

    town = Town()
    office = town.user("town_office")
    hazard = services.report_hazard(
        by=town.user("worker_a1"),
        grid=town.a1,
        description="疏散通道堆放杂物",
        source="patrol",
    )
    campaign = services.create_campaign(
        by=office,
        title="燃气安全专项排查",
        items=["餐饮场所燃气报警器", "液化气瓶存放"],
        grids=[town.town],
        deadline=timezone.localdate() + dt.timedelta(days=5),
    )
    today = timezone.localdate()
    Leave.objects.create(
        user=town.user("worker_a1"),
        kind=LeaveKind.ANNUAL,
        starts_on=today + dt.timedelta(days=3),
        ends_on=today + dt.timedelta(days=4),
        recorded_by=office,
    )
    start = dt.datetime.combine(today, dt.time(0, 0), tzinfo=LOCAL_TZ)
    DutyShift.objects.create(
        user=town.user("village_a"),
        grid=town.village_a,
        starts_at=start,
        ends_at=start + dt.timedelta(days=1),
        note="白班",
    )
    return {"campaign": campaign.pk, "hazard": hazard.pk}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_stop9_pages_fit_and_answer_at_both_widths(
    open_page: Any, site: str, shot: Any, language: str
) -> None:
    ids = _some_field_work()
    for user, paths in ROLE_PAGES:
        for width in (1366, 375):
            w = open_page(
                user,
                viewport="phone" if width == 375 else "desktop",
                geolocation=INSIDE[UNIT_A1],
                locale="zh-CN" if language == "zh-hans" else "en-US",
            )
            w.context.add_cookies([{"name": "django_language", "value": language, "url": site}])
            page = w.page
            page.set_viewport_size({"width": width, "height": 740})
            for path in paths:
                url = path.format(**ids)
                response = page.goto(url)
                assert response is not None, url
                assert response.status == 200, f"{url}: {response.status}"
                page.wait_for_load_state("load")
                assert page.locator("html").get_attribute("lang") == HTML_LANG[language], url
                assert page.title().strip(), f"{url} has no title"
                assert page.locator("h1").first.is_visible(), f"{url} has no visible h1"
                if width == 375:
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    assert wide <= 375, f"{url} is {wide}px wide at 375px ({language})"
                # Detail pages are named "one", not by id, so each run overwrites its shots.
                name = path.format(campaign="one", hazard="one").strip("/").replace("/", "-")
                shot(page, f"stop9-{name}-{width}-{language}")
            w.context.close()
