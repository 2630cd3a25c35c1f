"""The operator's registry pages: drill-down, search, checks, organisations; masked; scoped."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.registry.models import Household, HouseholdTag
from gridgov.registry.services import create_person
from gridgov.registry.tests.conftest import make_id

ID = make_id(21, dt.date(1970, 2, 2))


@pytest.fixture
def household(town):
    h = Household.objects.create(grid=town.a1, number="A1-0001", address="王村1号")
    person = create_person(
        by=town.user("town_office"), grid=town.a1, name="赵六", id_number=ID, phone="13500002222"
    )
    person.household = h
    person.save()
    HouseholdTag.objects.create(household=h, kind="empty_nest", since=dt.date(2025, 1, 1))
    return h


def test_drill_down_from_town_to_household(client_for, town, household) -> None:
    client = client_for("town_office")
    page = client.get("/registry/").content.decode()
    assert "王村" in page
    assert "1 / 400" in page
    page = client.get(f"/registry/grid/{town.a1.code}/").content.decode()
    assert "A1-0001" in page
    assert "空巢老人户" in page
    page = client.get("/registry/household/A1-0001/").content.decode()
    assert "赵六" in page
    assert ID not in page
    assert "13500002222" not in page
    assert ID[:6] + "********" + ID[-4:] in page
    assert "135****2222" in page


def test_search_by_exact_id_and_phone(client_for, household) -> None:
    client = client_for("village_a")
    assert "赵六" in client.get("/registry/search/", {"q": ID}).content.decode()
    assert "赵六" in client.get("/registry/search/", {"q": "135 0000 2222"}).content.decode()
    assert "赵六" in client.get("/registry/search/", {"q": "王村1"}).content.decode()
    assert "赵六" not in client.get("/registry/search/", {"q": ID[:-2]}).content.decode()


def test_outside_scope_is_404(client_for, town, household) -> None:
    client = client_for("worker_b1")
    assert client.get("/registry/household/A1-0001/").status_code == 404
    assert client.get(f"/registry/grid/{town.a1.code}/").status_code == 404
    assert "赵六" not in client.get("/registry/search/", {"q": "赵"}).content.decode()
    assert client_for("env_handler").get("/registry/").status_code == 404


def test_checks_and_organisations(client_for, town, household) -> None:
    client = client_for("town_office")
    page = client.get("/registry/checks/").content.decode()
    assert town.a2.code in page
    assert town.b2.code in page
    assert client.get("/registry/organisations/", {"kind": "party"}).status_code == 200
    assert client.get("/registry/organisations/", {"kind": "x"}).status_code == 200


def test_search_form_posts_so_the_number_stays_out_of_urls(client_for, household) -> None:
    client = client_for("town_office")
    page = client.get("/registry/").content.decode()
    assert 'method="post"' in page
    assert "赵六" in client.post("/registry/search/", {"q": ID}).content.decode()
