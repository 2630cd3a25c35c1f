"""Demo visits by plan and a survey with answers (issue 11), for the first dozen demo workers
(fieldwork.demo.MAX_WORKERS; every worker patrols): the plans of last month's and this month's periods are generated
from the registry, most key households are visited each month and some ordinary ones this
quarter (a few workers lag, so the office page shows overdue visits), three occasions are
raised, two problems found on visits became cases, and one survey is answered by one grid's
households. Most visits fall on a patrol of that day and are linked to it, by the rule
`visits.record_visit` links with. Deterministic for a given day; a second call does nothing."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape

from gridgov.core.errors import DomainError
from gridgov.fieldwork import surveys, visits
from gridgov.fieldwork.demo import MAX_WORKERS
from gridgov.fieldwork.models import (
    Occasion,
    Patrol,
    SurveyResponse,
    Visit,
    VisitKind,
    VisitPlanKind,
    VisitTask,
)
from gridgov.fieldwork.services import LOCAL_TZ
from gridgov.grids.models import Grid
from gridgov.people.models import Post, PostKind

LEARNT = (
    "家中老人身体尚好,子女在外务工,定期打电话回家。",
    "家庭收入稳定,孩子在镇中学读书。",
    "反映医保报销流程不清楚,已现场讲解。",
    "独居老人,生活能自理,提醒冬季用火用电安全。",
    "了解到家中有人准备返乡创业,介绍了创业贷款政策。",
    "家庭和睦,对村里环境整治表示满意。",
)
PROBLEMS = (
    "屋后排水沟堵塞,雨天积水。",
    "门前路灯不亮,夜间出行不便。",
    "院墙有裂缝,存在倒塌隐患。",
)
ASSISTANCE = ("代办医保报销材料", "联系村医上门测血压", "送去米面油慰问品", "协助申请临时救助")
PEOPLE = ("户主", "户主及配偶", "老人", "户主子女")
TALKS = ("宣讲防范电信诈骗", "宣讲医保参保政策", "宣讲秸秆禁烧和防火", "宣讲惠农补贴政策")


@dataclass
class DemoVisits:
    tasks: int
    visits: int
    cases: int
    survey_responses: int


def _at(day: date, hour: float) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ) + timedelta(hours=hour)


def _uid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@transaction.atomic
def seed_demo_visits(*, summary: Any, by: Any, today: date | None = None) -> DemoVisits | None:
    from gridgov.registry.models import Household, HouseholdTag

    root = Grid.objects.get(code=summary.root_code)
    if Visit.objects.filter(grid__path__startswith=root.path).exists():
        return None
    today = today or timezone.localdate()
    rng = random.Random(f"gridgov-demo-visits:{root.code}")  # noqa: S311 - demo data
    first_day = today - timedelta(days=30)
    posts = list(
        Post.objects.current()
        .filter(
            grid__path__startswith=root.path,
            grid__children__isnull=True,
            staff__user__isnull=False,
            kind__in=[PostKind.WORKER_FULL, PostKind.WORKER_PART],
        )
        .select_related("staff__user", "grid")
        .order_by("grid__code", "pk")[:MAX_WORKERS]
    )
    # The demo workers' grids get their plans now; the nightly job plans the rest of the town.
    for grid_path in sorted({post.grid.path for post in posts if post.grid is not None}):
        for day in (first_day, today):
            visits.generate_visit_plan(on=day, root_path=grid_path)
    # The demo workers' patrols (fieldwork.demo): most visits are made while one runs.
    patrols: dict[int, list[Patrol]] = defaultdict(list)
    for patrol in Patrol.objects.filter(
        user__in=[p.staff.user for p in posts], ended_at__isnull=False
    ).order_by("started_at", "pk"):
        patrols[patrol.user_id].append(patrol)
    made: list[Visit] = []
    for index, post in enumerate(posts):
        user, grid = post.staff.user, post.grid
        if user is None or grid is None:
            continue
        diligence = 0.45 if index % 4 == 3 else rng.uniform(0.8, 0.97)
        centre = shape(grid.boundary).representative_point() if grid.boundary else None
        homes = list(
            Household.objects.filter(contact_worker=post.staff, closed_on__isnull=True)
            .select_related("building")
            .order_by("pk")
        )
        key_ids = set(
            HouseholdTag.objects.filter(household__in=homes, until__isnull=True).values_list(
                "household_id", flat=True
            )
        )
        for home in homes:
            building = home.building
            lon = building.lon if building and building.lon else (centre.x if centre else None)
            lat = building.lat if building and building.lat else (centre.y if centre else None)
            # Key households: a home visit in each month period (last month and this month).
            # Ordinary households: one in this quarter, for some; a policy talk for some.
            plans: list[tuple[date, date, str]] = []
            if home.pk in key_ids:
                for anchor in (first_day, today):
                    start, end = visits.period_of(anchor, 1)
                    plans.append((max(start, first_day), min(end - timedelta(days=1), today), "h"))
            elif rng.random() < 0.45:
                plans.append((first_day, today, "h"))
            if rng.random() < 0.35:
                plans.append((first_day, today, "t"))
            for start, end, what in plans:
                if end < start or rng.random() > diligence:
                    continue
                day = start + timedelta(days=rng.randrange((end - start).days + 1))
                hour = rng.uniform(9, 11.5) if rng.random() < 0.6 else rng.uniform(14.5, 17)
                at = min(_at(day, hour), timezone.now() - timedelta(minutes=5))
                # Most visits are made on a patrol within the plan's window.
                on_patrol = [
                    p
                    for p in patrols[user.pk]
                    if start <= p.started_at.astimezone(LOCAL_TZ).date() <= end
                ]
                if on_patrol and rng.random() < 0.85:
                    walk = rng.choice(on_patrol)
                    length = (walk.ended_at or walk.started_at) - walk.started_at
                    at = walk.started_at + length * rng.uniform(0.1, 0.9)
                talk = what == "t"
                problem = rng.random() < 0.04
                made.append(
                    Visit(
                        uid=_uid(rng),
                        household=home,
                        grid_id=home.grid_id,
                        user=user,
                        kind=VisitKind.POLICY_TALK if talk else VisitKind.HOME,
                        visited_at=at,
                        lon=lon,
                        lat=lat,
                        people_met=rng.choice(PEOPLE),
                        learnt=rng.choice(TALKS) if talk else rng.choice(LEARNT),
                        problems=rng.choice(PROBLEMS) if problem else "",
                        assistance=rng.choice(ASSISTANCE)
                        if home.pk in key_ids and rng.random() < 0.3
                        else "",
                        patrol=_patrol_at(patrols[user.pk], at),
                    )
                )
    Visit.objects.bulk_create(made, batch_size=1000)
    _complete(root)
    occasions = _occasions(posts, by, today, rng)
    cases = 0
    for visit in Visit.objects.filter(grid__path__startswith=root.path).exclude(problems="")[:2]:
        try:
            visits.visit_to_case(visit=visit, by=visit.user)
        except DomainError:
            continue  # a position the intake refuses: the visit keeps its problem unreported
        cases += 1
    responses = _survey(root, posts, by, rng)
    return DemoVisits(
        tasks=VisitTask.objects.filter(grid__path__startswith=root.path).count() + occasions,
        visits=len(made),
        cases=cases,
        survey_responses=responses,
    )


def _patrol_at(patrols: list[Patrol], at: datetime) -> Patrol | None:
    """The patrol running at `at`, by the rule `visits.record_visit` links a visit with (the
    latest started one that had not ended)."""
    running = [
        p for p in patrols if p.started_at <= at and (p.ended_at is None or p.ended_at >= at)
    ]
    return running[-1] if running else None


def _complete(root: Grid) -> None:
    """Mark the tasks the bulk-made visits answer, by the same rule as `visits.record_visit`."""
    tasks = list(
        VisitTask.objects.filter(grid__path__startswith=root.path, visit__isnull=True).exclude(
            kind=VisitPlanKind.OCCASION
        )
    )
    by_home: dict[int, list[tuple[Any, str, int]]] = {}
    for vid, home, at, kind in Visit.objects.filter(grid__path__startswith=root.path).values_list(
        "pk", "household_id", "visited_at", "kind"
    ):
        by_home.setdefault(home, []).append((at, kind, vid))
    done = []
    for task in tasks:
        for at, kind, vid in sorted(by_home.get(task.household_id, [])):
            if kind in visits.ANSWERS[task.kind] and task.opens_at <= at < task.due_at:
                task.visit_id, task.done_at = vid, at
                done.append(task)
                break
    VisitTask.objects.bulk_update(done, ["visit", "done_at"], batch_size=1000)


def _occasions(posts: list[Any], by: Any, today: date, rng: random.Random) -> int:
    """Three occasions: one attended, one overdue, one open."""
    from gridgov.registry.models import Household

    homes = list(
        Household.objects.filter(
            contact_worker__in=[p.staff for p in posts[:3]],
            contact_worker__user__isnull=False,
            closed_on__isnull=True,
        )
        .select_related("contact_worker__user")
        .order_by("pk")[:40]
    )
    if len(homes) < 3:
        return 0
    picks = rng.sample(homes, 3)
    now = timezone.now()
    specs = (
        (Occasion.DISPUTE, "两户因宅基地边界发生争执", now - timedelta(days=3), True),
        (Occasion.FIVE_MUST_VISIT, "困难户家中老人住院", now - timedelta(days=9), False),
        (Occasion.EMERGENCY, "夜间大风刮倒院墙", now - timedelta(hours=3), False),
    )
    for home, (occasion, reason, raised, attended) in zip(picks, specs, strict=True):
        worker = home.contact_worker.user if home.contact_worker else None
        if worker is None:
            continue
        task = VisitTask.objects.create(
            kind=VisitPlanKind.OCCASION,
            household=home,
            grid_id=home.grid_id,
            worker=worker,
            opens_at=raised,
            due_at=raised + timedelta(hours=visits.OCCASION_HOURS[occasion]),
            occasion=occasion,
            reason=reason,
            raised_by=by,
        )
        if attended:
            visit = Visit.objects.create(
                household=home,
                grid_id=home.grid_id,
                user=worker,
                kind=VisitKind.OCCASION,
                visited_at=raised + timedelta(hours=2),
                people_met="争执双方",
                learnt="到场调解,双方同意请村委会重新丈量。",
            )
            VisitTask.objects.filter(pk=task.pk).update(visit=visit, done_at=visit.visited_at)
    return 3


def _survey(root: Grid, posts: list[Any], by: Any, rng: random.Random) -> int:
    """One survey of the town, answered by the households of the first demo grid."""
    survey = surveys.create_survey(
        by=by,
        title="2026年民情调查表",
        grid_code=root.code,
        description="了解群众所急所盼,每户填写一份(seed 002:发放《民情调查表》)。",
        questions=[
            surveys.QuestionSpec("家庭常住人数", "number"),
            surveys.QuestionSpec("对网格服务是否满意", "single", ["满意", "基本满意", "不满意"]),
            surveys.QuestionSpec(
                "最关心的问题", "multiple", ["医疗", "就业", "教育", "治安", "环境"]
            ),
            surveys.QuestionSpec("家中是否有60岁以上老人", "yes_no"),
            surveys.QuestionSpec("最近一次参加村民会议的日期", "date", required=False),
            surveys.QuestionSpec("意见建议", "text", required=False),
        ],
    )
    if not posts or posts[0].staff.user is None:
        return 0
    from gridgov.registry.models import Household

    homes = list(
        Household.objects.filter(grid=posts[0].grid, closed_on__isnull=True).order_by("pk")[:40]
    )
    qs = list(survey.questions.all())
    rows = []
    today = timezone.localdate()
    for home in homes:
        answers: dict[str, Any] = {
            str(qs[0].pk): rng.randint(1, 6),
            str(qs[1].pk): rng.choices(qs[1].choices, weights=(6, 3, 1))[0],
            str(qs[2].pk): [c for c in qs[2].choices if rng.random() < 0.35] or ["医疗"],
            str(qs[3].pk): rng.random() < 0.55,
        }
        if rng.random() < 0.5:
            answers[str(qs[4].pk)] = (today - timedelta(days=rng.randint(5, 120))).isoformat()
        if rng.random() < 0.2:
            answers[str(qs[5].pk)] = rng.choice(("希望多修路灯", "村里垃圾清运再勤一些", "无"))
        rows.append(
            SurveyResponse(
                uid=_uid(rng),
                survey=survey,
                household=home,
                grid_id=home.grid_id,
                user=posts[0].staff.user,
                answers=answers,
                submitted_at=timezone.now() - timedelta(days=rng.randint(0, 20), hours=3),
            )
        )
    SurveyResponse.objects.bulk_create(rows)
    return len(rows)
