"""The dispatch form (owned with the cases app): it parses, the service decides. The rules "not
before today" and "a co-handler is not the lead" live only in cases.services, and their errors
land next to the field they name; a co-handler can be given its own deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.cases import services
from gridgov.cases.forms import DispatchForm
from gridgov.cases.models import Case, CaseTask
from gridgov.core.testing.town import Town

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def monday():
    with time_machine.travel(dt.datetime(2026, 6, 8, 9, 0, tzinfo=SHANGHAI), tick=True):
        yield


@pytest.fixture
def at_town(town: Town, report: Any) -> Case:
    case = services.accept_case(case=report(), by=town.user("village_a"))
    return services.escalate_case(case=case, by=town.user("village_a"), note="需联合执法")


def errors_of(body: str, field: str) -> str:
    marker = f'id="id_dispatch-{field}_errors"'
    return body[body.index(marker) :][:400] if marker in body else ""


def test_the_form_does_not_repeat_the_services_rules(town: Town, at_town: Case) -> None:
    form = DispatchForm(
        {
            "dispatch-version": at_town.version,
            "dispatch-department": town.env.pk,
            "dispatch-co": [town.env.pk],
            "dispatch-days": 3,
            "dispatch-due_on": "2026-06-01",
        },
        case=at_town,
        user=town.user("town_office"),
        prefix="dispatch",
    )
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"dispatch-due_on": "2026-06-01"}, "due_on", "早于今天"),
        ({"dispatch-due_on": "2026-06-13"}, "due_on", "不是工作日"),
        ({"dispatch-days": 3, "dispatch-due_on": "2026-06-18"}, "due_on", "只能填写一项"),
        ({"co": "env"}, "co", "不能与主办部门相同"),
    ],
)
def test_service_rules_show_next_to_their_field(
    client_for: Any, town: Town, at_town: Case, data: dict[str, Any], field: str, message: str
) -> None:
    body = {"dispatch-version": at_town.version, "dispatch-department": town.env.pk, **data}
    if body.pop("co", None):
        body["dispatch-co"] = [town.env.pk]
    response = client_for("town_office").post(f"/cases/{at_town.pk}/act/dispatch/", body)
    assert response.status_code == 400
    assert message in errors_of(response.content.decode(), field)
    assert not CaseTask.objects.filter(case=at_town).exists()


def test_operator_gives_a_co_handler_its_own_deadline(
    client_for: Any, town: Town, at_town: Case
) -> None:
    office = client_for("town_office")
    page = office.get(f"/cases/{at_town.pk}/").content.decode()
    assert f'name="dispatch-co_due_{town.police.pk}"' in page
    response = office.post(
        f"/cases/{at_town.pk}/act/dispatch/",
        {
            "dispatch-version": at_town.version,
            "dispatch-department": town.env.pk,
            "dispatch-days": 5,
            "dispatch-co": [town.police.pk],
            f"dispatch-co_due_{town.police.pk}": "2026-06-10",
        },
    )
    assert response.status_code == 302, errors_of(response.content.decode(), "co")
    police = CaseTask.objects.get(case=at_town, department=town.police)
    lead = CaseTask.objects.get(case=at_town, department=town.env)
    assert police.due_at.astimezone(SHANGHAI).date() == dt.date(2026, 6, 10)
    assert lead.due_at.astimezone(SHANGHAI).date() == dt.date(2026, 6, 15)


def test_a_co_handler_date_after_the_leads_is_refused_and_kept_in_the_form(
    client_for: Any, town: Town, at_town: Case
) -> None:
    response = client_for("town_office").post(
        f"/cases/{at_town.pk}/act/dispatch/",
        {
            "dispatch-version": at_town.version,
            "dispatch-department": town.env.pk,
            "dispatch-days": 2,
            "dispatch-co": [town.police.pk],
            f"dispatch-co_due_{town.police.pk}": "2026-06-30",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "不能晚于主办期限" in errors_of(body, "co")
    assert 'value="2026-06-30"' in body
