"""Who may file a case through which channel (permissions.CHANNEL_ROLES): hotline transfers,
single or batch, and off-site inspection are the grid office's; department hand-overs come from
department handlers or the office; patrol and party-member reports from grid workers or the
office; residents report only through the public endpoint. Anything else is 403."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from gridgov.cases.models import Case, Channel
from gridgov.cases.permissions import CHANNEL_ROLES
from gridgov.cases.services import intake
from gridgov.core.jurisdiction import Role
from gridgov.core.testing.town import INSIDE, UNIT_A1

pytestmark = pytest.mark.usefixtures("clock")

ALLOWED = {
    Channel.PATROL: {"admin", "town_office", "village_a", "worker_a1"},
    Channel.PARTY_MEMBER: {"admin", "town_office", "village_a", "worker_a1"},
    Channel.HOTLINE: {"admin", "town_office", "village_a"},
    Channel.OFFSITE: {"admin", "town_office", "village_a"},
    Channel.DEPARTMENT: {"admin", "town_office", "village_a", "env_handler"},
    Channel.RESIDENT: set(),
    Channel.OPEN311: set(),
}
STAFF = ("admin", "town_office", "village_a", "worker_a1", "env_handler", "leader")


def test_every_channel_has_a_row_in_the_table():
    assert set(CHANNEL_ROLES) == set(Channel.values)
    assert CHANNEL_ROLES[Channel.HOTLINE] == {Role.OFFICE}


@pytest.mark.parametrize("channel", Channel.values)
@pytest.mark.parametrize("username", STAFF)
def test_channel_by_role_through_the_api(client_for, channel, username):
    lon, lat = INSIDE[UNIT_A1]
    form = {"description": "河边偷排", "channel": channel, "lon": str(lon), "lat": str(lat)}
    if channel == Channel.HOTLINE:
        form["external_number"] = f"12345-{username}"
    response = client_for(username).post("/api/v1/cases/", data=form)
    expected = 201 if username in ALLOWED[channel] else 403
    assert response.status_code == expected, response.content
    assert Case.objects.exists() == (expected == 201)


def test_only_the_office_batch_imports_hotline_cases(town, client_for):
    data = "工单编号,诉求内容,地址\n12345-9,路灯不亮,王村东头\n".encode()
    with pytest.raises(PermissionDenied):
        intake.import_hotline_cases(data=data, filename="热线.csv", by=town.user("worker_a1"))
    response = client_for("worker_a1").post(
        "/api/v1/cases/import-hotline",
        {"file": _upload(data)},
    )
    assert response.status_code == 403
    assert not Case.objects.exists()
    report = intake.import_hotline_cases(
        data=data, filename="热线.csv", by=town.user("town_office")
    )
    assert len(report.created) == 1


def test_residents_report_only_without_an_account(town):
    case = intake.report_case(
        by=None, channel=Channel.RESIDENT, description="路灯不亮", grid_code=UNIT_A1
    ).case
    assert (case.channel, case.reporter) == (Channel.RESIDENT, None)


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("热线.csv", data, content_type="text/csv")
