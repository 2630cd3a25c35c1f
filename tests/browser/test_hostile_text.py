"""Text typed by anyone (an anonymous resident's case title, a grid name imported from a file)
is shown as text on every page that carries it, never run as HTML: the case page's map
tooltip, the command centre's marker popups, grid labels, grid card, grid finder and chart
tooltips, the queues, the inbox, the phone pages, the phone's outbox and the public board."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.cases.models import Case, Channel
from gridgov.cases.services.intake import report_case
from gridgov.core.testing.town import INSIDE, UNIT_A1, Town

pytestmark = pytest.mark.browser

# Each sets a flag if it ever runs; the image would also fail to load (a console error).
TITLE = '<img src=x onerror="window.__xss=1">路灯<b>坏了</b>'
GRID = "<svg onload=__xss=2>一格"  # short enough for its label to be drawn
OUTBOX = '<img src=y onerror="window.__xss=3">离线描述'


def hostile_case() -> Case:
    from gridgov.core.notify import notify
    from gridgov.grids.models import Grid
    from gridgov.grids.services import update_grid

    town = Town()
    update_grid(Grid.objects.get(code=UNIT_A1), name=GRID, by=town.user("admin"))
    lon, lat = INSIDE[UNIT_A1]
    case = report_case(
        by=None,
        channel=Channel.RESIDENT,
        title=TITLE,
        description=TITLE,
        lon=lon,
        lat=lat,
        idempotency_key="0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    ).case
    assert case.title == TITLE
    for username in ("village_a", "worker_a1"):
        notify(
            user=town.user(username), kind="urge", title=f"催办:{TITLE}", url=f"/cases/{case.pk}/"
        )
    return case


def safe(page: Any, where: str) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined", where


def test_hostile_titles_and_grid_names_show_as_text_everywhere(open_page: Any, shot: Any) -> None:
    case = hostile_case()

    # The case page: the map tooltip of the case's point.
    w = open_page("village_a")
    page = w.page
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_selector("#case-map[data-ready='1']")
    page.hover("#case-map path.leaflet-interactive")
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert tooltip.inner_text() == '<img src=x onerror="window.__xss=1">路灯<b>坏了</b>'
    assert page.locator("h1").first.inner_text() == TITLE
    safe(page, "case page")

    # The queue, the inbox.
    page.goto("/queues/to_accept/")
    assert TITLE in page.locator("table.data").inner_text()
    safe(page, "queue")
    page.goto("/inbox/")
    assert f"催办:{TITLE}" in page.locator("[data-inbox]").inner_text()
    safe(page, "inbox")

    # The command centre of the village: marker popup, finder, card, label, chart tooltip.
    page.goto("/command/")
    page.wait_for_selector("#command-centre[data-figures='1']")
    page.evaluate(
        """() => Object.values(window.gridgovCommand.map._layers)
             .filter(l => l.gridgovMarker).forEach(l => l.fire("click", {}, true))"""
    )
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert TITLE in popup.inner_text()
    safe(page, "marker popup")
    options = page.evaluate(
        "Array.from(document.querySelectorAll('#cc-find-list option')).map(o => o.value)"
    )
    assert f"{GRID} {UNIT_A1}" in options
    page.get_by_label("查找网格").fill(f"{GRID} {UNIT_A1}")
    page.get_by_label("查找网格").press("Enter")
    card = page.locator(f"#grid-card [data-grid-card='{UNIT_A1}']")
    card.wait_for()
    assert GRID in card.locator("h2").inner_text()
    assert TITLE in card.inner_text()
    safe(page, "grid card")
    page.locator("#cc-levels input[type=radio]").last.check()  # the unit grids
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.grid-label')).some(l => l.textContent.includes('<svg'))"
    )
    safe(page, "grid label")
    for chart in ("chart-units", "chart-by-state", "chart-per-day"):
        page.evaluate(
            """id => echarts.getInstanceByDom(document.getElementById(id))
                 .dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0})""",
            chart,
        )
    tip = page.locator("#chart-units div").filter(has_text="一格").last
    tip.wait_for()
    assert GRID in tip.inner_text()
    safe(page, "chart tooltip")
    shot(page, "hostile-command-centre-desktop")

    # The public board of the grid.
    page.goto(f"/board/{UNIT_A1}/")
    assert GRID in page.locator(".board-sheet .bs-head").inner_text()
    safe(page, "board")

    # The worker's phone: tasks, map popup, inbox, and the outbox list of a report kept offline.
    w = open_page("worker_a1", viewport="phone", geolocation=INSIDE[UNIT_A1])
    phone = w.page
    phone.goto("/m/tasks/")
    assert TITLE in phone.locator("main").inner_text()
    safe(phone, "phone tasks")
    phone.goto("/m/map/")
    phone.wait_for_selector("#phone-map[data-ready='1']")
    phone.evaluate(
        """() => { const el = document.getElementById('phone-map');
             document.querySelectorAll('#phone-map path.leaflet-interactive')
               .forEach(p => p.dispatchEvent(new MouseEvent('click', {bubbles: true}))); }"""
    )
    phone.locator(".leaflet-popup-content").wait_for()
    assert TITLE in phone.locator(".leaflet-popup-content").inner_text()
    safe(phone, "phone map")
    phone.goto("/m/report/")
    phone.wait_for_selector("#report-form[data-has-position='1']")
    w.context.set_offline(True)
    phone.get_by_label("问题描述").fill(OUTBOX)
    phone.get_by_role("button", name="上报", exact=True).click()
    phone.wait_for_selector("#outbox[data-pending='1']")
    assert OUTBOX in phone.locator("#outbox").inner_text()
    safe(phone, "outbox")
    shot(phone, "hostile-outbox-375")
    w.context.set_offline(False)
    phone.locator("#sent-list a").wait_for()
    assert (
        phone.locator("#sent-list a").inner_text() == OUTBOX[:30]
        or OUTBOX[:10] in phone.locator("#sent-list").inner_text()
    )
    safe(phone, "sent list")
