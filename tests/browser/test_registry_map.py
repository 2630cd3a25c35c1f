"""The operator's map of buildings and facilities: layers per building use and facility class,
a click shows the details; the facilities of the neighbouring village stay out of a village
operator's map."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.core.testing.town import TOWN_CODE

pytestmark = pytest.mark.browser


def test_map_shows_buildings_and_facilities_by_layer(open_page: Any, shot: Any) -> None:
    from gridgov.grids.models import Grid
    from gridgov.registry.demo import seed_demo_registry
    from gridgov.registry.models import Building, Facility

    seed_demo_registry(root=Grid.objects.get(code=TOWN_CODE))
    w = open_page("town_office")
    page = w.page
    page.goto("/registry/map/")
    page.wait_for_selector("#registry-map[data-ready='1']")
    shown = int(page.locator("#registry-map").get_attribute("data-facilities") or 0)
    assert shown == Facility.objects.count() > 0
    buildings = int(page.locator("#registry-map").get_attribute("data-buildings") or 0)
    assert buildings == Building.objects.exclude(lon=None).count() > 0
    assert page.locator(".leaflet-control-layers-overlays label").count() >= 3
    shot(page, "registry-map-desktop")

    page.locator(".leaflet-control-layers-overlays label", has_text="路灯").locator(
        "input"
    ).uncheck()
    marker = page.locator("path.leaflet-interactive[stroke-width='3']").first
    marker.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "部件标识码" in popup.inner_text()
    assert "路灯" not in popup.inner_text().split("\n")[0]
    shot(page, "registry-map-facility-popup-desktop")
