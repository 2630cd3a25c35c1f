"""Demo hotline data (issue 13): the 12345 hotline as an outside source with its mapping, sixteen
weeks of residents' calls imported through the real import, the weekly back-tracing rounds
(倒查, numbered) run over them, their tasks in every state, last quarter's grid tier proposal
(one confirmed) and the classifier trained on the demo's closed cases, so unclassified calls
carry a suggestion for the operator.

Which calls exist is decided here; whether a call was found by the grid first is decided by the
crosscheck itself. Some calls repeat a worker's patrol report of the same place and item a few
hours to two days later (seed 001: the grid found it first); the others are things the grids
did not report. Deterministic (fixed seed) for the same demo built on the same day; a second
call finds the source and does nothing.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import random
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from shapely.geometry import Point, shape

from gridgov.cases.models import INVALID_STATES, Case, Channel, MatterItem
from gridgov.core.errors import DomainError
from gridgov.grids.models import Grid
from gridgov.hotline.models import (
    BacktraceTask,
    CrosscheckResult,
    CrosscheckRound,
    HotlineImport,
    HotlineRecord,
    HotlineSource,
    TextModel,
    TierProposal,
)
from gridgov.hotline.services import import_hotline, run_crosscheck
from gridgov.hotline.services.crosscheck import answer_backtrace, review_backtrace
from gridgov.hotline.services.suggest import train_classifier
from gridgov.hotline.services.tiers import confirm_tiers, last_quarter, propose_tiers

SOURCE = "12345"
WEEKS = 16
# Share of the workers' patrol reports that a resident also calls in to 12345 afterwards.
ECHO_SHARE = 0.3
# Calls a week about things no grid reported, and calls in the source's catch-all category.
OTHER_PER_WEEK = 5
UNCLASSIFIED = 9
# The hotline's time limit in days (办理期限), and its catch-all category that maps to no item.
DUE_DAYS = 5
CATCH_ALL = "其他"
MAPPING_HEAD = f"""# 12345 市民热线的导出(演示):列名、分类和状态的对照
timezone = "Asia/Shanghai"
crs = "wgs84"
# 来源用作"位置不详"的固定点
placeholder_points = [[117.0, 35.0]]

[columns]
external_number = "工单编号"
received_at = "受理时间"
description = "诉求内容"
category = "诉求分类"
lon = "经度"
lat = "纬度"
address = "地址"
status = "工单状态"
due_at = "办理时限"
closed_at = "办结时间"
satisfaction = "满意度"

[statuses]
"已办结" = "closed"
"办理中" = "open"
"已撤单" = "cancelled"

# "{CATCH_ALL}" 不映射:这类工单进入"未分类工单",由操作员参考系统建议分类
[categories]
"""
HEADER = ["工单编号", "受理时间", "诉求内容", "诉求分类", "经度", "纬度", "地址", "工单状态", "办理时限", "办结时间", "满意度"]  # fmt: skip
VOICES = ["市民来电反映:", "群众来电称", "来电人反映,", "市民通过热线反映"]
ASKS = ["希望尽快处理。", "请相关部门核实处理。", "已多次反映,要求解决。", "影响生活,盼早日解决。"]


@dataclass(frozen=True)
class DemoHotline:
    records: int
    echoes: int
    unclassified: int
    rounds: int
    tasks: int
    proposals: int
    echo_numbers: tuple[str, ...]  # the calls that repeat a grid report (for the tests)


def seed_demo_hotline(*, summary: Any, by: Any, today: dt.date | None = None) -> DemoHotline | None:
    """Seed once; None when the demo's source is already there."""
    if HotlineSource.objects.filter(name=SOURCE).exists():
        return None
    today = today or timezone.localdate()
    rng = random.Random(12345)  # noqa: S311 (demo values, not secrets)
    root = Grid.objects.get(code=summary.root_code)
    monday = today - dt.timedelta(days=today.weekday())
    first_day = monday - dt.timedelta(weeks=WEEKS)
    users = get_user_model().objects
    office = users.get(username="town_office")
    with transaction.atomic():
        # A demo without enough closed cases simply has no suggestions.
        with contextlib.suppress(DomainError):
            train_classifier(by=by)
        rows, echo_numbers, items = _calls(root, first_day, today, rng)
        mapping = MAPPING_HEAD + "".join(f'"{_label(i)}" = "{i.code}"\n' for i in items)
        result = import_hotline(
            data=_csv(rows),
            filename="12345-演示导出.csv",
            source=SOURCE,
            by=by,
            mapping_text=mapping,
        )
        HotlineSource.objects.filter(name=SOURCE).update(label="12345 市民热线")
        rounds = 0
        for week in range(WEEKS):
            start = first_day + dt.timedelta(weeks=week)
            run_crosscheck(start=start, end=start + dt.timedelta(days=6), by=None, weekly=True)
            rounds += 1
        tasks = _work_tasks(office, monday, rng)
        quarter = last_quarter(today)
        proposals = propose_tiers(quarter=quarter, by=office)
        chosen = next((p for p in proposals if p.proposed_tier != p.current_tier), None)
        chosen = chosen or (proposals[0] if proposals else None)
        if chosen is not None:
            confirm_tiers(proposals=TierProposal.objects.filter(pk=chosen.pk), by=office)
    return DemoHotline(
        records=result.created,
        echoes=len(echo_numbers),
        unclassified=result.unclassified,
        rounds=rounds,
        tasks=tasks,
        proposals=len(proposals),
        echo_numbers=echo_numbers,
    )


