"""The registry API: masked lists, blind-index search, reveal with log, special groups, access log
per role, completion."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from gridgov.core.testing.town import UNIT_A1
from gridgov.registry.models import AccessLog, Household, Person, ReleasedPrisoner
from gridgov.registry.services import (
    create_building,
    create_person,
    households_without_contact,
    read_special_record,
    unit_grids_without_worker,
    visit_duties,
)
from gridgov.registry.tests.conftest import make_id

ID = make_id(11, dt.date(1990, 3, 4))


@pytest.fixture
def resident(town):
    return create_person(
        by=town.user("town_office"), grid=town.a1, name="王五", id_number=ID, phone="13600001111"
    )


def test_list_is_masked_and_search_is_exact_through_the_index(client_for, resident) -> None:
    client = client_for("worker_a1")
    body = client.get("/api/v1/registry/persons").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["id_number"], item["phone"]) == (ID[:6] + "********" + ID[-4:], "136****1111")
    assert ID not in str(body)
    assert client.get("/api/v1/registry/persons", {"q": ID}).json()["count"] == 1
    assert client.get("/api/v1/registry/persons", {"q": "136 0000 1111"}).json()["count"] == 1
    assert client.get("/api/v1/registry/persons", {"q": ID[:-1]}).json()["count"] == 0
    assert client.get("/api/v1/registry/persons", {"q": "王"}).json()["count"] == 1


def test_neighbour_worker_gets_404(client_for, resident) -> None:
    client = client_for("worker_b1")
    assert client.get(f"/api/v1/registry/persons/{resident.pk}").status_code == 404
    assert client.get("/api/v1/registry/persons").json()["count"] == 0
    response = client.post(
        f"/api/v1/registry/persons/{resident.pk}/reveal",
        {"field": "phone", "reason": "联系"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_reveal_per_role(client_for, resident) -> None:
    url = f"/api/v1/registry/persons/{resident.pk}/reveal"
    worker = client_for("worker_a1")
    denied = worker.post(
        url, {"field": "id_number", "reason": "核对"}, content_type="application/json"
    )
    assert denied.status_code == 403
    ok = worker.post(url, {"field": "phone", "reason": "入户联系"}, content_type="application/json")
    assert ok.json() == {"value": "+8613600001111"}
    no_reason = client_for("town_office").post(
        url, {"field": "id_number", "reason": ""}, content_type="application/json"
    )
    assert no_reason.status_code == 400
    assert no_reason.json()["field"] == "reason"
    assert AccessLog.objects.count() == 1


def test_access_log_is_for_admin_and_discipline_only(
    client_for, resident, town, discipline_officer
) -> None:
    from gridgov.registry.services import reveal_value

    reveal_value(resident, "id_number", by=town.user("town_office"), reason="低保复核")
    assert client_for("town_office").get("/api/v1/registry/access-log").status_code == 403
    assert client_for("worker_a1").get("/api/v1/registry/access-log.xlsx").status_code == 403
    body = client_for("discipline").get("/api/v1/registry/access-log").json()
    assert body["items"][0]["reason"] == "低保复核"
    response = client_for("admin").get("/api/v1/registry/access-log.xlsx")
    import io

    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][1] == "town_office"
    assert rows[1][7] == "低保复核"


def test_special_groups_only_for_their_officer_in_scope(town, resident, special_officer) -> None:
    record = ReleasedPrisoner.objects.create(
        person=resident, registered_on=dt.date(2025, 1, 1), original_charge="盗窃罪"
    )
    for username in ("worker_a1", "town_office", "leader", "village_a"):
        assert not ReleasedPrisoner.objects.visible_to(town.user(username)).exists()
    assert ReleasedPrisoner.objects.visible_to(town.user("admin")).exists()
    read = read_special_record(ReleasedPrisoner, record.pk, by=special_officer, reason="季度评估")
    assert read.original_charge == "盗窃罪"
    log = AccessLog.objects.get()
    assert (log.action, log.target) == ("special_read", "registry.releasedprisoner")
    from django.http import Http404

    with pytest.raises(Http404):
        read_special_record(ReleasedPrisoner, record.pk, by=town.user("worker_a1"))
    # The worker learns the name and that a visit is due, nothing of the record.
    duties = visit_duties(town.a1)
    assert [(d.name) for d in duties] == ["王五"]
    assert not hasattr(duties[0], "original_charge")


def test_building_numbers_are_appended_per_community(town) -> None:
    office = town.user("town_office")
    first = create_building(by=office, grid=town.a1, address="王村1号", use="residential")
    second = create_building(by=office, grid=town.a2, address="王村2号", use="commercial")
    other = create_building(by=office, grid=town.b1, address="小村1号", use="residential")
    assert (first.number, second.number, other.number) == ("00001", "00002", "00001")


def test_completion_and_check_gaps(client_for, town, resident) -> None:
    Household.objects.create(grid=town.a1, number="H1", contact_worker=None)
    Household.objects.create(grid=town.a2, number="H2", contact_worker=town.user("worker_a1").staff)
    rows = client_for("town_office").get(f"/api/v1/registry/completion/{town.town.code}").json()
    assert rows[0] == {
        "grid": town.town.code,
        "name": "王村镇",
        "declared": 400,
        "registered": 2,
        "rate": 0.005,
    }
    assert [r["registered"] for r in rows[1:]] == [2, 0]
    assert (
        client_for("worker_b1").get(f"/api/v1/registry/completion/{town.town.code}").status_code
        == 404
    )
    assert [h.number for h in households_without_contact(town.town)] == ["H1"]
    # Only A1 and B1 have a worker post in the cast.
    assert [g.code for g in unit_grids_without_worker(town.town)] == [
        town.a2.code,
        town.b2.code,
    ]
    assert UNIT_A1 not in [g.code for g in unit_grids_without_worker(town.village_a)]
    assert Person.objects.count() == 1


def test_discipline_reads_only_its_territorys_access_log(
    client_for, town, resident, discipline_officer
) -> None:
    """The town's discipline office reads the whole town's log; a village's reads its village
    only; rows of a read outside every village (an admin's export of everything) are the
    admin's alone."""
    from io import BytesIO

    from gridgov.core.jurisdiction import Role, forget_scope
    from gridgov.core.testing.town import PASSWORD, UNIT_B1
    from gridgov.people.services import create_user, grant_role
    from gridgov.registry.ledgers import export_ledger
    from gridgov.registry.services import reveal_value

    village_b = create_user(username="discipline_b", password=PASSWORD)
    grant_role(user=village_b, role=Role.DISCIPLINE, grid=town.village_b)
    forget_scope(village_b)
    office = town.user("town_office")
    other = create_person(by=office, grid=town.grid(UNIT_B1), name="赵六", id_number=make_id(12))
    reveal_value(resident, "id_number", by=office, reason="低保复核A")  # village A
    reveal_value(other, "id_number", by=office, reason="低保复核B")  # village B
    export_ledger("persons", BytesIO(), by=town.user("village_a"), clear_reason="核对A村台账")
    export_ledger("persons", BytesIO(), by=town.user("admin"), clear_reason="全库核对")

    def reasons(username: str) -> set[str]:
        body = client_for(username).get("/api/v1/registry/access-log").json()
        return {item["reason"] for item in body["items"]}

    everything = {"低保复核A", "低保复核B", "核对A村台账", "全库核对"}
    assert reasons("admin") == everything
    assert reasons("discipline") == everything - {"全库核对"}
    assert reasons("discipline_b") == {"低保复核B"}
    xlsx = client_for("discipline_b").get("/api/v1/registry/access-log.xlsx")
    rows = list(load_workbook(BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert [r[7] for r in rows[1:]] == ["低保复核B"]
    for username in ("town_office", "village_a", "worker_a1", "leader"):
        assert client_for(username).get("/api/v1/registry/access-log").status_code == 403
