"""Quarterly grid tier proposals from hotline volume and discovery, confirmed by the office."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.cases.models import MatterItem
from gridgov.core.errors import DomainError
from gridgov.core.testing.town import UNIT_A1, UNIT_A2, UNIT_B1, UNIT_B2
from gridgov.grids.models import Grid
from gridgov.hotline.models import TierProposal, TierProposalState
from gridgov.hotline.services.crosscheck import run_crosscheck
from gridgov.hotline.services.tiers import (
    confirm_tiers,
    last_quarter,
    propose_last_quarter,
    propose_tiers,
    quarter_bounds,
)
from gridgov.hotline.tests.test_api import make
from gridgov.hotline.tests.test_crosscheck import MONDAY, NOON, grid_case


def seed(town) -> None:
    noise = MatterItem.objects.get(code="0404")
    # A1: 5 records, all found by patrols → top volume (tier 1 by volume).
    # A2: 3 records, none found → tier 1 by low discovery.  B1: 1 found → tier 2.  B2: none → 3.
    for n in range(5):
        grid_case(town, at=NOON + dt.timedelta(minutes=n) - dt.timedelta(hours=1))
        make(f"A1-{n}", UNIT_A1, received_at=NOON + dt.timedelta(minutes=n), item=noise)
    for n in range(3):
        make(f"A2-{n}", UNIT_A2, item=noise)
    grid_case(town, at=NOON - dt.timedelta(hours=1), by="worker_b1", point=(113.325, 34.81))
    make("B1-0", UNIT_B1, item=noise)
    run_crosscheck(start=MONDAY, end=MONDAY + dt.timedelta(days=6), by=None)


def test_proposal_follows_volume_and_discovery(town):
    seed(town)
    proposals = {p.grid.code: p for p in propose_tiers(quarter="2026Q1", by=None)}
    assert {code: p.proposed_tier for code, p in proposals.items()} == {
        UNIT_A1: 1,
        UNIT_A2: 1,
        UNIT_B1: 2,
        UNIT_B2: 3,
    }
    assert (proposals[UNIT_A1].records, proposals[UNIT_A1].matched) == (5, 5)
    assert (proposals[UNIT_A2].records, proposals[UNIT_A2].matched) == (3, 0)
    # Nothing applies until the office confirms.
    assert Grid.objects.get(code=UNIT_B2).tier == 2


def test_office_confirms_and_the_grid_takes_the_tier(town):
    seed(town)
    propose_tiers(quarter="2026Q1", by=None)
    visible = TierProposal.objects.filter(quarter="2026Q1", grid__code__startswith=UNIT_A1[:12])
    with pytest.raises(Exception, match="无权"):
        confirm_tiers(proposals=visible, by=town.user("worker_a1"))
    assert confirm_tiers(proposals=visible, by=town.user("village_a")) == 2
    assert Grid.objects.get(code=UNIT_A2).tier == 1
    assert Grid.objects.get(code=UNIT_B2).tier == 2  # not confirmed
    # Proposing again keeps what was confirmed.
    again = {p.grid.code: p for p in propose_tiers(quarter="2026Q1", by=None)}
    assert again[UNIT_A2].state == TierProposalState.CONFIRMED


def test_quarters_and_the_scheduled_proposal(town):
    assert last_quarter(dt.date(2026, 2, 10)) == "2025Q4"
    assert last_quarter(dt.date(2026, 4, 1)) == "2026Q1"
    start, end = quarter_bounds("2026Q4")
    assert (start.month, end.year, end.month) == (10, 2027, 1)
    with pytest.raises(DomainError):
        quarter_bounds("2026Q5")
    seed(town)
    assert propose_last_quarter(today=dt.date(2026, 4, 2)) == "2026Q1"
    assert propose_last_quarter(today=dt.date(2026, 4, 3)) is None
    assert TierProposal.objects.filter(quarter="2026Q1").count() == 4


def test_tiers_page_lists_and_confirms(town, client_for):
    seed(town)
    client = client_for("town_office")
    assert client.post("/hotline/tiers/?quarter=2026Q1", {"action": "propose"}).status_code == 302
    page = client.get("/hotline/tiers/?quarter=2026Q1").content.decode()
    assert f'data-code="{UNIT_A2}"' in page
    client.post("/hotline/tiers/?quarter=2026Q1", {"action": "confirm"})
    assert Grid.objects.get(code=UNIT_B2).tier == 3
    assert client.get("/hotline/tiers/?quarter=2026Q9").status_code == 400
    assert client_for("worker_a1").get("/hotline/tiers/").status_code == 403
    assert client_for("leader").post("/hotline/tiers/", {"action": "confirm"}).status_code == 403
