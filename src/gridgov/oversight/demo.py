"""Demo oversight data on top of the demo town and its cases: six months of published
assessments under sheet100 and sheet1000 and of the departments under dept100 (one appealed,
accepted and re-published), residents' survey answers and two-way ratings, warnings
of every colour from the rules, two bulletins, a group, a joint action, a meeting, a training
and a notice. Deterministic (fixed seed); a second call finds the runs and does nothing.

The office's inputs (manual scores by the named assessor town_office, survey votes) are demo
values drawn from a fixed seed; every computed item comes from the demo's cases. The demo
cases cover the last 90 days, so the older months score their rate items on empty sets."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gridgov.grids.models import Grid
from gridgov.oversight.coordination import (
    act_on_joint_action,
    create_group,
    issue_notice,
    link_to_joint_action,
    record_meeting,
    record_training,
    request_joint_action,
)
from gridgov.oversight.indicators import UnitKind, units_of
from gridgov.oversight.models import (
    AssessmentRun,
    ItemKind,
    ManualScore,
    Scheme,
    SurveyResult,
)
from gridgov.oversight.services import act_on_appeal, publish_run, raise_appeal, republish_run
from gridgov.oversight.warnings import evaluate_warnings, issue_bulletin, save_rule
from gridgov.people.models import Department, Staff

RUNS = (
    ("sheet100", UnitKind.WORKER),
    ("sheet1000", UnitKind.WORKER),
    ("sheet1000", UnitKind.VILLAGE),
    ("dept100", UnitKind.DEPARTMENT),
)


def last_months(today: dt.date, n: int = 6) -> list[str]:
    months = []
    year, month = today.year, today.month
    for _i in range(n):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(f"{year}-{month:02d}")
    return list(reversed(months))


def _inputs(months: list[str], assessor: Any, rng: random.Random) -> None:
    workers = units_of(UnitKind.WORKER)
    manual = []
    surveys = []
    for code in ("sheet100", "sheet1000"):
        items = Scheme.objects.get(code=code, is_current=True).items.filter(kind=ItemKind.MANUAL)
        for month in months:
            for unit in workers:
                for item in items:
                    low = float(item.weight) * 0.6
                    points = Decimal(str(round(rng.uniform(low, float(item.weight)), 1)))
                    manual.append(
                        ManualScore(
                            scheme_code=code,
                            item_code=item.code,
                            month=month,
                            unit_kind=UnitKind.WORKER,
                            unit_code=unit.code,
                            points=points,
                            note="演示:按考勤登记和工作记录评分",
                            assessor=assessor,
                        )
                    )
    for month in months:
        for unit in workers:
            surveys.append(
                SurveyResult(
                    month=month,
                    unit_kind=UnitKind.WORKER,
                    unit_code=unit.code,
                    satisfied=rng.randint(30, 50),
                    fairly=rng.randint(5, 15),
                    dissatisfied=rng.randint(0, 5),
                    entered_by=assessor,
                )
            )
    ManualScore.objects.bulk_create(manual, batch_size=1000, ignore_conflicts=True)
    SurveyResult.objects.bulk_create(surveys, batch_size=1000, ignore_conflicts=True)


def _residents_and_two_way(months: list[str], root: Grid, office: Any, rng: random.Random) -> None:
    """Residents' answers (群众评价) in each unit grid and month, and the two-way assessment:
    each department of the town rates the town platform, the town office rates each department."""
    from gridgov.core.jurisdiction import Role
    from gridgov.oversight.models import RatingDirection, ResidentSurvey, TwoWayRating
    from gridgov.people.models import Jurisdiction

    units = [u for u in units_of(UnitKind.GRID) if u.code.startswith(root.code[:9])][:40]
    answers = []
    for month in months:
        for unit in units:
            for _n in range(rng.randint(2, 6)):
                answers.append(
                    ResidentSurvey(
                        grid_id=unit.key,
                        month=month,
                        source="board" if rng.random() < 0.7 else "callback",
                        knows_worker=rng.random() < 0.8,
                        rating=rng.choices([5, 4, 3, 2], weights=[6, 3, 1, 0.3])[0],
                    )
                )
    ResidentSurvey.objects.bulk_create(answers, batch_size=1000)
    departments = list(Department.objects.filter(region=root.region, is_active=True))
    handlers = {
        j.department_id: j.user
        for j in Jurisdiction.objects.filter(
            role=Role.HANDLER, active=True, department__in=departments
        ).select_related("user")
    }
    ratings = []
    for month in months:
        for dept in departments:
            rater = handlers.get(dept.pk)
            if rater is not None:
                ratings.append(
                    TwoWayRating(
                        month=month,
                        direction=RatingDirection.DEPARTMENT_RATES_PLATFORM,
                        department=dept,
                        platform=root,
                        score=Decimal(rng.randint(80, 98)),
                        note="演示:派遣准确,个别案件派遣不够及时",
                        rater=rater,
                    )
                )
            ratings.append(
                TwoWayRating(
                    month=month,
                    direction=RatingDirection.PLATFORM_RATES_DEPARTMENT,
                    department=dept,
                    platform=root,
                    score=Decimal(rng.randint(75, 98)),
                    note="演示:按期处置,反馈规范",
                    rater=office,
                )
            )
    TwoWayRating.objects.bulk_create(ratings, batch_size=1000, ignore_conflicts=True)


def _straw_burning(root: Grid) -> None:
    """A burst of straw-burning patrol reports this week in four unit grids (3, 5, 8 and 12
    reports), reported through the real intake by each grid's own worker: the same-class rule
    then warns blue, yellow, orange and red."""
    from gridgov.cases.models import Channel, MatterItem
    from gridgov.cases.notifications import silenced
    from gridgov.cases.services.intake import report_case
    from gridgov.core.jurisdiction import Role
    from gridgov.people.models import Jurisdiction

    item = MatterItem.objects.get(code="0402")
    rows = (
        Jurisdiction.objects.filter(
            role=Role.WORKER, active=True, grid__path__startswith=root.path, grid__children=None
        )
        .select_related("grid", "user")
        .order_by("grid__code")
    )
    workers = list(rows)
    if not workers:
        return
    # Four grids spread over the town (fewer when the town has fewer workers).
    chosen = list({id(w): w for w in (workers[i * len(workers) // 4] for i in range(4))}.values())
    with silenced():
        for row, n in zip(chosen, (3, 5, 8, 12), strict=False):
            grid = row.grid
            if grid is None:
                continue
            for k in range(n):
                report_case(
                    by=row.user,
                    channel=Channel.PATROL,
                    description=f"田间发现露天焚烧秸秆(第{k + 1}处)",
                    item=item,
                    lon=(grid.label_lon or 0) + 0.0004 * (k % 4 - 1.5) / 4,
                    lat=(grid.label_lat or 0) + 0.0004 * (k // 4 - 1) / 4,
                )


def _warning_rules(office: Any) -> None:
    """The demo office adds a red level to the same-class rule (rules are data it tunes)."""
    save_rule(
        code="same_class_7d",
        name="7天内同一网格同类案件集中发生",
        kind="cluster",
        params={"days": 7, "levels": {"blue": 3, "yellow": 5, "orange": 8, "red": 12}},
        by=office,
        note="演示:增设红色预警阈值",
    )


def seed_demo_oversight(*, summary: Any, by: Any, today: dt.date | None = None) -> int:
    """Seed once; returns the number of runs published (0 when already there)."""
    if AssessmentRun.objects.exists():
        return 0
    today = today or timezone.localdate()
    users = get_user_model().objects
    office = users.get(username="town_office")
    root = Grid.objects.get(code=summary.root_code)
    rng = random.Random(2026)  # noqa: S311 (demo values, not secrets)
    months = last_months(today)
    published = 0
    with transaction.atomic():
        _inputs(months, office, rng)
        _residents_and_two_way(months, root, office, random.Random(2027))  # noqa: S311
        runs = {}
        for month in months:
            for code, kind in RUNS:
                runs[(code, kind, month)] = publish_run(
                    scheme_code=code, month=month, unit_kind=kind, by=office
                )
                published += 1
        # One appeal: the first worker of the latest sheet100 run contests an item.
        run = runs[("sheet100", UnitKind.WORKER, months[-1])]
        result = run.results.order_by("-rank", "code").first()
        if result is not None and result.user_id_ref:
            appellant = users.get(pk=result.user_id_ref)
            appeal = raise_appeal(
                result=result,
                item_code="attendance",
                reason="当月两天外出参加县里培训,已请假,考勤按缺勤计了",
                requested_points=Decimal(5),
                by=appellant,
            )
            act_on_appeal(appeal=appeal, verb="review", by=office)
            act_on_appeal(
                appeal=appeal,
                verb="accept",
                by=office,
                note="经核对请假记录属实,出勤项按满分更正",
                corrected_points=Decimal(5),
            )
            republish_run(run=run, by=office, note="申诉更正后重新公布")
        _straw_burning(root)
        _warning_rules(office)
        evaluate_warnings()
        _coordination(root, office, today)
    return published


def _coordination(root: Grid, office: Any, today: dt.date) -> None:
    env = Department.objects.filter(kind="environment", region=root.region).first()
    police = Department.objects.filter(kind="police", region=root.region).first()
    departments = [d for d in (env, police) if d is not None]
    if not departments:
        departments = list(Department.objects.filter(region=root.region)[:2])
    village = Grid.objects.filter(parent=root).order_by("code").first() or root
    for title, level, grid, situation, measures in (
        (
            "秋季秸秆禁烧预警",
            "orange",
            root,
            "近一周辖区多处发现露天焚烧秸秆,热线诉求明显增多。",
            "各工作站每日巡查田间地头;环保所会同派出所开展联合督查,发现一起处置一起。",
        ),
        (
            f"{village.name}河道排污隐患预警",
            "yellow",
            village,
            "河道沿线发现暗管排污线索,群众反映集中。",
            "环保所三日内完成排查并反馈,工作站落实专人每日巡河。",
        ),
    ):
        issue_bulletin(
            title=title,
            level=level,
            grid=grid,
            situation=situation,
            measures=measures,
            deadline=today + dt.timedelta(days=7),
            departments=departments,
            by=office,
        )
    members = list(Staff.objects.filter(posts__grid__parent=root).distinct()[:6])
    from gridgov.cases.models import MatterClass

    create_group(
        matter_classes=list(
            MatterClass.objects.filter(items__code__in=["0401", "0402"]).distinct()
        ),
        name="生态环保组",
        grid=root,
        supervised_objects="涉水涉气企业、河道沟渠、秸秆焚烧",
        duties="联合巡查、线索移交、集中整治",
        patrol_content="每周巡查河道两次,秸秆禁烧期每日巡查",
        departments=departments,
        members=members,
        by=office,
    )
    action = request_joint_action(
        title="河道排污集中整治",
        grid=village,
        reason="排污线索反复出现,需多部门集中执法",
        by=office,
    )
    # The action's linked cases and hazards: the village's first environmental cases and hazard.
    from gridgov.cases.models import Case
    from gridgov.fieldwork.safety.models import Hazard

    link_to_joint_action(
        action=action,
        by=office,
        cases=list(
            Case.objects.filter(
                grid__path__startswith=village.path, item__code__in=["0401", "0402"]
            )
            .select_related("grid")
            .order_by("pk")[:2]
        ),
        hazards=list(
            Hazard.objects.filter(grid__path__startswith=village.path)
            .select_related("grid")
            .order_by("pk")[:1]
        ),
    )
    record_meeting(
        kind="situation",
        grid=root,
        held_at=timezone.now() - dt.timedelta(days=3),
        agenda="研判本月热线诉求和超期案件",
        minutes="超期案件集中在个别工作站,议定专项督办。",
        attendees=members,
        decisions=[
            {
                "text": "对超期案件逐件督办,月底前清零",
                "deadline": today + dt.timedelta(days=14),
                "owner_department": departments[0],
            }
        ],
        by=office,
    )
    record_training(
        topic="网格员业务能力培训(事件上报与走访)",
        grid=root,
        held_on=today - dt.timedelta(days=20),
        hours=Decimal("3"),
        attendees=members,
        by=office,
    )
    issue_notice(
        title="关于做好月度考核资料报送的通知",
        body="请各工作站于每月3日前报送考勤登记和宣传报道材料。",
        grid=root,
        by=office,
    )
    county = get_user_model().objects.filter(username="county_office").first()
    if county is not None and county.has_perm("oversight.decide_joint_action", action):
        act_on_joint_action(action=action, verb="approve", by=county, note="同意集中执法")
        act_on_joint_action(
            action=action,
            verb="plan",
            by=office,
            planned_on=today - dt.timedelta(days=2),
            place=f"{village.name}沿河两岸",
            departments=departments,
            people=members[:3],
        )
        act_on_joint_action(
            action=action, verb="complete", by=office, result="拆除排污暗管2处,立案查处1起"
        )
