"""The command centre and the phone report page in English, as the browser draws them: map
controls, legends, chart legends and ECharts' own descriptions, the category picker and the
outbox. What is left in Chinese is the town's data (grid, department and matter names)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")


def chinese_outside_data(text: str) -> list[str]:
    from gridgov.web.tests.test_english import town_data

    for value in town_data():
        text = text.replace(value, " ")
    return CJK.findall(text)


@pytest.mark.usefixtures("three_patrol_reports")
def test_command_centre_in_english(open_page: Any, site: str, shot: Any) -> None:
    w = open_page("town_office", locale="en-US")
    w.context.add_cookies([{"name": "django_language", "value": "en", "url": site}])
    page = w.page
    page.goto("/command/")
    page.wait_for_selector("#cc-map[data-ready='1']")
    page.wait_for_selector("#command-centre[data-figures='1']")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Command centre").count() == 1
    assert page.get_by_label("Matter class", exact=True).count() == 1
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoom in"
    assert "Automatic by zoom" in page.locator("#command-centre").inner_text()
    assert chinese_outside_data(page.locator("body").inner_text()) == []
    # ECharts describes each chart for screen readers in its own words: English here.
    described = page.locator("#chart-by-state").get_attribute("aria-label")
    assert described is not None
    assert "chart" in described.lower()
    assert chinese_outside_data(described) == []
    shot(page, "command-centre-desktop-en")


def test_phone_report_page_in_english(open_page: Any, site: str, shot: Any) -> None:
    from gridgov.core.testing.town import INSIDE, UNIT_A1

    w = open_page("worker_a1", locale="en-US", viewport="phone", geolocation=INSIDE[UNIT_A1])
    w.context.add_cookies([{"name": "django_language", "value": "en", "url": site}])
    page = w.page
    page.goto("/m/report/")
    page.wait_for_selector("#pos-map.leaflet-container")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_function("() => document.body.innerText.indexOf('Located') >= 0")
    assert page.get_by_label("Description of the problem").count() == 1
    assert chinese_outside_data(page.locator("body").inner_text()) == []
    shot(page, "phone-report-375-en")


# Navigation entries drawn outside the window: scrolled out of a sideways-scrolling bar or cut
# at its edge. The menus' titles (and one-entry links) have to stay in sight, whatever the width
# and the language, and so does every link of a menu once it is opened.
NAV_OUT_OF_SIGHT = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter(a => { const r = a.getBoundingClientRect();
    return r.width === 0 || r.left < 0 || r.right > document.documentElement.clientWidth; })
  .map(a => a.innerText.replace(/\\s+/g, ' '))"""
NAV_TOP = ".mainnav-groups > li > a, .mainnav-groups > li > details > summary"


@pytest.mark.usefixtures("three_patrol_reports")
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_navigation_link_is_in_sight(
    open_page: Any, site: str, shot: Any, language: str
) -> None:
    w = open_page("admin", locale="en-US" if language == "en" else "zh-CN")
    w.context.add_cookies([{"name": "django_language", "value": language, "url": site}])
    page = w.page
    for width in (375, 1024, 1366, 1920):
        page.set_viewport_size({"width": width, "height": 768})
        page.goto("/")
        assert page.locator(".mainnav a").count() >= 12  # admin: every queue, boards, admin
        toggle = page.locator(".mainnav-toggle")
        if width < 641:
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
        else:
            assert toggle.is_hidden()
        assert page.evaluate(NAV_OUT_OF_SIGHT, NAV_TOP) == [], f"{language} at {width}px"
        summaries = page.locator(".mainnav summary")
        assert summaries.count() >= 5
        for i in range(summaries.count()):
            group = summaries.nth(i).get_attribute("data-nav-group")
            menu = summaries.nth(i).locator("xpath=..")
            menu.evaluate("d => { d.open = true; }")
            expect(summaries.nth(i)).to_have_attribute("aria-expanded", "true")
            links = f"[data-group='{group}'] .nav-menu a"
            assert page.locator(links).count() >= 1
            assert page.evaluate(NAV_OUT_OF_SIGHT, links) == [], f"{group} at {width}px"
            menu.evaluate("d => { d.open = false; }")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/")
    shot(page, f"nav-1366-{language}", full_page=False)


@pytest.mark.usefixtures("three_patrol_reports")
def test_queue_card_shows_a_late_steps_badge_on_a_phone(
    open_page: Any, site: str, shot: Any
) -> None:
    """The step time limit wraps on a 375px card, so the "Late" badge after it stays visible."""
    import datetime as dt

    from django.utils import timezone

    from gridgov.cases import services
    from gridgov.cases.models import Case
    from gridgov.core.testing.town import Town

    town = Town()
    case = Case.objects.filter(grid__code__startswith=town.village_a.code).first()
    assert case is not None
    case = services.accept_case(case=case, by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="需镇里派遣")
    Case.objects.filter(pk=case.pk).update(step_due_at=timezone.now() - dt.timedelta(hours=2))
    w = open_page("town_office", locale="en-US", viewport="phone")
    w.context.add_cookies([{"name": "django_language", "value": "en", "url": site}])
    page = w.page
    page.goto("/queues/to_dispatch/")
    badge = page.locator("table.data td .badge.overdue", has_text="Late").first
    box = badge.bounding_box()
    assert box is not None
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= 375 - 12, box  # inside the card
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "queue-to-dispatch-375-en")