def clear_hotline() -> None:
    """Delete the hotline app's data (demo --reset): records hang on the grids being deleted,
    and rounds left behind would hold the weeks the rebuilt demo runs again. The matching rule
    is configuration and stays."""
    for model in (
        BacktraceTask,
        CrosscheckResult,
        CrosscheckRound,
        TierProposal,
        HotlineRecord,
        HotlineImport,
        HotlineSource,
        TextModel,
    ):
        model._base_manager.all().delete()


def _label(item: MatterItem) -> str:
    """The hotline's own category wording: class and item (城乡建设-…), not our codes."""
    return f"{item.matter_class.name}-{item.name}"


def _calls(
    root: Grid, first_day: dt.date, today: dt.date, rng: random.Random
) -> tuple[list[list[str]], tuple[str, ...], list[MatterItem]]:
    """The export's rows (oldest first), the numbers of those that repeat a grid report, and
    the items used."""
    tz = timezone.get_default_timezone()
    start = timezone.make_aware(dt.datetime.combine(first_day, dt.time(0, 0)), tz)
    end = timezone.make_aware(dt.datetime.combine(today, dt.time(0, 0)), tz)
    units = list(Grid.objects.active().leaves().filter(path__startswith=root.path).order_by("path"))
    patrols = list(
        Case.objects.filter(
            channel=Channel.PATROL,
            item__isnull=False,
            lon__isnull=False,
            created_at__gte=start,
            created_at__lt=end - dt.timedelta(days=2),
            grid__path__startswith=root.path,
        )
        .exclude(state__in=INVALID_STATES)
        .select_related("item__matter_class")
        .order_by("created_at", "pk")
    )
    calls: list[tuple[dt.datetime, MatterItem | None, float, float, str, bool]] = []
    for case in patrols:
        if rng.random() >= ECHO_SHARE:
            continue
        at = case.created_at + dt.timedelta(minutes=rng.randint(4 * 60, 46 * 60))
        lon = round(case.lon + rng.uniform(-0.0002, 0.0002), 6)  # type: ignore[operator]
        lat = round(case.lat + rng.uniform(-0.0002, 0.0002), 6)  # type: ignore[operator]
        calls.append((at, case.item, lon, lat, case.grid.name, True))
    used = sorted({c[1].pk: c[1] for c in calls if c[1]}.values(), key=lambda i: i.code)
    pool = used or list(MatterItem.objects.active().select_related("matter_class")[:20])
    shapes: dict[int, Any] = {}
    span = int((end - start).total_seconds())
    for n in range(WEEKS * OTHER_PER_WEEK + UNCLASSIFIED):
        unit = rng.choice(units)
        item = rng.choice(pool) if n < WEEKS * OTHER_PER_WEEK else None
        lon, lat = _point(unit, shapes, rng)
        at = start + dt.timedelta(seconds=rng.randrange(span))
        calls.append((at, item, lon, lat, unit.name, False))
    calls.sort(key=lambda c: c[0])
    rows, echoes = [], []
    for n, (at, item, lon, lat, place, echo) in enumerate(calls, start=1):
        rows.append(_row(n, at, item, lon, lat, place, end, rng))
        if echo:
            echoes.append(rows[-1][0])
    items = sorted({c[1].pk: c[1] for c in calls if c[1]}.values(), key=lambda i: i.code)
    return rows, tuple(echoes), items


