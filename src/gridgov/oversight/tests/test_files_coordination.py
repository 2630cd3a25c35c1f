"""One file per person, rewards and sanctions, contracts; groups, joint actions, meetings,
training and notices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.models import Notification
from gridgov.oversight.coordination import (
    act_on_joint_action,
    create_group,
    group_cases,
    groups_of,
    issue_notice,
    joint_actions_done,
    read_notice,
    record_meeting,
    record_training,
    remind_unread,
    request_joint_action,
)
from gridgov.oversight.files import (
    contract_results,
    person_file,
    record_reward_sanction,
    sign_contract,
)
from gridgov.oversight.models import JointActionState, NoticeReceipt
from gridgov.oversight.services import publish_run
from gridgov.oversight.tests.conftest import at
from gridgov.people.models import Staff


def staff(town, username: str) -> Staff:
    return Staff.objects.get(user=town.user(username))


def test_reward_and_sanction_need_reason_and_approver(town):
    office, leader = town.user("town_office"), town.user("leader")
    a1 = staff(town, "worker_a1")
    today = timezone.localdate()
    record = record_reward_sanction(
        staff=a1,
        kind="withhold",
        reason="三月超期未办结3件",
        approver=office,
        decided_on=today,
        by=office,
        month="2026-03",
        amount=Decimal("200"),
    )
    assert (record.approver, record.is_reward) == (office, False)
    for kwargs, field in (
        ({"kind": "praise", "reason": " "}, "reason"),
        ({"kind": "withhold", "reason": "r"}, "amount"),
        ({"kind": "praise", "reason": "r", "approver": leader}, "approver"),
        ({"kind": "fine", "reason": "r"}, "kind"),
        (
            {"kind": "praise", "reason": "r", "decided_on": today + dt.timedelta(days=1)},
            "decided_on",
        ),
    ):
        args = {"staff": a1, "approver": office, "decided_on": today, "by": office, **kwargs}
        with pytest.raises(DomainError) as err:
            record_reward_sanction(**args)
        assert err.value.field == field
    with pytest.raises(PermissionDenied):
        record_reward_sanction(
            staff=staff(town, "worker_b1"),
            kind="praise",
            reason="r",
            approver=office,
            decided_on=today,
            by=town.user("village_a"),  # not their village
        )


def test_person_file_gathers_the_records(town, make_case):
    office = town.user("town_office")
    a1 = staff(town, "worker_a1")
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9), reporter="worker_a1")
    make_case("A1", state="handling", due=at(3, 10), reporter="worker_a1")
    make_case("A1", state="rejected", reporter="worker_a1")
    publish_run(scheme_code="sheet100", month="2026-03", unit_kind="worker", by=office)
    record_reward_sanction(
        staff=a1,
        kind="praise",
        reason="发现重大隐患",
        approver=office,
        decided_on=at(3, 20).date(),
        by=office,
    )
    record_training(
        topic="网格员业务培训",
        grid=town.town,
        held_on=at(3, 5).date(),
        hours=Decimal("3"),
        attendees=[a1],
        by=office,
    )
    file = person_file(a1)
    assert file.reported == {"total": 3, "open": 1, "closed": 1, "invalid": 1}
    assert [r.run.month for r in file.assessments] == ["2026-03"]
    assert [r.get_kind_display() for r in file.records] == ["表扬"]
    assert file.training_hours == Decimal("3")
    assert [p.grid for p in file.posts] == [town.a1]


def test_contract_against_published_results(town, make_case):
    office = town.user("town_office")
    make_case("B1", state="dispatched", due=at(4, 10))
    for month in ("2026-03", "2026-04"):
        publish_run(scheme_code="gbt30428", month=month, unit_kind="village", by=office)
    contract = sign_contract(
        year=2026,
        town=town.town,
        village=town.village_b,
        targets="案件按期办结率不低于90%",
        scheme_code="gbt30428",
        target_score=Decimal("90"),
        signed_on=dt.date(2026, 1, 10),
        town_signatory=staff(town, "town_office"),
        village_signatory=staff(town, "village_a"),
        by=office,
    )
    assert [(r.month, r.met) for r in contract_results(contract)] == [
        ("2026-03", True),
        ("2026-04", False),
    ]
    with pytest.raises(DomainError):
        sign_contract(
            year=2026,
            town=town.town,
            village=town.a1,  # a unit grid, not a village
            targets="t",
            scheme_code="gbt30428",
            target_score=Decimal("90"),
            signed_on=dt.date(2026, 1, 10),
            town_signatory=staff(town, "town_office"),
            village_signatory=staff(town, "village_a"),
            by=office,
        )


def test_groups_see_their_cases(town, make_case):
    office = town.user("town_office")
    group = create_group(
        name="生态环保组",
        grid=town.town,
        supervised_objects="涉污企业、河道",
        duties="巡查排污",
        departments=[town.env],
        members=[staff(town, "worker_a1")],
        by=office,
    )
    mine = make_case("A1", department=town.env)
    make_case("A1", department=town.police)
    assert list(group_cases(group)) == [mine]
    assert list(groups_of(town.user("env_handler"))) == [group]
    assert list(groups_of(town.user("worker_a1"))) == [group]
    assert list(groups_of(town.user("worker_b1"))) == []


def test_joint_action_lifecycle_and_count(town, make_case):
    village, office = town.user("village_a"), town.user("town_office")
    case = make_case("A1")
    action = request_joint_action(
        title="河道排污集中整治", grid=town.village_a, reason="多次反弹", by=village, cases=[case]
    )
    with pytest.raises(PermissionDenied):
        act_on_joint_action(action=action, verb="approve", by=village)  # not one's own request
    with pytest.raises(ConflictError):
        act_on_joint_action(action=action, verb="complete", by=office, result="r")
    act_on_joint_action(action=action, verb="approve", by=office, note="同意")
    with pytest.raises(DomainError):
        act_on_joint_action(action=action, verb="plan", by=village, place="河道", departments=[])
    act_on_joint_action(
        action=action,
        verb="plan",
        by=village,
        planned_on=timezone.localdate(),
        place="王村河道",
        departments=[town.env, town.police],
        people=[staff(town, "env_handler")],
    )
    done = act_on_joint_action(action=action, verb="complete", by=village, result="拆除暗管2处")
    assert done.state == JointActionState.DONE
    start = timezone.now() - dt.timedelta(days=1)
    assert joint_actions_done(town.town, start, timezone.now() + dt.timedelta(days=1)) == 1
    assert joint_actions_done(town.village_b, start, timezone.now() + dt.timedelta(days=1)) == 0


def test_meeting_decisions_become_tasks_for_their_owners(town):
    office = town.user("town_office")
    meeting = record_meeting(
        kind="situation",
        grid=town.town,
        held_at=timezone.now(),
        agenda="秸秆焚烧",
        minutes="研究部署",
        attendees=[staff(town, "village_a")],
        decisions=[
            {
                "text": "环保所每日巡查",
                "deadline": timezone.localdate(),
                "owner_department": town.env,
            }
        ],
        by=office,
    )
    assert meeting.decisions.get().owner_department == town.env
    assert Notification.objects.filter(
        kind="meeting_decision", user__username="env_handler"
    ).exists()
    with pytest.raises(DomainError) as err:
        record_meeting(
            kind="routine",
            grid=town.town,
            held_at=timezone.now(),
            agenda="a",
            minutes="",
            attendees=[],
            decisions=[{"text": "x", "deadline": timezone.localdate()}],
            by=office,
        )
    assert err.value.field == "decisions[0].owner"


def test_notice_receipts_and_reminders(town):
    office = town.user("town_office")
    notice = issue_notice(
        title="关于开展汛期排查的通知", body="各村即日起排查", grid=town.village_a, by=office
    )
    readers = set(
        NoticeReceipt.objects.filter(notice=notice).values_list("user__username", flat=True)
    )
    assert readers == {"village_a", "worker_a1"}
    read_notice(notice=notice, by=town.user("worker_a1"))
    first = NoticeReceipt.objects.get(notice=notice, user__username="worker_a1").read_at
    read_notice(notice=notice, by=town.user("worker_a1"))
    assert NoticeReceipt.objects.get(notice=notice, user__username="worker_a1").read_at == first
    assert remind_unread(notice=notice, by=office) == 1
    assert NoticeReceipt.objects.get(notice=notice, user__username="village_a").reminders == 1
    with pytest.raises(PermissionDenied):
        issue_notice(title="t", body="b", grid=town.village_b, by=town.user("village_a"))
