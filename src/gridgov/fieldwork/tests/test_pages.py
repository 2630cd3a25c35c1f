"""The fieldwork pages: the phone patrol page and the office's monitoring and compliance."""

from __future__ import annotations

import pytest

from gridgov.core.testing.town import UNIT_A1
from gridgov.fieldwork.tests.test_daily import patrol

pytestmark = pytest.mark.django_db


def test_patrol_page_is_for_workers(client_for, town) -> None:
    page = client_for("worker_a1").get("/m/patrol/")
    assert page.status_code == 200
    assert page.context["config"]["grids"]["features"][0]["properties"]["code"] == UNIT_A1
    assert "csrftoken" in page.cookies
    assert client_for("town_office").get("/m/patrol/").status_code == 403


def test_monitoring_page_lists_flags_and_offers_the_replay(client_for, town) -> None:
    patrol(town, "worker_a1", "2026-05-12")
    office = client_for("town_office")
    page = office.get("/fieldwork/monitoring/?date=2026-05-12&user=worker_a1")
    assert page.status_code == 200
    rows = {r.username: r for r in page.context["rows"]}
    assert rows["worker_b1"].flags == ["no_patrol", "no_report"]
    assert page.context["replay"]["url"] == "/api/v1/fieldwork/days/worker_a1/2026-05-12"
    assert 'data-flag="no_patrol"' in page.content.decode()
    bad = office.get("/fieldwork/monitoring/?date=yesterday")
    assert bad.status_code == 200
    assert bad.context["error"]
    # A name outside the list is not replayed.
    village = client_for("village_a").get("/fieldwork/monitoring/?date=2026-05-12&user=worker_b1")
    assert village.context["selected"] == ""
    assert client_for("worker_a1").get("/fieldwork/monitoring/").status_code == 403


def test_compliance_page(client_for, town) -> None:
    patrol(town, "worker_a1", "2026-05-12")
    page = client_for("town_office").get("/fieldwork/compliance/?start=2026-05-11&end=2026-05-12")
    assert page.status_code == 200
    row = next(r for r in page.context["rows"] if r.username == "worker_a1")
    assert (row.periods_due, row.periods_met) == (2, 1)
    backwards = client_for("town_office").get(
        "/fieldwork/compliance/?start=2026-05-11&end=2026-05-01"
    )
    assert backwards.context["error"]
