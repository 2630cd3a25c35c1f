"""The top bar's grouped menus (web/navigation.py, web/includes/nav.html, gridgov/nav.js): a
menu opens and closes by keyboard, says so with aria-expanded, shows the sum of its queues (red
when an alert queue waits), the current page's menu is marked, and on a phone the whole bar
folds behind one 菜单 button. Screenshots of four roles at 1366 and 375 px in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROLES = ("town_office", "leader", "env_handler", "admin")


@pytest.mark.usefixtures("three_patrol_reports")
def test_menus_work_by_keyboard_and_sum_their_queues(open_page: Any, shot: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    from gridgov.cases import services
    from gridgov.cases.models import Case
    from gridgov.core.testing.town import Town

    # One of the village's reports escalated to the town, its step time limit passed: it waits
    # in the office's to-dispatch queue and in the (red) late-steps queue.
    town = Town()
    case = Case.objects.filter(grid__code__startswith=town.village_a.code).first()
    assert case is not None
    case = services.accept_case(case=case, by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="需镇里派遣")
    Case.objects.filter(pk=case.pk).update(step_due_at=timezone.now() - dt.timedelta(hours=2))
    w = open_page("town_office")
    page = w.page
    page.goto("/queues/to_accept/")
    cases = page.locator("[data-group='cases']")
    summary = cases.locator("summary")
    # The current page's menu is marked; its entry carries aria-current inside it.
    assert "current" in (cases.get_attribute("class") or "")
    assert cases.locator("a[aria-current='page']").get_attribute("data-nav") == "queue:to_accept"
    counts = cases.locator(".nav-menu [data-count]").all_text_contents()
    total = sum(int(text.split()[-1]) for text in counts)
    assert len(counts) == 8  # the office's eight queues
    assert total >= 2  # to dispatch, late steps
    badge = page.locator("[data-group-count='cases']")
    assert badge.inner_text().split()[-1] == str(total)
    assert cases.locator(".nav-menu .count.hot[data-count='queue:late_steps']").count() == 1
    assert "hot" in (badge.get_attribute("class") or "")

    expect(summary).to_have_attribute("aria-expanded", "false")
    summary.focus()
    page.keyboard.press("Enter")
    expect(summary).to_have_attribute("aria-expanded", "true")
    assert cases.locator(".nav-menu").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.nav") == "queue:to_accept"
    shot(page, "nav-menu-open-1366", full_page=False)
    page.keyboard.press("Escape")
    expect(summary).to_have_attribute("aria-expanded", "false")
    expect(cases.locator(".nav-menu")).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.navGroup") == "cases"

    # Opening another menu closes the first; a click elsewhere closes it too.
    summary.click()
    page.locator("[data-group='oversight'] summary").click()
    expect(summary).to_have_attribute("aria-expanded", "false")
    assert page.locator("[data-group='oversight'] a[data-nav='hotline']").is_visible()
    page.mouse.click(700, 650)
    expect(page.locator("details[open]")).to_have_count(0)

    page.locator("[data-group='registry'] summary").click()
    page.locator("a[data-nav='people']").click()
    page.wait_for_url(lambda url: "/people/" in url)
    assert "current" in (page.locator("[data-group='registry']").get_attribute("class") or "")


def test_without_javascript_the_menus_still_open(browser: Any, site: str, login_as: Any) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1366, "height": 768}, base_url=site
    )
    try:
        login_as(context, "town_office")
        page = context.new_page()
        page.goto("/command/")
        assert page.locator(".mainnav-toggle").is_hidden()
        page.locator("[data-group='reports'] summary").click()
        link = page.locator("a[data-nav='statistics']")
        assert link.is_visible()
        link.click()
        page.wait_for_url(lambda url: "statistics" in url)
    finally:
        context.close()


@pytest.mark.usefixtures("three_patrol_reports")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_bar_of_each_role_at_1366_and_375(
    open_page: Any, site: str, shot: Any, language: str
) -> None:
    for user in ROLES:
        w = open_page(user, locale="zh-CN" if language == "zh-hans" else "en-US")
        w.context.add_cookies([{"name": "django_language", "value": language, "url": site}])
        page = w.page
        page.set_viewport_size({"width": 1366, "height": 700})
        page.goto("/")
        bar = page.locator(".mainnav").bounding_box()
        assert bar is not None
        assert bar["height"] < 60, f"{user}: the bar fits one row"  # flat, it took three
        first = page.locator(".mainnav summary").first
        first.click()
        shot(page, f"nav-{user}-1366-{language}", full_page=False)
        first.click()

        page.set_viewport_size({"width": 375, "height": 740})
        page.goto("/")
        toggle = page.locator(".mainnav-toggle")
        assert toggle.is_visible()
        assert page.locator(".mainnav-groups").is_hidden()
        toggle.click()
        assert page.locator(".mainnav-groups").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        shot(page, f"nav-{user}-375-{language}", full_page=False)
