"""The grid worker's registry phone pages: my contact households, look-up in my grid (exact ID
number or phone through the blind index), corrections, and adding on site exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry

from gridgov.people.models import Staff
from gridgov.registry.models import Household, OnSiteEntry, Person
from gridgov.registry.services import create_person
from gridgov.registry.tests.conftest import make_id

ID = make_id(31, dt.date(1968, 5, 4))
PHONE = "13500003333"


@pytest.fixture
def mine(town):
    """A household of unit A1 whose contact worker is worker_a1 (李娜)."""
    h = Household.objects.create(
        grid=town.a1,
        number="A1-0007",
        address="王村东街7号",
        contact_worker=Staff.objects.get(name="李娜"),
    )
    head = create_person(
        by=town.user("town_office"), grid=town.a1, name="吴老汉", id_number=ID, phone=PHONE
    )
    head.household = h
    head.relation_to_head = "02"
    head.save()
    h.head = head
    h.save()
    return h


@pytest.fixture
def neighbour(town):
    h = Household.objects.create(grid=town.b1, number="B1-0001", address="小村西街1号")
    p = create_person(
        by=town.user("town_office"), grid=town.b1, name="郑大姐", id_number=make_id(32)
    )
    p.household = h
    p.save()
    return h


def test_my_contact_households(client_for, mine, neighbour) -> None:
    page = client_for("worker_a1").get("/registry/m/").content.decode()
    assert "吴老汉" in page
    assert "郑大姐" not in page
    assert client_for("worker_b1").get("/registry/m/").content.decode().count("吴老汉") == 0


def test_only_grid_workers_use_the_phone_pages(client_for, mine) -> None:
    assert client_for("town_office").get("/registry/m/").status_code == 403
    assert client_for("leader").get("/registry/m/add/").status_code == 403


def test_look_up_by_address_name_and_exact_numbers(client_for, mine, neighbour) -> None:
    client = client_for("worker_a1")
    for q in ["东街", "吴老", "A1-0007", ID, "135 0000 3333"]:
        page = client.post("/registry/m/search/", {"q": q}).content.decode()
        assert "吴老汉" in page, q
        assert ID not in page
        assert PHONE not in page
    page = client.post("/registry/m/search/", {"q": ID[:10]}).content.decode()
    assert "吴老汉" not in page  # part of an ID number finds nothing
    page = client.post("/registry/m/search/", {"q": "小村"}).content.decode()
    assert "郑大姐" not in page  # another grid's household


def test_household_page_is_masked_and_scoped(client_for, mine, neighbour) -> None:
    client = client_for("worker_a1")
    page = client.get("/registry/m/household/A1-0007/").content.decode()
    assert "吴老汉" in page
    assert ID not in page
    assert ID[:6] + "********" + ID[-4:] in page
    assert PHONE not in page
    assert "/reveal" not in page
    assert client.get("/registry/m/household/B1-0001/").status_code == 404
    other = neighbour.members.get()
    assert client.get(f"/registry/m/person/{other.pk}/edit/").status_code == 404


def test_correct_a_household_and_a_person(client_for, mine) -> None:
    client = client_for("worker_a1")
    response = client.post(
        "/registry/m/household/A1-0007/edit/", {"address": "王村东街9号", "kind": "family"}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.address == "王村东街9号"
    head = mine.head
    response = client.post(
        f"/registry/m/person/{head.pk}/edit/",
        {
            "name": "吴老汉",
            "phone": "13600004444",
            "id_number": "",
            "relation_to_head": "02",
            "population_type": "registered",
            "residence_address": "王村东街9号",
            "occupation": "农民",
        },
    )
    assert response.status_code == 302
    head.refresh_from_db()
    assert head.phone == "+8613600004444"
    assert head.id_number == ID  # left empty: kept
    assert head.occupation == "农民"
    entry = LogEntry.objects.get_for_object(head).latest("timestamp")
    assert entry.actor.username == "worker_a1"
    assert "13600004444" not in entry.changes_text + str(entry.changes)


def test_a_bad_id_number_is_a_form_error(client_for, mine) -> None:
    head = mine.head
    bad = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    response = client_for("worker_a1").post(
        f"/registry/m/person/{head.pk}/edit/",
        {"name": "吴老汉", "id_number": bad, "population_type": "registered"},
    )
    assert response.status_code == 200
    assert "校验位" in response.content.decode()
    head.refresh_from_db()
    assert head.id_number == ID


def _add(client, **data):
    fields = {"grid": "410182100201001", "population_type": "registered", **data}
    return client.post("/registry/m/add/", fields, headers={"Accept": "application/json"})


def test_add_a_member_on_site_once_for_a_repeated_key(client_for, mine) -> None:
    client = client_for("worker_a1")
    data = {
        "idempotency_key": "k-1",
        "household_number": "A1-0007",
        "name": "吴小妹",
        "id_number": make_id(33, dt.date(2001, 3, 3)),
        "relation_to_head": "30",
    }
    first = _add(client, **data)
    assert first.status_code == 201
    again = _add(client, **data)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Person.objects.filter(name="吴小妹").count() == 1
    assert Person.objects.get(name="吴小妹").household == mine
    assert OnSiteEntry.objects.get(key="k-1").user.username == "worker_a1"


def test_add_a_new_household_with_its_head(client_for, town) -> None:
    response = _add(
        client_for("worker_a1"), idempotency_key="k-2", name="冯新户", address="王村南街2号"
    )
    assert response.status_code == 201
    person = Person.objects.get(name="冯新户")
    household = person.household
    assert household.head == person
    assert household.grid == town.a1
    assert household.number.startswith(town.a1.code)
    assert person.relation_to_head == "02"


def test_refused_on_site_entries_add_nothing(client_for, mine, neighbour) -> None:
    client = client_for("worker_a1")
    response = _add(client, idempotency_key="k-3", name="某人")  # no household, no address
    assert response.status_code == 400
    assert "address" in response.json()["errors"]
    response = _add(client, idempotency_key="k-4", household_number="B1-0001", name="某人")
    assert response.status_code == 400
    assert "household_number" in response.json()["errors"]
    response = _add(
        client, idempotency_key="k-5", household_number="A1-0007", name="某人", id_number=ID
    )
    assert response.status_code == 400  # already registered: reported, not created twice
    assert "id_number" in response.json()["errors"]
    response = _add(client, idempotency_key="k-6", grid="410182100202001", name="某人")
    assert response.status_code == 400  # not a grid of this worker
    assert not Person.objects.filter(name="某人").exists()
    assert not OnSiteEntry.objects.exists()


def test_an_entry_saved_under_another_account_is_not_sent(client_for, mine) -> None:
    response = _add(client_for("worker_a1"), idempotency_key="k-7", name="某人", outbox_user="0")
    assert response.status_code == 409


def test_contact_households_do_not_query_per_row(client_for, town, mine) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("worker_a1")
    client.get("/registry/m/")
    with CaptureQueriesContext(connection) as few:
        client.get("/registry/m/")
    for i in range(5):
        Household.objects.create(
            grid=town.a1, number=f"A1-9{i}", contact_worker=mine.contact_worker
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get("/registry/m/").content.decode()
    assert "A1-94" in page
    assert len(many) == len(few)
