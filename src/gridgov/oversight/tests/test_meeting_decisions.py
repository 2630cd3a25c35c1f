"""A meeting's decisions become tasks with an owner and a deadline, or cases through the cases
intake; the meeting's page shows each with its state, and the owner marks a task done with a
note (once; a decision taken in as a case follows the case's lifecycle)."""

from __future__ import annotations

import pytest

from gridgov.cases.models import Case
from gridgov.oversight.models import Meeting, MeetingDecision

pytestmark = pytest.mark.django_db


def _meeting(town, client_for):
    office = client_for("village_a")
    done = office.post(
        "/oversight/meetings/new/",
        {
            "kind": "situation",
            "grid": town.village_a.pk,
            "held_at": "2026-06-20T09:00",
            "agenda": "民情分析",
            "decision_1": "清理河道垃圾",
            "deadline_1": "2026-07-10",
            "department_1": town.env.pk,
            "decision_2": "村口路灯损坏,立案维修",
            "deadline_2": "2026-07-05",
            "as_case_2": "on",
        },
    )
    meeting = Meeting.objects.get()
    assert done.status_code == 302
    assert done.url == f"/oversight/meetings/{meeting.pk}/"
    return meeting


def test_decisions_become_a_task_and_a_case_and_the_owner_marks_the_task_done(town, client_for):
    meeting = _meeting(town, client_for)
    task = MeetingDecision.objects.get(text="清理河道垃圾")
    as_case = MeetingDecision.objects.get(case__isnull=False)
    case = Case.objects.get()
    assert as_case.case == case
    assert case.channel == "department"
    assert case.grid == town.village_a
    assert "村口路灯损坏" in case.description
    url = f"/oversight/meetings/{meeting.pk}/"
    page = client_for("village_a").get(url).content.decode()
    assert case.number in page
    assert 'data-state="case"' in page
    assert 'data-state="overdue"' in page or 'data-state="open"' in page
    # The owning department's handler sees the meeting and marks the task done; a note is
    # required.
    handler = client_for("env_handler")
    assert handler.get(url).status_code == 200
    bad = handler.post(url, {"decision": task.pk, "note": " "})
    assert bad.status_code == 400
    task.refresh_from_db()
    assert task.done_at is None
    assert handler.post(url, {"decision": task.pk, "note": "已清理 3 处"}).status_code == 302
    task.refresh_from_db()
    assert task.done_note == "已清理 3 处"
    assert task.done_at is not None
    first = task.done_at
    assert 'data-state="done"' in handler.get(url).content.decode()
    # Once: a second completion is refused and the first stays.
    assert handler.post(url, {"decision": task.pk, "note": "再次"}).status_code == 409
    task.refresh_from_db()
    assert (task.done_at, task.done_note) == (first, "已清理 3 处")
    # A decision taken in as a case is not marked done by hand.
    assert handler.post(url, {"decision": as_case.pk, "note": "完成"}).status_code == 409
    as_case.refresh_from_db()
    assert as_case.done_at is None


def test_outsiders_neither_see_nor_complete(town, client_for):
    meeting = _meeting(town, client_for)
    task = MeetingDecision.objects.get(text="清理河道垃圾")
    url = f"/oversight/meetings/{meeting.pk}/"
    assert client_for("worker_b1").get(url).status_code == 404
    assert client_for("worker_b1").post(url, {"decision": task.pk, "note": "x"}).status_code == 404
    # The leader sees the meeting but owns nothing in it: no form, and a POST is a 403.
    worker = client_for("leader")
    page = worker.get(url)
    assert page.status_code == 200
    assert 'name="note"' not in page.content.decode()
    assert worker.post(url, {"decision": task.pk, "note": "x"}).status_code == 403
    task.refresh_from_db()
    assert task.done_at is None
