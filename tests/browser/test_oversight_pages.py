"""The oversight pages in the browser: warnings with their colours, a bulletin, the ranking with
colour grades, a unit's trend chart, and warning colours on the command-centre map."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.browser

# Form controls without a label, an aria-label or aria-labelledby (as the page tour checks).
UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden' && !el.closest('[hidden]') && el.offsetParent !== null
    && !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 80))"""
SH = ZoneInfo("Asia/Shanghai")


def _case(town: Any, grid: Any, **fields: Any) -> Any:
    from gridgov.cases.models import Case, MatterItem, new_tracking_code

    return Case.objects.create(
        channel="patrol",
        tracking_code=new_tracking_code(),
        title="测试",
        description="测试",
        item=MatterItem.objects.get(code="0401"),
        urgency="ordinary",
        mode="coordinate",
        lon=grid.label_lon,
        lat=grid.label_lat,
        grid=grid,
        level="town",
        level_region=town.town.region,
        **fields,
    )


def seed_oversight() -> dict[str, Any]:
    from django.utils import timezone

    from gridgov.core.testing.town import Town
    from gridgov.oversight.models import WarningRule
    from gridgov.oversight.services import publish_run
    from gridgov.oversight.warnings import evaluate_warnings, issue_bulletin
    from gridgov.people.models import Post

    town = Town()
    Post.objects.update(started_on=dt.date(2025, 1, 1))
    office = town.user("town_office")
    now = timezone.now()
    for month, open_in_b1 in ((3, 1), (4, 2), (5, 0)):
        due = dt.datetime(2026, month, 10, 10, tzinfo=SH)
        _case(town, town.a1, state="closed", due_at=due, closed_at=due - dt.timedelta(days=1))
        for _n in range(open_in_b1):
            _case(town, town.b1, state="dispatched", due_at=due)
        publish_run(scheme_code="gbt30428", month=f"2026-{month:02d}", unit_kind="grid", by=office)
    WarningRule.objects.exclude(code="overdue_backlog").update(is_active=False)
    # Overdue now: A2 3 (blue), B1 2 + 3 from the months above (yellow), A1 8 (orange), B2 12 (red).
    for grid, n in ((town.a2, 3), (town.b1, 2), (town.a1, 8), (town.b2, 12)):
        for _n in range(n):
            _case(town, grid, state="dispatched", due_at=now - dt.timedelta(days=1))
    evaluate_warnings(now)
    bulletin = issue_bulletin(
        title="秸秆焚烧高发预警",
        level="orange",
        grid=town.town,
        situation="近一周多处露天焚烧秸秆。",
        measures="各村加强巡查,环保所每日督查。",
        deadline=timezone.localdate() + dt.timedelta(days=7),
        departments=[town.env, town.police],
        by=office,
    )
    return {"town": town, "bulletin": bulletin}


def test_oversight_pages(open_page: Any, shot: Any, three_patrol_reports: None) -> None:
    data = seed_oversight()
    town = data["town"]
    watched = open_page("town_office")
    page = watched.page
    page.goto("/oversight/warnings/")
    assert page.locator("#warnings tbody tr").count() == 4
    for colour in ("blue", "yellow", "orange", "red"):
        assert page.locator(f"#warnings .wl-{colour}").count() == 1
    assert page.locator("#bulletins tbody tr").count() == 1
    shot(page, "oversight-warnings")
    page.goto(f"/oversight/bulletins/{data['bulletin'].pk}/")
    assert page.locator("#recipients tbody tr").count() == 2
    shot(page, "oversight-bulletin")
    page.goto("/oversight/rankings/?scheme=gbt30428&unit=grid&month=2026-04")
    assert page.locator("#ranking tbody tr").count() == 4
    assert page.locator("#ranking .wl-red").count() == 0
    assert page.locator("#ranking .wl-yellow").count() == 1
    shot(page, "oversight-rankings")
    page.goto(f"/oversight/units/grid/{town.b1.code}/?scheme=gbt30428")
    page.wait_for_selector("#trend-chart canvas")
    assert page.locator("#trend-table tbody tr").count() == 3
    shot(page, "oversight-trend")
    page.goto("/command/")
    page.wait_for_function(
        "() => document.querySelectorAll('path.leaflet-interactive[fill=\"#f07d00\"]').length > 0"
    )
    shot(page, "oversight-command-map-warnings", full_page=False)
    from gridgov.people.models import Staff

    a1 = Staff.objects.get(user__username="worker_a1")
    page.goto(f"/oversight/people/{a1.pk}/")
    assert page.locator("#assessments").count() == 1
    shot(page, "oversight-person-file")
    for url in ("/oversight/warnings/", "/oversight/rankings/", "/oversight/appeals/"):
        page.goto(url)
        assert page.evaluate(UNLABELLED) == [], url
    phone = open_page("worker_a1", viewport="phone").page
    phone.goto(f"/oversight/bulletins/{data['bulletin'].pk}/")
    shot(phone, "oversight-bulletin-phone")
