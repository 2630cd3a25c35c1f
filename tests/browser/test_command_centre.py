"""The command centre draws the user's subtree: exactly one polygon per grid they may see."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.core.testing.town import UNIT_A1, UNIT_B1
from gridgov.grids.models import Grid

pytestmark = pytest.mark.browser


def visible_grid_count(username: str) -> int:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    return Grid.objects.visible_to(user).active().filter(boundary__isnull=False).count()


@pytest.mark.parametrize(
    ("username", "expected"), [("town_office", 7), ("village_a", 3), ("leader", 7)]
)
def test_map_draws_one_polygon_per_grid_of_the_subtree(
    open_page: Any, shot: Any, username: str, expected: int
) -> None:
    assert visible_grid_count(username) == expected
    w = open_page(username)
    w.page.goto("/command/")
    w.page.wait_for_selector("#cc-map[data-ready='1']")
    assert w.page.locator("#cc-map path.grid-shape").count() == expected
    assert w.page.locator("#cc-map").get_attribute("data-grid-count") == str(expected)
    w.page.wait_for_selector("#command-centre[data-figures='1']")
    if username == "town_office":
        shot(w.page, "command-centre-desktop")


def test_clicking_a_grid_opens_its_card(open_page: Any) -> None:
    w = open_page("town_office")
    w.page.goto("/command/")
    w.page.wait_for_selector("#cc-map[data-ready='1']")
    polygon = w.page.locator("#cc-map path.grid-level-2").first
    polygon.click()
    card = w.page.locator("#grid-card [data-grid-card]")
    card.wait_for()
    assert (
        "李娜" in card.inner_text()
        or "赵强" in card.inner_text()
        or "在岗人员" in card.inner_text()
    )


@pytest.mark.usefixtures("three_patrol_reports")
def test_filters_redraw_markers_tiles_and_charts_without_reloading(
    open_page: Any, shot: Any
) -> None:
    w = open_page("town_office")
    page = w.page
    page.goto("/command/")
    page.wait_for_selector("#command-centre[data-figures='1']")
    assert page.locator("#cc-map").get_attribute("data-markers") == "3"
    assert page.locator("[data-tile='reported']").inner_text() == "3"
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(lambda r: "/command/figures.json" in r.url):
        page.get_by_label("事项大类", exact=True).select_option(label="城市管理")
    page.wait_for_selector("#cc-map[data-markers='1']")
    page.wait_for_function(
        "() => document.querySelector(\"[data-tile='reported']\").textContent.trim() === '1'"
    )
    assert page.evaluate("window.__sameDocument") is True  # no page reload
    assert "matter_class=" in page.url

    page.get_by_label("查找网格").fill("小村第1网格 410182100202001")
    page.get_by_label("查找网格").press("Enter")
    page.locator("#grid-card [data-grid-card='410182100202001']").wait_for()
    assert "赵强" in page.locator("#grid-card").inner_text()


def test_the_grid_finder_takes_names_and_says_when_nothing_matches(
    open_page: Any, shot: Any
) -> None:
    w = open_page("town_office")
    page = w.page
    page.goto("/command/")
    page.wait_for_selector("#cc-map[data-ready='1']")
    finder = page.locator("#cc-find")
    result = page.locator("#cc-find-result")
    card = page.locator("#grid-card [data-grid-card]")

    finder.fill("王村第2网格")  # a full name, as people say it
    finder.press("Enter")
    card.wait_for()
    page.wait_for_function(
        "() => document.querySelector('#grid-card').innerText.includes('王村第2网格')"
    )
    assert result.is_hidden()

    finder.fill("第1网格")  # part of a name: the matching grids are offered
    finder.press("Enter")
    result.wait_for()
    offered = result.locator("[data-grid]")
    assert offered.count() == 2
    assert {offered.nth(i).get_attribute("data-grid") for i in range(2)} == {UNIT_A1, UNIT_B1}
    shot(page, "command-centre-finder-offers")
    result.get_by_role("button", name="小村第1网格").click()
    page.wait_for_function(
        "() => document.querySelector('#grid-card').innerText.includes('小村第1网格')"
    )
    assert result.is_hidden()

    finder.fill("没有这个网格")
    finder.press("Enter")
    result.wait_for()
    assert "没有找到与“没有这个网格”匹配的网格" in result.inner_text()
