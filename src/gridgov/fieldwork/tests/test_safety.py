"""Business safety inspections and special campaigns, as stories over the test cast."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from gridgov.cases.models import Case
from gridgov.core.errors import DomainError, ReferenceNotFoundError
from gridgov.fieldwork.safety import services
from gridgov.fieldwork.safety.models import (
    CampaignAnswer,
    Hazard,
    Inspection,
    InspectionFrequency,
)
from gridgov.fieldwork.safety.services import AnswerIn, ItemAnswer
from gridgov.registry.models import Organisation

pytestmark = pytest.mark.django_db


def business(grid, name="王村饭店", *, industry="餐饮业", grade="red", key=False):
    return Organisation.objects.create(
        grid=grid,
        kind="business",
        name=name,
        industry=industry,
        risk_grade=grade,
        key_supervision=key,
    )


def all_ok(org):
    return [ItemAnswer(i.pk, True) for i in services.checklist_for(org.industry).items.all()]


def test_plan_follows_the_frequency_of_each_risk_grade(town):
    red = business(town.a1, "红饭店", grade="red")
    blue = business(town.a1, "蓝商店", industry="零售业", grade="blue")
    key_blue = business(town.a2, "重点蓝", industry="零售业", grade="blue", key=True)
    worker = town.user("worker_a1")
    services.record_inspection(by=worker, organisation=red, answers=all_ok(red))
    services.record_inspection(by=worker, organisation=blue, answers=all_ok(blue))
    rows = {r.organisation.name: r for r in services.inspection_plan(town.user("town_office"))}
    today = timezone.localdate()
    assert rows["红饭店"].next_due == today + dt.timedelta(days=30)
    assert rows["蓝商店"].next_due == today + dt.timedelta(days=180)
    # Never inspected: due today; on the key list: monthly whatever its grade.
    assert (rows["重点蓝"].next_due, rows["重点蓝"].interval_days) == (today, 30)
    # The frequency is data: the office changes it, the plan follows.
    InspectionFrequency.objects.filter(risk_grade="red").update(interval_days=14)
    rows = {r.organisation.name: r for r in services.inspection_plan(town.user("town_office"))}
    assert rows["红饭店"].next_due == today + dt.timedelta(days=14)
    keys = services.inspection_plan(town.user("town_office"), key_only=True)
    assert [r.organisation.pk for r in keys] == [key_blue.pk]
    # The neighbour worker sees nothing of village A.
    assert services.inspection_plan(town.user("worker_b1")) == []


def test_an_inspection_uses_the_industry_checklist_and_turns_problems_into_hazards(town):
    org = business(town.a1)
    checklist = services.checklist_for("餐饮业")
    assert checklist.industry == "餐饮业"
    assert services.checklist_for("没有的行业").industry == ""
    items = list(checklist.items.all())
    answers = [ItemAnswer(i.pk, True) for i in items]
    answers[0] = ItemAnswer(items[0].pk, False, "软管老化", "fix")
    answers[1] = ItemAnswer(items[1].pk, False, "烟道油污", "order", 5)
    answers[2] = ItemAnswer(items[2].pk, False, "疏散通道堵塞", "major")
    result = services.record_inspection(
        by=town.user("worker_a1"), organisation=org, answers=answers, idempotency_key="k1"
    )
    assert result.created
    states = sorted((h.grade, h.state) for h in result.hazards)
    assert states == [("major", "found"), ("ordinary", "closed"), ("ordinary", "rectifying")]
    assert all(h.organisation_id == org.pk and h.inspection_id for h in result.hazards)
    assert result.inspection.answers.filter(ok=False).count() == 3
    again = services.record_inspection(
        by=town.user("worker_a1"), organisation=org, answers=answers, idempotency_key="k1"
    )
    assert not again.created
    assert Inspection.objects.count() == 1
    assert Hazard.objects.count() == 3


def test_an_inspection_must_answer_every_item_and_stay_in_scope(town):
    org = business(town.a1)
    items = list(services.checklist_for("餐饮业").items.all())
    with pytest.raises(DomainError) as missing:
        services.record_inspection(
            by=town.user("worker_a1"), organisation=org, answers=[ItemAnswer(items[0].pk, True)]
        )
    assert missing.value.field == "answers"
    bad = [ItemAnswer(i.pk, True) for i in items]
    bad[0] = ItemAnswer(items[0].pk, False, "", "fix")
    with pytest.raises(DomainError) as no_note:
        services.record_inspection(by=town.user("worker_a1"), organisation=org, answers=bad)
    assert no_note.value.field == f"note_{items[0].pk}"
    with pytest.raises(PermissionDenied):
        services.record_inspection(by=town.user("worker_b1"), organisation=org, answers=all_ok(org))
    assert Inspection.objects.count() == 0


def _campaign(town, **kw):
    return services.create_campaign(
        by=town.user("town_office"),
        title=kw.get("title", "燃气安全专项排查"),
        items=["餐饮场所燃气报警器", "居民液化气瓶存放", "燃气管道占压"],
        grids=kw.get("grids", [town.town]),
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )


def test_campaign_answers_make_cases_and_hazards_and_progress_adds_up(town):
    campaign = _campaign(town)
    items = list(campaign.checklist.items.all())
    worker = town.user("worker_a1")
    result = services.answer_campaign(
        by=worker,
        campaign=campaign,
        grid=town.a1,
        answers=[
            AnswerIn(items[0].pk, "done"),
            AnswerIn(items[1].pk, "case", "3户液化气瓶放在楼道"),
            AnswerIn(items[2].pk, "hazard", "违章建筑占压燃气管道"),
        ],
        idempotency_key="c1",
    )
    assert result.saved == 3
    case = Case.objects.get(pk=result.cases[0].pk)
    assert case.grid_id == town.a1.pk
    assert "燃气安全专项排查" in case.description
    assert result.hazards[0].source == "campaign"
    # A resend saves nothing twice.
    again = services.answer_campaign(
        by=worker, campaign=campaign, grid=town.a1, answers=[AnswerIn(items[0].pk, "done")]
    )
    assert again.saved == 0
    assert CampaignAnswer.objects.filter(campaign=campaign).count() == 3
    [row] = services.campaign_progress(campaign, town.user("town_office"))
    assert (row.level, row.due, row.answered, row.problems) == ("town", 12, 3, 2)
    village_a, village_b = row.children
    assert (village_a.answered, village_a.due, village_b.answered) == (3, 6, 0)
    assert village_a.children[0].complete
    [summary] = services.campaign_summaries([campaign], town.user("town_office"))
    assert (summary.answered, summary.due) == (row.answered, row.due)
    [mine_only] = services.campaign_summaries([campaign], town.user("village_a"))
    assert (mine_only.answered, mine_only.due) == (3, 6)
    # The village operator sees their village only.
    [mine] = services.campaign_progress(campaign, town.user("village_a"))
    assert [v.code for v in mine.children] == [village_a.code]


def test_campaign_rules(town):
    campaign = _campaign(town, grids=[town.village_a])
    item = campaign.checklist.items.first()
    with pytest.raises(ReferenceNotFoundError):  # B1 is outside the campaign's scope
        services.answer_campaign(
            by=town.user("worker_b1"),
            campaign=campaign,
            grid=town.b1,
            answers=[AnswerIn(item.pk, "done")],
        )
    with pytest.raises(PermissionDenied):  # another grid's worker
        services.answer_campaign(
            by=town.user("worker_b1"),
            campaign=campaign,
            grid=town.a1,
            answers=[AnswerIn(item.pk, "done")],
        )
    with pytest.raises(DomainError) as no_note:
        services.answer_campaign(
            by=town.user("worker_a1"),
            campaign=campaign,
            grid=town.a1,
            answers=[AnswerIn(item.pk, "hazard", "")],
        )
    assert no_note.value.field == f"note_{item.pk}"
    with pytest.raises(PermissionDenied):
        services.create_campaign(
            by=town.user("worker_a1"),
            title="x",
            items=["a"],
            grids=[town.a1],
            deadline=timezone.localdate(),
        )
    with pytest.raises(ReferenceNotFoundError):
        services.create_campaign(
            by=town.user("village_a"),
            title="x",
            items=["a"],
            grids=[town.b1],
            deadline=timezone.localdate(),
        )
    mine = services.open_campaigns_for(town.user("worker_a1"))
    assert [(c.pk, g.code, n, total) for c, g, n, total in mine][0][2:] == (0, 3)
    assert services.open_campaigns_for(town.user("worker_b1")) == []
