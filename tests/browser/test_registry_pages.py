"""The operator's registry pages in the browser, at phone and desktop size: drill-down from the
town to a household, masked values, search by exact phone, the checks page."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.core.testing.town import TOWN_CODE, UNIT_A1

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_registry_drill_down_and_search(open_page: Any, shot: Any, viewport: str) -> None:
    from gridgov.grids.models import Grid
    from gridgov.registry.demo import seed_demo_registry
    from gridgov.registry.models import Household

    seed_demo_registry(root=Grid.objects.get(code=TOWN_CODE))
    household = Household.objects.filter(grid__code=UNIT_A1).order_by("number").first()
    assert household is not None
    head = household.head
    w = open_page("town_office", viewport=viewport)
    page = w.page
    page.goto("/registry/")
    assert "王村" in page.inner_text("main")
    shot(page, f"registry-town-{viewport}")
    page.click(f"a[href='/registry/grid/{UNIT_A1[:12]}/']")
    page.click(f"a[href='/registry/grid/{UNIT_A1}/']")
    page.click(f"a[href='/registry/household/{household.number}/']")
    text = page.inner_text("main")
    assert head.name in text
    assert head.id_number not in text
    assert head.id_number_masked in text
    shot(page, f"registry-household-{viewport}")
    if head.phone:
        assert head.phone.startswith("+86")
        national = head.phone[3:]
        page.goto(f"/registry/search/?q={national}")
        assert head.name in page.inner_text("main")
        assert national not in page.inner_text("main")
        shot(page, f"registry-search-{viewport}")
    page.goto("/registry/checks/")
    shot(page, f"registry-checks-{viewport}")
    if viewport == "phone":
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375 + 1
