"""The coordination, survey, manual-score and two-way pages in the browser (issue 12): the office
browses and acts on them, a resident answers the survey from the grid's report page without an
account. Screenshots in test-artifacts/screenshots/oversight-*.png."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.browser.test_oversight_pages import UNLABELLED

pytestmark = pytest.mark.browser


def seed() -> dict[str, Any]:
    from django.utils import timezone

    from gridgov.cases.models import MatterItem
    from gridgov.core.testing.town import Town
    from gridgov.oversight import coordination as c
    from gridgov.oversight.models import RatingDirection, ResidentSurvey
    from gridgov.oversight.twoway import rate
    from gridgov.people.models import Staff

    town = Town()
    office, village = town.user("town_office"), town.user("village_a")
    staff = {s.user.username: s for s in Staff.objects.filter(user__isnull=False)}
    group = c.create_group(
        name="生态环保组",
        grid=town.town,
        supervised_objects="涉污企业、河道、排污口",
        duties="巡查排污、联合整治",
        patrol_content="每周巡河一次",
        departments=[town.env],
        members=[staff["worker_a1"], staff["worker_b1"]],
        matter_classes=[MatterItem.objects.get(code="0401").matter_class],
        by=office,
    )
    action = c.request_joint_action(
        title="河道排污集中整治", grid=town.village_a, reason="多次反弹,需集中执法", by=village
    )
    c.record_meeting(
        kind="joint",
        grid=town.town,
        held_at=timezone.now() - dt.timedelta(days=2),
        agenda="河道治理联席会议",
        minutes="通报排污情况",
        attendees=[staff["worker_a1"]],
        decisions=[
            {
                "text": "清理排污口",
                "deadline": timezone.localdate() + dt.timedelta(days=10),
                "owner_department": town.env,
            }
        ],
        by=office,
    )
    c.record_training(
        topic="网格员业务培训",
        grid=town.town,
        held_on=timezone.localdate() - dt.timedelta(days=3),
        hours=2,
        attendees=[staff["worker_a1"], staff["worker_b1"]],
        by=office,
    )
    notice = c.issue_notice(
        title="防汛工作通知", body="请各网格做好防汛准备。", grid=town.town, by=office
    )
    month = timezone.localdate().strftime("%Y-%m")
    for grid, rating, knows in ((town.a1, 5, True), (town.a1, 3, False), (town.b1, 4, True)):
        ResidentSurvey.objects.create(
            grid=grid,
            month=month,
            source="board",
            knows_worker=knows,
            rating=rating,
            comment="网格员很负责" if rating == 5 else "",
        )
    rate(
        direction=RatingDirection.DEPARTMENT_RATES_PLATFORM,
        month=month,
        department=town.env,
        platform=town.town,
        score=88,
        note="派遣准确",
        by=town.user("env_handler"),
    )
    return {"town": town, "group": group, "action": action, "notice": notice, "month": month}


def test_coordination_pages(open_page: Any, shot: Any) -> None:
    data = seed()
    town = data["town"]
    page = open_page("town_office").page
    page.goto("/oversight/coordination/")
    assert page.locator("#groups tbody tr").count() == 1
    assert page.locator("#joint-actions tbody tr").count() == 1
    assert page.locator("#meetings-table tbody tr").count() == 1
    assert page.locator("#trainings-table tbody tr").count() == 1
    assert page.locator("#notices tbody tr").count() == 1
    shot(page, "oversight-coordination")
    page.goto(f"/oversight/groups/{data['group'].pk}/")
    assert page.locator("#group-cases").count() == 1
    shot(page, "oversight-group")
    # The county-level decision belongs to the town office over the village's request.
    page.goto(f"/oversight/joint-actions/{data['action'].pk}/")
    page.fill("#id_note", "同意集中执法")
    page.click("button[value=approve]")
    page.wait_for_selector("[data-state=approved]")
    page.fill("#id_planned_on", "2030-01-15")
    page.fill("#id_place", "河堤东段")
    page.select_option("#id_departments", [str(town.env.pk), str(town.police.pk)])
    page.click("button[value=plan]")
    page.wait_for_selector("[data-state=planned]")
    shot(page, "oversight-joint-action")
    page.goto(f"/oversight/notices/{data['notice'].pk}/")
    assert page.locator("#receipts tbody tr").count() >= 2
    page.click("button[value=remind]")
    page.wait_for_selector("#receipts")
    shot(page, "oversight-notice")
    page.goto("/oversight/meetings/new/")
    shot(page, "oversight-meeting-form")
    assert page.evaluate(UNLABELLED) == []
    page.goto("/oversight/scores/")
    page.select_option("#id_item", "sheet1000:visits")
    page.fill("#id_month", data["month"])
    page.select_option("#id_unit_kind", "worker")
    page.fill("#id_unit_code", "worker_a1")
    page.fill("#id_points", "45")
    page.fill("#id_note", "走访重点户12户")
    page.click("#manual-score-form button[type=submit]")
    page.wait_for_selector("#manual-scores tbody tr >> text=走访重点户12户")
    shot(page, "oversight-manual-scores")
    assert page.evaluate(UNLABELLED) == []
    page.goto(f"/oversight/surveys/?month={data['month']}")
    assert page.locator("#survey-results tbody tr").count() == 2
    shot(page, "oversight-survey-results")
    page.goto(f"/oversight/two-way/?month={data['month']}")
    assert page.locator("#ratings-up tbody tr").count() == 1
    shot(page, "oversight-two-way")
    assert page.evaluate(UNLABELLED) == []


def test_resident_survey_from_the_report_page(open_page: Any, shot: Any) -> None:
    from gridgov.core.testing.town import Town
    from gridgov.oversight.models import ResidentSurvey

    town = Town()
    page = open_page(None, viewport="phone").page
    page.goto(f"/report/?grid={town.a1.code}")
    page.click("[data-survey-link]")
    page.wait_for_selector("#survey-form")
    assert page.evaluate(UNLABELLED) == []
    page.check("input[name=knows_worker][value=yes]")
    page.check("input[name=rating][value='4']")
    page.fill("#id_comment", "环境改善明显")
    shot(page, "oversight-survey-phone")
    page.click("#survey-form button[type=submit]")
    page.wait_for_selector("[role=status]")
    shot(page, "oversight-survey-thanks")
    answer = ResidentSurvey.objects.get()
    assert (answer.grid_id, answer.rating, answer.knows_worker) == (town.a1.pk, 4, True)


def test_joint_action_links_and_meeting_decisions(open_page: Any, shot: Any) -> None:
    """The office links a case and a hazard to a joint action by number and unlinks one; the
    owning department's handler marks a meeting decision done on the meeting's page."""
    from gridgov.cases.services.intake import report_case
    from gridgov.fieldwork.safety import services as safety
    from gridgov.oversight.models import Meeting, MeetingDecision

    data = seed()
    town = data["town"]
    case = report_case(
        by=town.user("worker_a1"),
        channel="patrol",
        title="河道排污",
        description="排污口排放污水",
        grid_code=town.a1.code,
    ).case
    hazard = safety.report_hazard(
        by=town.user("worker_a1"), grid=town.a1, description="排污口无标识", source="patrol"
    )
    watched = open_page("village_a")
    watched.allow("status of 400")  # the unknown case number this test provokes
    page = watched.page
    page.goto(f"/oversight/joint-actions/{data['action'].pk}/")
    page.fill("#id_case_number", "2000010100000000")
    page.click("#link-form button[value=link]")
    page.wait_for_selector("#link-form [role=alert]")
    page.fill("#id_case_number", case.number)
    page.click("#link-form button[value=link]")
    page.wait_for_selector(f"#joint-links tr[data-case='{case.pk}']")
    page.fill("#id_hazard_number", hazard.number)
    page.click("#link-form button[value=link]")
    page.wait_for_selector(f"#joint-links tr[data-hazard='{hazard.pk}']")
    assert page.evaluate(UNLABELLED) == []
    shot(page, "oversight-joint-action-links")
    page.click(f"#joint-links tr[data-hazard='{hazard.pk}'] button[value=unlink]")
    page.wait_for_function('() => !document.querySelector("#joint-links tr[data-hazard]")')
    assert list(data["action"].cases.all()) == [case]
    meeting = Meeting.objects.get()
    handler = open_page("env_handler").page
    handler.goto(f"/oversight/meetings/{meeting.pk}/")
    decision = MeetingDecision.objects.get()
    handler.fill(f"#note-{decision.pk}", "已清理排污口 2 处")
    shot(handler, "oversight-meeting")
    assert handler.evaluate(UNLABELLED) == []
    handler.click(f"tr[data-decision='{decision.pk}'] button[type=submit]")
    handler.wait_for_selector("[data-state=done]")
    shot(handler, "oversight-meeting-done")
    decision.refresh_from_db()
    assert decision.done_note == "已清理排污口 2 处"