def _row(
    n: int,
    at: dt.datetime,
    item: MatterItem | None,
    lon: float,
    lat: float,
    place: str,
    end: dt.datetime,
    rng: random.Random,
) -> list[str]:
    """One export row in the source's own words and date format (seconds only sometimes, as
    real exports drop them)."""
    local = timezone.localtime(at)

    def stamp(value: dt.datetime) -> str:
        value = timezone.localtime(value)
        return value.strftime("%Y/%m/%d %H:%M:%S" if value.second % 3 == 0 else "%Y/%m/%d %H:%M")

    subject = item.name if item is not None else rng.choice(["路灯不亮", "噪音扰民", "垃圾未清运", "道路破损", "停水"])  # fmt: skip
    text = f"{rng.choice(VOICES)}{place}附近{subject},{rng.choice(ASKS)}"
    due = at + dt.timedelta(days=DUE_DAYS)
    age = (end - at).days
    status, closed, rating = "办理中", "", ""
    if rng.random() < 0.03:
        status = "已撤单"
    elif age > 10 or rng.random() < 0.5:
        # About one call in five is closed after its time limit.
        took = dt.timedelta(hours=rng.uniform(6, DUE_DAYS * 24 * 1.4))
        if at + took < end:
            status, closed = "已办结", stamp(at + took)
            rating = rng.choices(["满意", "基本满意", "不满意", ""], [70, 20, 7, 3])[0]
    return [
        f"SD{local:%Y%m%d}{n:04d}",
        stamp(at),
        text,
        _label(item) if item is not None else CATCH_ALL,
        f"{lon:.6f}",
        f"{lat:.6f}",
        f"{place}附近",
        status,
        stamp(due),
        closed,
        rating,
    ]


def _point(unit: Grid, shapes: dict[int, Any], rng: random.Random) -> tuple[float, float]:
    polygon = shapes.get(unit.pk)
    if polygon is None:
        polygon = shapes[unit.pk] = shape(unit.boundary)
    minx, miny, maxx, maxy = polygon.bounds
    for _ in range(50):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if polygon.contains(Point(lon, lat)):
            return round(lon, 6), round(lat, 6)
    return unit.label_lon or minx, unit.label_lat or miny


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


EXPLANATIONS = [
    "当日在本网格另一片区巡查,未到该点位",
    "该点位位于网格交界处,巡查路线未覆盖",
    "群众夜间发现,次日巡查前已来电",
]
CORRECTIONS = ["已到现场核实并上报处置,巡查路线已调整", "已整改完毕,纳入日常巡查重点点位"]


def _work_tasks(office: Any, monday: dt.date, rng: random.Random) -> int:
    """The workers answer the older rounds' tasks and the office reviews most answers; the last
    two weeks' tasks are still open, a few older ones too, one was sent back."""
    recent = monday - dt.timedelta(weeks=2)
    tasks = list(BacktraceTask.objects.select_related("assignee", "result__round").order_by("pk"))
    sent_back = False
    for task in tasks:
        if task.result.round.period_start >= recent or rng.random() < 0.1:
            continue
        worker = task.assignee or office
        if rng.random() < 0.6:
            task = answer_backtrace(
                task=task, verb="explain", answer=rng.choice(EXPLANATIONS), by=worker
            )
        else:
            task = answer_backtrace(
                task=task, verb="correct", answer=rng.choice(CORRECTIONS), by=worker
            )
        if not sent_back and task.state == "explained":
            review_backtrace(task=task, verb="reopen", by=office, note="说明不具体,请补充巡查记录")
            sent_back = True
        elif rng.random() < 0.75:
            review_backtrace(task=task, verb="accept", by=office)
    return len(tasks)
