"""The registry map: GeoJSON of the buildings and facilities in the view's box, scoped (another
territory's objects are not in it), cut at the limit, and a bad box is a 400, never a 500."""

from __future__ import annotations

import pytest

from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_B1
from gridgov.registry import map_views
from gridgov.registry.models import Building, Facility, Household

BOX = {"bbox": "113.29,34.79,113.35,34.83"}


@pytest.fixture
def objects(town):
    lon_a, lat_a = INSIDE[UNIT_A1]
    lon_b, lat_b = INSIDE[UNIT_B1]
    a = Building.objects.create(
        grid=town.a1,
        community=town.a1.region,
        number="00001",
        address="王村东街1号",
        use="residential",
        floors=2,
        lon=lon_a,
        lat=lat_a,
    )
    Household.objects.create(grid=town.a1, number="A1-1", building=a)
    Building.objects.create(
        grid=town.b1,
        community=town.b1.region,
        number="00001",
        address="小村西街1号",
        use="commercial",
        lon=lon_b,
        lat=lat_b,
    )
    Facility.objects.create(
        grid=town.a1,
        code="F-A1-1",
        class_code="0201",
        name="路灯",
        lon=lon_a,
        lat=lat_a,
        owner=town.police,
    )
    Facility.objects.create(
        grid=town.b1, code="F-B1-1", class_code="0109", name="消防栓", lon=lon_b, lat=lat_b
    )


def _features(client, **params):
    response = client.get("/registry/map/features.json", {**BOX, **params})
    assert response.status_code == 200
    return response.json()


def test_features_are_scoped_and_carry_their_details(client_for, objects) -> None:
    doc = _features(client_for("village_a"))
    props = [f["properties"] for f in doc["features"]]
    assert {p["address"] for p in props if p["kind"] == "building"} == {"王村东街1号"}
    building = next(p for p in props if p["kind"] == "building")
    assert (building["layer"], building["households"], building["floors"]) == ("residential", 1, 2)
    facility = next(p for p in props if p["kind"] == "facility")
    assert (facility["code"], facility["layer"], facility["owner"]) == (
        "F-A1-1",
        "0201",
        "王村派出所",
    )
    assert len(props) == 2
    assert len(_features(client_for("town_office"))["features"]) == 4


def test_the_box_limits_the_features(client_for, objects) -> None:
    lon, lat = INSIDE[UNIT_B1]
    doc = _features(
        client_for("town_office"), bbox=f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    )
    assert {f["properties"]["grid"] for f in doc["features"]} == {"小村第1网格"}


def test_too_many_features_are_cut_and_said(client_for, objects, monkeypatch) -> None:
    monkeypatch.setattr(map_views, "MAP_LIMIT", 1)
    doc = _features(client_for("town_office"))
    assert doc["truncated"] is True
    assert len(doc["features"]) == 2  # one building, one facility


@pytest.mark.parametrize(
    "bbox", ["", "1,2,3", "a,b,c,d", "113,35,112,34", "nan,1,2,3", "1,2,3,1e999"]
)
def test_a_bad_box_is_a_400(client_for, bbox) -> None:
    response = client_for("town_office").get("/registry/map/features.json", {"bbox": bbox})
    assert response.status_code == 400
    assert "bbox" in response.json()["detail"]


def test_map_page_and_features_need_a_registry_role(client_for) -> None:
    assert client_for("town_office").get("/registry/map/").status_code == 200
    assert client_for("env_handler").get("/registry/map/").status_code == 404
    assert client_for("env_handler").get("/registry/map/features.json", BOX).status_code == 404
