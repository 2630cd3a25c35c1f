"""Joint enforcement actions link the cases and hazards their office sees (by number), list
them with their state, unlink them, and the result keeps their states at completion; a case or
hazard the office does not see is a form error naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.errors import DomainError
from gridgov.fieldwork.safety import services as safety
from gridgov.oversight.coordination import (
    act_on_joint_action,
    link_to_joint_action,
    request_joint_action,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(town):
    return request_joint_action(
        title="河道排污集中整治", grid=town.village_a, reason="多次反弹", by=town.user("village_a")
    )


def test_link_list_unlink_and_note_at_completion(town, client_for, make_case, action):
    case = make_case("A1", item="0401")
    hazard = safety.report_hazard(
        by=town.user("worker_a1"), grid=town.a1, description="排污口", source="patrol"
    )
    village = client_for("village_a")
    url = f"/oversight/joint-actions/{action.pk}/"
    assert village.post(url, {"verb": "link", "case_number": case.number}).status_code == 302
    assert village.post(url, {"verb": "link", "hazard_number": hazard.number}).status_code == 302
    assert list(action.cases.all()) == [case]
    assert list(action.hazards.all()) == [hazard]
    page = village.get(url).content.decode()
    assert case.number in page
    assert hazard.number in page
    assert case.get_state_display() in page
    assert hazard.get_state_display() in page
    # Unlinking the hazard leaves the case.
    village.post(url, {"verb": "unlink", "hazard": hazard.pk})
    assert not action.hazards.exists()
    assert action.cases.count() == 1
    village.post(url, {"verb": "link", "hazard_number": hazard.number})
    office = town.user("town_office")
    act_on_joint_action(action=action, verb="approve", by=office)
    act_on_joint_action(
        action=action,
        verb="plan",
        by=office,
        planned_on=dt.date(2026, 7, 1),
        place="河堤",
        departments=[town.env],
    )
    done = act_on_joint_action(action=action, verb="complete", by=office, result="取缔排污口")
    assert done.result.startswith("取缔排污口")
    assert case.number in done.result
    assert hazard.number in done.result
    # Done: no more linking.
    assert 'name="case_number"' not in village.get(url).content.decode()
    assert village.post(url, {"verb": "unlink", "case": case.pk}).status_code == 403
    assert action.cases.count() == 1


def test_an_unseen_case_or_hazard_is_a_form_error_naming_the_field(
    town, client_for, make_case, action
):
    other = make_case("B1", item="0401")  # village B: not village A's office's scope
    hazard = safety.report_hazard(
        by=town.user("worker_b1"), grid=town.b1, description="堆物", source="patrol"
    )
    village = client_for("village_a")
    url = f"/oversight/joint-actions/{action.pk}/"
    bad = village.post(url, {"verb": "link", "case_number": other.number})
    assert bad.status_code == 400
    assert bad.context["link_form"].errors["case_number"]
    bad = village.post(url, {"verb": "link", "hazard_number": hazard.number})
    assert bad.context["link_form"].errors["hazard_number"]
    bad = village.post(url, {"verb": "link", "case_number": "not-a-number"})
    assert bad.context["link_form"].errors["case_number"]
    assert not action.cases.exists()
    assert not action.hazards.exists()
    # The service checks too, naming the field.
    with pytest.raises(DomainError) as err:
        link_to_joint_action(action=action, by=town.user("village_a"), hazards=[hazard])
    assert err.value.field == "hazard_number"
    # Unlinking something not linked is a 404; an outsider cannot link at all.
    assert village.post(url, {"verb": "unlink", "case": other.pk}).status_code == 404
    worker = client_for("worker_a1")
    assert worker.post(url, {"verb": "link", "case_number": other.number}).status_code in (403, 404)
