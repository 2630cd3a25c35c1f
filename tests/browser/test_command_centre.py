"""The command centre draws the user's subtree: exactly one polygon per grid they may see."""

from __future__ import annotations

from typing import Any

import pytest

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
