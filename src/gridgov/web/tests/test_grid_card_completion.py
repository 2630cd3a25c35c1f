"""The command centre's grid card shows data-entry completion (seed 004 入户录入): the open
households registered in the grid's subtree against the households it declares."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gridgov.core.testing.town import UNIT_A1, VILLAGE_A, Town
from gridgov.registry.models import Household


def test_grid_card_shows_households_registered_against_declared(
    client_for: Any, town: Town
) -> None:
    for i in range(3):
        Household.objects.create(grid=town.a1, number=f"A1-{i}")
    Household.objects.create(grid=town.a1, number="A1-closed", closed_on=dt.date(2026, 1, 1))
    Household.objects.create(grid=town.b1, number="B1-0")
    client = client_for("town_office")
    unit = client.get(f"/command/grid/{UNIT_A1}/").content.decode()
    assert "入户录入" in unit
    assert "3 / 100(3.0%)" in unit
    village = client.get(f"/command/grid/{VILLAGE_A}/").content.decode()
    assert "3 / 200(1.5%)" in village
    whole = client.get(f"/command/grid/{town.town.code}/").content.decode()
    assert "4 / 400(1.0%)" in whole
