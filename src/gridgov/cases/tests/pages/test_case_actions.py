"""The case page offers only the actions the user may take now; each is a form whose problems
are shown next to the field, and a stale page answers 409 instead of acting twice."""

from __future__ import annotations

import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.cases import services
from gridgov.cases.models import Case, CaseState, CaseTask, TaskRole
from gridgov.core.testing.town import Town

from .conftest import jpeg


def actions_on(client: Any, case: Case) -> list[str]:
    body = client.get(f"/cases/{case.pk}/").content.decode()
    return re.findall(r'data-action="([a-z_]+)"', body)


def test_only_allowed_actions_are_offered(client_for: Any, report: Any) -> None:
    case = report()
    assert actions_on(client_for("village_a"), case)[:2] == ["accept", "classify"]
    assert "accept" not in actions_on(client_for("town_office"), case)
    assert actions_on(client_for("leader"), case) == []
    assert "dispatch" not in actions_on(client_for("worker_a1"), case)


def test_page_shows_deadline_in_working_days_timeline_and_tasks(
    client_for: Any, town: Town, report: Any
) -> None:
    case = services.accept_case(case=report(), by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="需镇里处理")
    case = services.dispatch_case(
        case=case, by=town.user("town_office"), to=town.env, co=[town.police]
    )
    body = client_for("town_office").get(f"/cases/{case.pk}/").content.decode()
    assert "剩余" in body
    assert "个工作日" in body
    for kind in ["report", "accept", "escalate", "register", "dispatch", "co_dispatch"]:
        assert f'data-event="{kind}"' in body
    assert "需镇里处理" in body
    assert "王村镇环保所" in body
    assert "王村派出所" in body
    assert "主办" in body
    assert "协办" in body
    assert "王建国" in body  # who accepted


def test_a_missing_reason_is_shown_next_to_the_field(client_for: Any, report: Any) -> None:
    case = report()
    response = client_for("village_a").post(
        f"/cases/{case.pk}/act/reject/", {"reject-version": case.version, "reject-note": " "}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_reject-note_errors"' in body
    assert 'aria-invalid="true"' in body
    assert re.search(r'<details open data-action="reject">', body)
    case.refresh_from_db()
    assert case.state == CaseState.REPORTED


def test_a_rule_from_the_service_lands_on_its_field(
    client_for: Any, town: Town, report: Any
) -> None:
    case = services.accept_case(case=report(), by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="需镇里处理")
    response = client_for("town_office").post(
        f"/cases/{case.pk}/act/dispatch/",
        {
            "dispatch-version": case.version,
            "dispatch-department": town.env.pk,
            "dispatch-co": [town.env.pk],  # the lead cannot also be its own co-handler
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    errors = body[body.index('id="id_dispatch-co_errors"') :][:300]
    assert "协办" in errors
    assert not case.tasks.exists()
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED


def test_a_level_without_departments_is_not_offered_dispatch(
    client_for: Any, town: Town, report: Any
) -> None:
    """A village acceptance centre has no department of its own (seed 003: it handles the
    matter or passes it up), so it is offered handling and escalation, never a dispatch form
    with nothing to choose."""
    case = services.accept_case(case=report(), by=town.user("village_a"))
    offered = actions_on(client_for("village_a"), case)
    assert "dispatch" not in offered
    assert {"handle", "escalate"} <= set(offered)
    assert "dispatch" not in services.allowed_actions(case, town.user("village_a"))
    response = client_for("village_a").post(
        f"/cases/{case.pk}/act/dispatch/",
        {"dispatch-version": case.version, "dispatch-department": town.env.pk},
    )
    assert response.status_code == 400  # a crafted post: the department is not a choice here
    assert 'id="id_dispatch-department_errors"' in response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED
    # Once at the town, whose departments serve the village, dispatch is offered.
    case = services.escalate_case(case=case, by=town.user("village_a"), note="需镇里处理")
    assert "dispatch" in actions_on(client_for("town_office"), case)


def test_a_stale_page_gets_a_conflict_not_a_second_action(
    client_for: Any, town: Town, report: Any
) -> None:
    case = report()
    seen = case.version
    services.accept_case(case=case, by=town.user("village_a"))
    response = client_for("village_a").post(
        f"/cases/{case.pk}/act/urge/", {"urge-version": seen, "urge-note": "请加快"}
    )
    assert response.status_code == 409
    assert "请刷新后重试" in response.content.decode()
    assert case.events.filter(kind="urge").count() == 0


def test_an_action_not_allowed_is_refused(client_for: Any, report: Any) -> None:
    case = report()
    response = client_for("leader").post(
        f"/cases/{case.pk}/act/accept/", {"accept-version": case.version}
    )
    assert response.status_code == 403
    assert client_for("worker_b1").post(f"/cases/{case.pk}/act/accept/", {}).status_code == 404


def test_forms_take_the_case_to_the_department_and_back(
    client_for: Any, town: Town, report: Any
) -> None:
    case = report()
    village, office, handler = (
        client_for("village_a"),
        client_for("town_office"),
        client_for("env_handler"),
    )

    def post(client: Any, action: str, **data: Any) -> None:
        case.refresh_from_db()
        fields = {
            f"{action}-version": case.version,
            **{f"{action}-{k}": v for k, v in data.items()},
        }
        response = client.post(f"/cases/{case.pk}/act/{action}/", fields)
        assert response.status_code == 302, response.content.decode()[:2000]

    post(village, "accept")
    post(village, "escalate", note="需镇环保所")
    post(
        office,
        "dispatch",
        department=town.env.pk,
        co=[town.police.pk],
        days=3,
        instructions="联合执法",
    )
    assert CaseTask.objects.filter(case=case).count() == 2
    post(handler, "handle")
    photo = SimpleUploadedFile("after.jpg", jpeg(), content_type="image/jpeg")
    post(handler, "feedback", result="已封堵", photos=photo)
    police = CaseTask.objects.get(case=case, role=TaskRole.CO)
    services.handle_case(case=case, by=town.user("admin"), task=police.pk)
    services.feedback_case(
        case=Case.objects.get(pk=case.pk), by=town.user("admin"), result="已调查", task=police.pk
    )
    case.refresh_from_db()
    assert case.state == CaseState.FED_BACK
    assert case.attachments.filter(purpose="feedback").count() == 1
    page = office.get(f"/cases/{case.pk}/").content.decode()
    photo_id = case.attachments.get(purpose="feedback").pk
    assert f"/cases/{case.pk}/photos/{photo_id}/" in page
    assert office.get(f"/cases/{case.pk}/photos/{photo_id}/")["Content-Type"] == "image/jpeg"
    assert client_for("worker_b1").get(f"/cases/{case.pk}/photos/{photo_id}/").status_code == 404
    post(client_for("worker_a1"), "verify", passed="no", note="河面仍有油污")
    case.refresh_from_db()
    assert case.state == CaseState.HANDLING
    assert case.rework_count == 1
