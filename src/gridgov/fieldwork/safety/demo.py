"""Demo business safety and a campaign (issue 11): a month of inspections of the demo town's
businesses by their grid workers, hazards in every state (fixed on the spot, rectifying,
overdue, listed with interim measures, awaiting re-inspection, sent back, escalated, closed),
and one gas-safety campaign partly answered. Deterministic (a seeded generator); written
through the services so every hazard has its events."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gridgov.core.jurisdiction import Role
from gridgov.fieldwork.safety import services
from gridgov.fieldwork.safety.models import (
    Campaign,
    CampaignAnswer,
    CampaignOutcome,
    Hazard,
    HazardEvent,
    Inspection,
)
from gridgov.fieldwork.safety.services import AnswerIn, ItemAnswer
from gridgov.grids.models import Grid
from gridgov.people.models import Jurisdiction, Post, PostKind
from gridgov.registry.models import Organisation, OrganisationKind

MAX_WORKERS = 12
CAMPAIGN_ITEMS = [
    "餐饮场所安装燃气泄漏报警器",
    "液化气瓶存放符合规定,无超期瓶",
    "燃气管道无占压、私拉乱接",
    "居民户燃气软管无老化",
]


@dataclass(frozen=True)
class DemoSafety:
    inspections: int
    hazards: dict[str, int]
    campaign_answers: int


def _shift(hazard: Hazard, days: float) -> None:
    """Move a hazard's times (and its events') `days` back, as if found then."""
    delta = dt.timedelta(days=days)
    Hazard.objects.filter(pk=hazard.pk).update(found_at=F("found_at") - delta)
    HazardEvent.objects.filter(hazard=hazard).update(at=F("at") - delta)


@transaction.atomic
def seed_demo_safety(*, summary: Any, by: Any) -> DemoSafety | None:
    """Once per demo town (a second call does nothing)."""
    root = Grid.objects.get(code=summary.root_code)
    if Inspection.objects.filter(grid__path__startswith=root.path).exists():
        return None
    Campaign.objects.filter(grids__isnull=True).delete()  # left by a demo reset
    office_row = (
        Jurisdiction.objects.filter(active=True, role=Role.OFFICE, grid__path__startswith=root.path)
        .select_related("user", "grid")
        .order_by("grid__path", "pk")
        .first()
    )
    office = office_row.user if office_row else by
    posts = list(
        Post.objects.current()
        .filter(
            grid__path__startswith=root.path,
            grid__children__isnull=True,
            staff__user__isnull=False,
            kind__in=[PostKind.WORKER_FULL, PostKind.WORKER_PART],
        )
        .select_related("staff__user", "grid__region")
        .order_by("grid__code", "pk")[:MAX_WORKERS]
    )
    rng = random.Random(f"gridgov-demo-safety:{root.code}")  # noqa: S311 - demo data
    now = timezone.now()
    inspections = 0
    for post in posts:
        worker, grid = post.staff.user, post.grid
        if worker is None or grid is None:
            continue
        orgs = list(
            Organisation.objects.filter(grid=grid, kind=OrganisationKind.BUSINESS).order_by("pk")[
                :4
            ]
        )
        for org in orgs:
            checklist = services.checklist_for(org.industry)
            items = list(checklist.items.all())
            answers = []
            for item in items:
                roll = rng.random()
                if roll < 0.80:
                    answers.append(ItemAnswer(item.pk, True))
                elif roll < 0.88:
                    answers.append(ItemAnswer(item.pk, False, "已督促现场整改", services.ON_SPOT))
                elif roll < 0.97:
                    answers.append(
                        ItemAnswer(
                            item.pk, False, "需更换设备", services.ORDER, rng.choice([3, 5, 7])
                        )
                    )
                else:
                    answers.append(ItemAnswer(item.pk, False, "存在较大风险", services.MAJOR))
            result = services.record_inspection(by=worker, organisation=org, answers=answers)
            days_ago = rng.randint(1, 28)
            Inspection.objects.filter(pk=result.inspection.pk).update(
                at=now - dt.timedelta(days=days_ago, hours=rng.randint(0, 6))
            )
            for hazard in result.hazards:
                _shift(hazard, days_ago)
            inspections += 1
    _move_some_hazards(root, office, rng)
    answered = _campaign(root, office, posts, rng)
    counts: dict[str, int] = {}
    for state in Hazard.objects.filter(grid__path__startswith=root.path).values_list(
        "state", flat=True
    ):
        counts[state] = counts.get(state, 0) + 1
    return DemoSafety(inspections, counts, answered)


def _move_some_hazards(root: Grid, office: Any, rng: random.Random) -> None:
    """Carry some rectifying hazards on: done and awaiting review, closed, sent back, overdue
    and escalated; list the major ones with interim measures."""
    town = Hazard.objects.filter(grid__path__startswith=root.path)
    for hazard in town.filter(state="found", grade="major").order_by("pk"):
        services.list_hazard(
            hazard, by=office, days=15, measures="设置警戒区域,停用相关设备,专人值守"
        )
    rectifying = list(town.filter(state="rectifying").select_related("grid").order_by("pk"))
    for n, hazard in enumerate(rectifying):
        step = n % 5
        if step == 0:
            services.complete_rectification(hazard, by=hazard.found_by, note="已更换,拍照留存")
        elif step == 1:
            done = services.complete_rectification(hazard, by=hazard.found_by, note="已整改")
            services.review_hazard(done, by=hazard.found_by, passed=True)
        elif step == 2:
            done = services.complete_rectification(hazard, by=hazard.found_by, note="部分整改")
            services.review_hazard(done, by=hazard.found_by, passed=False, days=3, note="未到位")
        elif step == 3:
            Hazard.objects.filter(pk=hazard.pk).update(
                due_at=timezone.now() - dt.timedelta(days=rng.randint(2, 6))
            )
            if n % 2:
                level = Jurisdiction.objects.filter(
                    active=True, role=Role.OFFICE, grid=hazard.level_grid
                ).first()
                if level is not None:
                    services.urge_hazard(hazard, by=level.user, note="请督促企业按期整改")
                    if hazard.level_grid.parent_id is not None:
                        services.escalate_hazard(
                            hazard, by=level.user, note="逾期未整改,报上级网格办"
                        )


def _campaign(root: Grid, office: Any, posts: list[Post], rng: random.Random) -> int:
    """One gas-safety campaign over the town; about half of the unit grids have answered."""
    campaign = services.create_campaign(
        by=office,
        title="燃气安全专项排查",
        items=CAMPAIGN_ITEMS,
        grids=[root],
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )
    items = list(campaign.checklist.items.all())
    saved = 0
    for n, post in enumerate(posts):
        worker, grid = post.staff.user, post.grid
        if worker is None or grid is None or n % 2:
            continue
        answers = []
        for m, item in enumerate(items[: 2 + n % 3]):
            if (n + m) % 7 == 3:
                answers.append(AnswerIn(item.pk, CampaignOutcome.CASE, "楼道堆放液化气瓶3只"))
            elif (n + m) % 7 == 5:
                answers.append(AnswerIn(item.pk, CampaignOutcome.HAZARD, "燃气管道被违建占压"))
            else:
                answers.append(AnswerIn(item.pk, CampaignOutcome.DONE))
        saved += services.answer_campaign(
            by=worker, campaign=campaign, grid=grid, answers=answers
        ).saved
    return CampaignAnswer.objects.filter(campaign=campaign).count() if saved else 0
