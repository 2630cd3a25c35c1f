"""The coordination pages, manual scores and the two-way page: scoped (404 outside), forms with
errors (400, nothing written), the joint-action lifecycle on core/workflow.py, notices with read
receipts and reminders."""

from __future__ import annotations

import pytest

from gridgov.cases.models import MatterItem
from gridgov.oversight.models import (
    CoordinationGroup,
    JointAction,
    ManualScore,
    MeetingDecision,
    NoticeReceipt,
    Training,
    TwoWayRating,
)
from gridgov.people.models import Staff


def staff_pk(username: str) -> int:
    return Staff.objects.get(user__username=username).pk


def test_groups_page_create_and_scope(town, client_for, make_case):
    office = client_for("town_office")
    assert office.get("/oversight/coordination/").status_code == 200
    water = MatterItem.objects.get(code="0401").matter_class
    bad = office.post("/oversight/groups/new/", {"name": "河道组", "grid": town.village_b.pk})
    assert bad.status_code == 400
    assert not CoordinationGroup.objects.exists()
    done = office.post(
        "/oversight/groups/new/",
        {
            "name": "河道治理组",
            "grid": town.village_b.pk,
            "supervised_objects": "河道",
            "duties": "巡河",
            "departments": [town.env.pk],
            "members": [staff_pk("worker_b1")],
            "matter_classes": [water.pk],
        },
    )
    group = CoordinationGroup.objects.get()
    assert done.status_code == 302
    assert done.url == f"/oversight/groups/{group.pk}/"
    make_case("B1", item="0401")
    page = office.get(done.url).content.decode()
    assert "河道治理组" in page
    assert "group-cases" in page
    # village A's office: neither its territory nor a member: 404.
    assert client_for("village_a").get(done.url).status_code == 404
    # worker_b1 is a member and sees it.
    assert client_for("worker_b1").get(done.url).status_code == 200


def test_joint_action_lifecycle_through_the_pages(town, client_for):
    village = client_for("village_a")
    done = village.post(
        "/oversight/joint-actions/new/",
        {"title": "河道排污集中整治", "grid": town.village_a.pk, "reason": "多次反弹"},
    )
    action = JointAction.objects.get()
    url = f"/oversight/joint-actions/{action.pk}/"
    assert done.url == url
    # The requester cannot decide on its own request.
    assert 'value="approve"' not in village.get(url).content.decode()
    assert village.post(url, {"verb": "approve"}).status_code == 403
    office = client_for("town_office")
    assert 'value="approve"' in office.get(url).content.decode()
    assert office.post(url, {"verb": "approve", "note": "同意"}).status_code == 302
    # Planning without a date is a form error; nothing changes.
    bad = office.post(url, {"verb": "plan", "place": "河堤", "departments": [town.env.pk]})
    assert bad.status_code == 400
    action.refresh_from_db()
    assert action.state == "approved"
    office.post(
        url,
        {
            "verb": "plan",
            "planned_on": "2026-07-01",
            "place": "河堤",
            "departments": [town.env.pk],
        },
    )
    office.post(url, {"verb": "complete", "result": "取缔排污口2处"})
    action.refresh_from_db()
    assert (action.state, action.result) == ("done", "取缔排污口2处")
    assert client_for("worker_b1").get(url).status_code == 404


def test_meeting_training_and_notice_pages(town, client_for):
    office = client_for("town_office")
    office.post(
        "/oversight/meetings/new/",
        {
            "kind": "joint",
            "grid": town.town.pk,
            "held_at": "2026-06-20T09:00",
            "agenda": "河道治理",
            "attendees": [staff_pk("worker_a1")],
            "decision_1": "清理排污口",
            "deadline_1": "2026-07-10",
            "department_1": town.env.pk,
        },
    )
    decision = MeetingDecision.objects.get()
    assert (decision.text, decision.owner_department) == ("清理排污口", town.env)
    bad = office.post(
        "/oversight/trainings/new/",
        {"topic": "业务培训", "grid": town.town.pk, "held_on": "2026-06-21", "hours": "2"},
    )
    assert bad.status_code == 400  # no attendees
    office.post(
        "/oversight/trainings/new/",
        {
            "topic": "业务培训",
            "grid": town.town.pk,
            "held_on": "2026-06-21",
            "hours": "2",
            "attendees": [staff_pk("worker_a1"), staff_pk("worker_b1")],
        },
    )
    assert Training.objects.get().attendees.count() == 2
    done = office.post(
        "/oversight/notices/new/",
        {"title": "防汛通知", "body": "请做好防汛准备", "grid": town.town.pk},
    )
    url = done.url
    worker = client_for("worker_a1")
    assert "防汛通知" in worker.get("/oversight/coordination/").content.decode()
    assert worker.get(url).status_code == 200
    read = NoticeReceipt.objects.get(user__username="worker_a1")
    assert read.read_at is not None
    receipts = office.get(url).content.decode()
    assert "receipts" in receipts
    office.post(url, {"verb": "remind"})
    assert read.reminders == NoticeReceipt.objects.get(pk=read.pk).reminders == 0
    unread = NoticeReceipt.objects.get(user__username="worker_b1")
    assert unread.reminders == 1
    # A worker may read, not remind.
    assert worker.post(url, {"verb": "remind"}).status_code == 403


def test_manual_scores_page_records_the_named_assessor(town, client_for):
    office = client_for("town_office")
    form = {
        "item": "sheet100:publicity",
        "month": "2026-03",
        "unit_kind": "worker",
        "unit_code": "worker_a1",
        "points": "4",
        "note": "宣传报道2篇",
    }
    assert office.post("/oversight/scores/", {**form, "points": "9"}).status_code == 400
    unknown = office.post("/oversight/scores/", {**form, "unit_code": "nobody"})
    assert unknown.status_code == 400
    assert "没有该考核对象" in unknown.content.decode()
    assert not ManualScore.objects.exists()
    assert office.post("/oversight/scores/", form).status_code == 302
    score = ManualScore.objects.get()
    assert (score.assessor.username, score.points, score.note) == ("town_office", 4, "宣传报道2篇")
    assert "宣传报道2篇" in office.get("/oversight/scores/?month=2026-03").content.decode()
    assert client_for("worker_a1").get("/oversight/scores/").status_code == 403


@pytest.mark.parametrize("username", ["env_handler", "town_office"])
def test_two_way_page(town, client_for, username):
    client = client_for(username)
    assert client.get("/oversight/two-way/?month=2026-03").status_code == 200
    direction = "dept_to_platform" if username == "env_handler" else "platform_to_dept"
    form = {
        "direction": direction,
        "month": "2026-03",
        "department": town.env.pk,
        "platform": town.town.pk,
        "score": "85",
        "note": "较好",
    }
    assert client.post("/oversight/two-way/", {**form, "score": "120"}).status_code == 400
    assert client.post("/oversight/two-way/", form).status_code == 302
    rating = TwoWayRating.objects.get()
    assert (rating.direction, rating.rater.username) == (direction, username)
    assert "较好" in client.get("/oversight/two-way/?month=2026-03").content.decode()


def test_two_way_page_is_closed_to_workers(client_for, town):
    assert client_for("worker_a1").get("/oversight/two-way/").status_code == 403
