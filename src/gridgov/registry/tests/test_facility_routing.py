"""先属主后属地 (STANDARDS.md): a case reported on a public facility goes to the facility's owner
first; without an owner the level can dispatch to, it follows the catalogue's route."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.cases import services
from gridgov.cases.catalogue import ensure_default_catalogue
from gridgov.cases.models import Channel, MatterItem
from gridgov.cases.services import intake
from gridgov.core.errors import DomainError
from gridgov.core.testing.town import INSIDE, UNIT_A1
from gridgov.registry.models import Facility


@pytest.fixture
def catalogue(town):
    ensure_default_catalogue()


def _facility(town, owner, code="F-0201-1"):
    lon, lat = INSIDE[UNIT_A1]
    return Facility.objects.create(
        grid=town.a1,
        code=code,
        class_code="0201",
        name="路灯",
        lon=lon + 0.001,
        lat=lat,
        owner=owner,
    )


def _report_and_dispatch(town, **report):
    case = intake.report_case(
        by=town.user("worker_a1"),
        channel=Channel.PATROL,
        description="灯杆倾斜,有倒塌危险",
        item=MatterItem.objects.get(code="0401"),  # the catalogue routes it to environment
        **report,
    ).case
    case = services.accept_case(case=case, by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="上报")
    return case, services.dispatch_case(case=case, by=town.user("town_office"))


def test_a_case_on_a_facility_goes_to_its_owner_first(catalogue, town) -> None:
    facility = _facility(town, owner=town.police)
    case, dispatched = _report_and_dispatch(town, facility=facility.code)
    assert case.facility_code == facility.code
    assert (case.lon, case.lat) == (facility.lon, facility.lat)
    assert case.grid == town.a1
    assert dispatched.tasks.get().department == town.police


def test_without_a_facility_the_territory_decides(catalogue, town) -> None:
    lon, lat = INSIDE[UNIT_A1]
    _case, dispatched = _report_and_dispatch(town, lon=lon, lat=lat)
    assert dispatched.tasks.get().department == town.env


def test_an_owner_beyond_the_level_falls_back_to_the_route(catalogue, town) -> None:
    facility = _facility(town, owner=town.county_env)  # a county bureau: not the town's to send
    _case, dispatched = _report_and_dispatch(town, facility=facility.code)
    assert dispatched.tasks.get().department == town.env


def test_an_unknown_or_closed_facility_is_refused(catalogue, town) -> None:
    facility = _facility(town, owner=town.police)
    facility.closed_on = dt.date(2026, 1, 1)
    facility.save()
    for code in ["NO-SUCH", facility.code]:
        with pytest.raises(DomainError) as exc:
            intake.report_case(
                by=town.user("worker_a1"),
                channel=Channel.PATROL,
                description="路灯不亮",
                facility=code,
            )
        assert exc.value.field == "facility"


def test_the_phone_report_form_carries_the_picked_facility(catalogue, town, client_for) -> None:
    from gridgov.cases.models import Case

    facility = _facility(town, owner=town.police)
    response = client_for("worker_a1").post(
        "/m/report/",
        {
            "description": "路灯不亮",
            "facility": facility.code,
            "urgency": "ordinary",
            "mode": "coordinate",
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert case.facility_code == facility.code
    response = client_for("worker_a1").post(
        "/m/report/",
        {
            "description": "路灯不亮",
            "facility": "NO-SUCH",
            "urgency": "ordinary",
            "mode": "coordinate",
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "lon" in response.json()["errors"]
