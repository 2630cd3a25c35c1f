"""Demo cases: ninety days of a town's case work replayed through the real services, so every
event, deadline, return, escalation and closure type is one the platform itself produced.

Sized on seed 004 (齐村镇): 288 cases closed — 120 in the village, 162 by town departments, 2 by
district departments, 4 handed to the 96361 hotline — plus the cases still in hand on the day the
demo is built (every open state, some overdue), a few rejected, merged and recorded ones.
Deterministic: the same town built on the same day gives the same cases (tracking codes aside).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from shapely.geometry import Point, shape

from gridgov.cases import clock, services
from gridgov.cases.catalogue import ensure_default_catalogue, route_department
from gridgov.cases.models import (
    Case,
    Channel,
    HandlingMode,
    MatterItem,
    PlatformLevel,
    ReturnReason,
    Satisfaction,
)
from gridgov.cases.notifications import silenced
from gridgov.cases.services import intake
from gridgov.cases.tasks import sweep
from gridgov.core.jurisdiction import Role
from gridgov.grids.models import Grid, Region
from gridgov.people.models import Department, DepartmentKind, DepartmentLevel, Jurisdiction

DAYS = 90
# seed 004: where the 288 closed cases were finally closed.
CLOSED_SPLIT = {
    PlatformLevel.VILLAGE: 120,
    PlatformLevel.TOWN: 162,
    PlatformLevel.COUNTY: 2,
    PlatformLevel.HOTLINE: 4,
}
# Cases still in hand when the demo is built, by the state they are left in.
OPEN_PLAN = {
    "reported": 7,
    "accepted_village": 3,
    "accepted_town": 4,
    "dispatched": 5,
    "handling": 8,
    "handling_overdue": 4,
    "extension_pending": 2,
    "returned": 2,
    "fed_back": 4,
    "verified": 1,
}
INVALID_PLAN = {"rejected": 6, "merged": 3, "recorded": 5}

PLACES = ["村东头", "村西口", "主街路口", "小学门口", "河沟边", "菜市场旁", "村委会后", "桥头", "厂区围墙外", "麦场边", "新村小区", "老街"]  # fmt: skip
PHRASES: dict[str, list[str]] = {
    "01": ["存在{item},隐患明显,需尽快排查", "群众反映{item},担心出事"],
    "02": ["发现疑似{item},夜间开工", "有群众举报{item}"],
    "03": ["发现{item},已建起半层", "{item},占用通道"],
    "04": ["{item},气味刺鼻", "{item},附近群众反映强烈"],
    "05": ["{item},影响通行和村容", "{item},多日无人处理"],
    "06": ["{item},双方情绪激动", "{item},需要调解"],
    "07": ["{item},当事人行动不便", "{item},请求帮助办理"],
    "08": ["{item},群众有意见", "{item},需要核实"],
    "09": ["{item},需尽快处置", "发现{item}"],
}


@dataclass
class _Town:
    """The people and places one town's cases move between."""

    grid: Grid
    region: Region
    county: Region | None
    units: list[Grid]
    workers: dict[int, Any]
    stations: dict[int, Any]
    operator: Any
    admin: Any
    handlers: dict[int, Any]
    shapes: dict[int, Any] = field(default_factory=dict)

    def worker(self, unit: Grid) -> Any:
        return self.workers.get(unit.pk) or self.admin

    def station(self, unit: Grid) -> Any:
        return self.stations.get(unit.region_id) or self.admin

    def handler(self, department: Department | None) -> Any:
        if department is None:
            return self.admin
        return self.handlers.get(department.pk) or self.admin


@dataclass(frozen=True)
class DemoCases:
    created: int
    closed_by_level: dict[str, int]
    by_state: dict[str, int]


def seed_demo_cases(*, summary: Any, by: Any, today: dt.date | None = None) -> DemoCases:
    """Seed the demo's cases once (a second call finds them and does nothing)."""
    ensure_default_catalogue()
    root = Grid.objects.get(code=summary.root_code)
    existing = Case.objects.filter(grid__path__startswith=root.path)
    if existing.exists():
        return _summary(existing)
    today = today or timezone.localdate()
    with transaction.atomic():
        with silenced():
            for town in _towns(root, by):
                _Player(town, today).play()
        # Flag what is overdue or nearly so today, as the scheduled sweep would, and tell the
        # handlers and operators: their inboxes open on today's warnings, not on months of
        # replayed history.
        sweep()
    return _summary(Case.objects.filter(grid__path__startswith=root.path))


def _summary(qs: Any) -> DemoCases:
    return DemoCases(
        created=qs.count(),
        closed_by_level=dict(
            Counter(qs.exclude(closed_level="").values_list("closed_level", flat=True))
        ),
        by_state=dict(Counter(qs.values_list("state", flat=True))),
    )


def _users_by(role: str, key: str) -> dict[int, Any]:
    rows = Jurisdiction.objects.filter(role=role, active=True, user__is_active=True).select_related(
        "user", "grid"
    )
    result: dict[int, Any] = {}
    for row in rows.order_by("user__username"):
        value = {
            "grid": row.grid_id,
            "region": row.grid.region_id if row.grid else row.region_id,
            "department": row.department_id,
        }[key]
        if value is not None:
            result.setdefault(value, row.user)
    return result


def _towns(root: Grid, admin: Any) -> list[_Town]:
    """The towns to fill: those with a grid office log-in (the whole demo town; at district
    scale the street whose office has one)."""
    operators = _users_by(Role.OFFICE, "region")
    towns = []
    for grid in (
        Grid.objects.filter(path__startswith=root.path, region__level=4)
        .select_related("region")
        .order_by("code")
    ):
        operator = operators.get(grid.region_id)
        if operator is None:
            continue
        units = list(
            Grid.objects.leaves()
            .filter(path__startswith=grid.path, is_active=True)
            .select_related("region")
            .order_by("code")
        )
        towns.append(
            _Town(
                grid=grid,
                region=grid.region,
                county=grid.region.parent,
                units=units,
                workers=_users_by(Role.WORKER, "grid"),
                stations=operators,
                operator=operator,
                admin=admin,
                handlers=_users_by(Role.HANDLER, "department"),
            )
        )
    return towns


class _Player:
    """Plays one town's ninety days, case by case, each step at its own moment."""

    def __init__(self, town: _Town, today: dt.date) -> None:
        self.town = town
        self.today = today
        # Not for security: a seeded generator makes the demo the same on every build.
        self.rng = random.Random(f"gridgov-demo-cases:{town.grid.code}")  # noqa: S311
        self.items = list(MatterItem.objects.active().select_related("matter_class"))
        self.town_items = [i for i in self.items if self._route(i, PlatformLevel.TOWN)]
        self.county_items = [i for i in self.town_items if self._route(i, PlatformLevel.COUNTY)]
        self.spot_items = [i for i in self.items if i.on_spot_allowed]
        self.police = Department.objects.filter(
            kind=DepartmentKind.POLICE, level=DepartmentLevel.TOWN, region=town.region
        ).first()
        # Everything happened before the day the demo is built.
        self.end = timezone.make_aware(dt.datetime.combine(today, dt.time(0, 0)))
        self.start = self.end - dt.timedelta(days=DAYS)

    def _route(self, item: MatterItem, level: str) -> Department | None:
        region = self.town.region if level != PlatformLevel.COUNTY else self.town.region
        return route_department(item=item, level=level, region=region)

    # -- time -----------------------------------------------------------------------------

    def _working(self, moment: dt.datetime) -> dt.datetime:
        """Move a moment into office hours (8:30–17:30 local), the next morning if late."""
        local = timezone.localtime(moment)
        if local.hour >= 18:
            local = (local + dt.timedelta(days=1)).replace(hour=8, minute=self.rng.randint(30, 59))
        elif local.hour < 8:
            local = local.replace(hour=8, minute=self.rng.randint(30, 59))
        return local

    def _report_time(self, lo_days: float, hi_days: float) -> dt.datetime:
        ago = self.rng.uniform(lo_days, hi_days)
        moment = self.end - dt.timedelta(days=ago)
        return timezone.localtime(moment).replace(
            hour=self.rng.randint(8, 17), minute=self.rng.randint(0, 59)
        )

    # -- the cases ------------------------------------------------------------------------

    def play(self) -> None:
        plans: list[tuple[dt.datetime, Callable[[dt.datetime], None]]] = []
        for _ in range(CLOSED_SPLIT[PlatformLevel.VILLAGE]):
            plans.append((self._report_time(8, DAYS), self._village_closed))
        for i in range(CLOSED_SPLIT[PlatformLevel.TOWN]):
            plans.append((self._report_time(10, DAYS), partial(self._town_closed, i=i)))
        for _ in range(CLOSED_SPLIT[PlatformLevel.COUNTY]):
            plans.append((self._report_time(30, DAYS), self._county_closed))
        for _ in range(CLOSED_SPLIT[PlatformLevel.HOTLINE]):
            plans.append((self._report_time(5, DAYS), self._transferred))
        for state, count in OPEN_PLAN.items():
            for _ in range(count):
                lo, hi = (12, 20) if state == "handling_overdue" else (0.2, 9)
                plans.append((self._report_time(lo, hi), partial(self._open, state=state)))
        for state, count in INVALID_PLAN.items():
            for _ in range(count):
                plans.append((self._report_time(1, DAYS), partial(self._invalid, state=state)))
        for moment, play in sorted(plans, key=lambda p: p[0]):
            play(moment)

    def _at(self, moment: dt.datetime, fn: Callable[..., Any], **kwargs: Any) -> Any:
        with clock.frozen_at(moment):
            return fn(**kwargs)

    def _later(self, moment: dt.datetime, lo_hours: float, hi_hours: float) -> dt.datetime:
        """A moment in office hours some hours after `moment`, kept before the demo's end."""
        later = self._working(moment + dt.timedelta(hours=self.rng.uniform(lo_hours, hi_hours)))
        later = min(later, self.end - dt.timedelta(minutes=self.rng.uniform(5, 60)))
        return max(later, moment + dt.timedelta(minutes=1))

    def _report(self, moment: dt.datetime, item: MatterItem | None, **kwargs: Any) -> Case:
        unit = kwargs.pop("unit", None) or self.rng.choice(self.town.units)
        lon, lat = self._point(unit)
        channel = (
            kwargs.pop("channel", None)
            or self.rng.choices(
                [Channel.PATROL, Channel.RESIDENT, Channel.PARTY_MEMBER],
                weights=[78, 18, 4],
            )[0]
        )
        if channel == Channel.PATROL and unit.pk not in self.town.workers:
            channel = Channel.RESIDENT  # no worker of its own: residents report themselves
        by = self.town.worker(unit) if channel == Channel.PATROL else self.town.station(unit)
        if channel == Channel.RESIDENT:
            by = None  # residents report through the public form (permissions.CHANNEL_ROLES)
        if channel in {Channel.HOTLINE, Channel.DEPARTMENT, Channel.OFFSITE}:
            by = self.town.operator
        if channel == Channel.HOTLINE:
            kwargs.setdefault(
                "external_number", f"96361-{moment:%Y%m%d}-{self.rng.randint(1000, 9999)}"
            )
            kwargs.setdefault(
                "contact_name", self.rng.choice(["王女士", "李先生", "张先生", "刘女士"])
            )
        elif channel == Channel.RESIDENT and self.rng.random() < 0.6:
            kwargs.setdefault(
                "contact_name", self.rng.choice(["赵大爷", "孙女士", "周先生", "吴阿姨"])
            )
            kwargs.setdefault("contact_phone", f"139{self.rng.randint(10000000, 99999999)}")
        description = self._describe(item, unit)
        return self._at(
            moment,
            intake.report_case,
            by=by,
            channel=channel,
            description=description,
            item=item,
            lon=lon,
            lat=lat,
            address=f"{unit.name}{self.rng.choice(PLACES)}",
            **kwargs,
        ).case

    def _describe(self, item: MatterItem | None, unit: Grid) -> str:
        if item is None:
            return f"{unit.name}{self.rng.choice(PLACES)}有情况需要处理,具体见现场照片"
        phrase = self.rng.choice(PHRASES.get(item.matter_class.code, ["{item}"]))
        return f"{unit.name}{self.rng.choice(PLACES)}" + phrase.format(item=item.name)

    def _point(self, unit: Grid) -> tuple[float, float]:
        polygon = self.town.shapes.get(unit.pk)
        if polygon is None:
            polygon = self.town.shapes[unit.pk] = shape(unit.boundary)
        minx, miny, maxx, maxy = polygon.bounds
        for _ in range(50):
            lon, lat = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if polygon.contains(Point(lon, lat)):
                return round(lon, 6), round(lat, 6)
        return unit.label_lon or minx, unit.label_lat or miny

    # -- closing paths -------------------------------------------------------------------

    def _village_closed(self, t: dt.datetime) -> None:
        """Seed 004's 村内办结: on the spot by the worker, or by the station itself."""
        staffed = [u for u in self.town.units if u.pk in self.town.workers]
        if staffed and self.rng.random() < 0.55:
            item = self.rng.choice(self.spot_items)
            unit = self.rng.choice(staffed)
            self._report(
                t,
                item,
                unit=unit,
                channel=Channel.PATROL,
                mode=HandlingMode.ON_SPOT,
                result=self.rng.choice(
                    ["已当场劝导整改", "已现场协调解决", "已当场清理完毕", "已帮助办理"]
                ),
            )
            return
        item = self.rng.choice(self.spot_items + self.town_items[:6])
        case = self._report(t, item)
        station = self.town.station(case.grid)
        t = self._later(t, 0.3, 3)
        case = self._at(t, services.accept_case, case=case, by=station)
        t = self._later(t, 0.5, 6)
        case = self._at(
            t, services.handle_case, case=case, by=station, note="村受理中心直接协调处理"
        )
        t = self._later(t, 4, 40)
        case = self._at(
            t, services.feedback_case, case=case, by=station, result="村两委协调当事人,问题已解决"
        )
        t = self._later(t, 1, 20)
        case = self._at(
            t,
            services.verify_case,
            case=case,
            by=self.town.worker(case.grid),
            passed=True,
            note="已现场核实",
        )
        t = self._later(t, 0.5, 4)
        if case.state != "closed":
            case = self._at(t, services.close_case, case=case, by=station)
        self._callback(case, t, station)

    def _escalated(
        self, t: dt.datetime, item: MatterItem, channel: str | None = None
    ) -> tuple[Case, dt.datetime]:
        """Reported, accepted by the station and passed up to the town (or straight to the town
        for hotline cases)."""
        if channel is None:
            channel = self.rng.choices(
                [
                    Channel.PATROL,
                    Channel.RESIDENT,
                    Channel.HOTLINE,
                    Channel.DEPARTMENT,
                    Channel.OFFSITE,
                ],
                weights=[62, 16, 14, 4, 4],
            )[0]
        case = self._report(t, item, channel=channel)
        if case.level == PlatformLevel.TOWN:
            t = self._later(t, 0.2, 2)
            return self._at(t, services.accept_case, case=case, by=self.town.operator), t
        station = self.town.station(case.grid)
        t = self._later(t, 0.3, 3)
        case = self._at(t, services.accept_case, case=case, by=station)
        t = self._later(t, 0.2, 4)
        case = self._at(
            t, services.escalate_case, case=case, by=station, note="超出村级处置能力,报镇网格办"
        )
        return case, t

    def _town_closed(self, t: dt.datetime, i: int) -> None:
        item = self.rng.choice(self.town_items)
        case, t = self._escalated(t, item)
        case, t = self._handled_at_town(case, t, i)
        office = self.town.operator
        t = self._later(t, 1, 24)
        verifier = self.town.worker(case.grid) if self.rng.random() < 0.6 else office
        if i % 23 == 5:
            case = self._at(
                t,
                services.verify_case,
                case=case,
                by=verifier,
                passed=False,
                note="现场复核仍未整改到位",
            )
            handler = self.town.handler(case.department)
            t = self._later(t, 8, 48)
            case = self._at(
                t, services.feedback_case, case=case, by=handler, result="返工整改完毕,已复查"
            )
            t = self._later(t, 1, 12)
        case = self._at(
            t,
            services.verify_case,
            case=case,
            by=verifier,
            passed=True,
            note="经现场核查,已处置到位",
        )
        if case.state != "closed":
            t = self._later(t, 0.5, 4)
            case = self._at(t, services.close_case, case=case, by=office)
        self._callback(case, t, office)

    def _handled_at_town(self, case: Case, t: dt.datetime, i: int) -> tuple[Case, dt.datetime]:
        office = self.town.operator
        lead = self._route(case.item, PlatformLevel.TOWN) if case.item else None
        t = self._later(t, 0.3, 4)
        if i % 27 == 3:
            # Dispatched to the wrong department first (counts against 准确派遣率).
            wrong = self.police if self.police and self.police != lead else None
            if wrong is not None:
                case = self._at(t, services.dispatch_case, case=case, by=office, to=wrong)
                t = self._later(t, 1, 8)
                case = self._at(
                    t,
                    services.return_case,
                    case=case,
                    by=self.town.handler(wrong),
                    reason=ReturnReason.NOT_OURS,
                    note="不属于本单位职责范围,请改派",
                )
                t = self._later(t, 0.5, 4)
        co = [self.police] if i % 20 == 7 and self.police and self.police != lead else []
        case = self._at(t, services.dispatch_case, case=case, by=office, to=lead, co=co)
        handler = self.town.handler(case.department)
        t = self._later(t, 0.5, 12)
        case = self._at(t, services.handle_case, case=case, by=handler)
        for dept in co:
            case = self._at(
                t,
                services.handle_case,
                case=case,
                by=self.town.handler(dept),
                task=case.tasks.get(department=dept, role="co").pk,
            )
        due = case.due_at or t
        late = i % 11 == 4
        if i % 13 == 6:
            t = self._later(t, 2, 20)
            case = self._at(t, services.urge_case, case=case, by=office, note="请加快办理进度")
        if i % 31 == 9:
            t = self._later(t, 2, 20)
            case = self._at(
                t, services.supervise_case, case=case, by=office, note="镇领导督办,限期办结"
            )
        if i % 29 == 2:
            t = self._later(t, 2, 10)
            extension = self._at(
                t,
                services.request_extension,
                case=case,
                by=handler,
                days=3,
                reason="需等待检测结果",
            )
            t = self._later(t, 1, 6)
            self._at(
                t,
                services.decide_extension,
                extension=extension,
                by=office,
                approve=True,
                note="同意延期",
            )
            case = Case.objects.get(pk=case.pk)
            due = case.due_at or due
        span = max((due - t).total_seconds() / 3600, 2)
        t = self._working(
            t
            + dt.timedelta(
                hours=span * (self.rng.uniform(1.05, 1.6) if late else self.rng.uniform(0.2, 0.9))
            )
        )
        t = min(t, self.end)
        for dept in co:
            case = self._at(
                t,
                services.feedback_case,
                case=case,
                by=self.town.handler(dept),
                task=case.tasks.get(department=dept, role="co").pk,
                result="配合联合执法,现场秩序良好",
            )
        case = self._at(
            t,
            services.feedback_case,
            case=case,
            by=handler,
            result=self.rng.choice(
                [
                    "已责令整改并复查到位",
                    "已现场处置完毕",
                    "已依法查处并整改",
                    "已协调解决,当事人认可",
                ]
            ),
        )
        return case, t

    def _county_closed(self, t: dt.datetime) -> None:
        """Seed 004's 区直部门办结: the town passes it up; a district department handles it."""
        item = self.rng.choice(self.county_items)
        case, t = self._escalated(t, item, channel=Channel.PATROL)
        t = self._later(t, 1, 8)
        case = self._at(
            t, services.escalate_case, case=case, by=self.town.operator, note="需区直部门处理"
        )
        admin = self.town.admin
        t = self._later(t, 2, 24)
        lead = self._route(item, PlatformLevel.COUNTY)
        case = self._at(t, services.dispatch_case, case=case, by=admin, to=lead)
        handler = self.town.handler(lead)
        t = self._later(t, 2, 24)
        case = self._at(t, services.handle_case, case=case, by=handler)
        t = self._later(t, 24, 72)
        case = self._at(
            t, services.feedback_case, case=case, by=handler, result="区直部门已立案查处,整改到位"
        )
        t = self._later(t, 4, 24)
        case = self._at(t, services.verify_case, case=case, by=admin, passed=True)
        self._callback(case, t, admin)

    def _transferred(self, t: dt.datetime) -> None:
        """Seed 004's 转交"96361": beyond the town's remit, handed to the hotline."""
        item = self.rng.choice(self.items)
        case, t = self._escalated(t, item)
        t = self._later(t, 1, 24)
        self._at(
            t,
            services.transfer_case,
            case=case,
            by=self.town.operator,
            note="属市级部门事权,转交96361热线办理",
        )

    def _callback(self, case: Case, t: dt.datetime, by: Any) -> None:
        t = self._later(t, 20, 70)
        if t >= self.end:
            return  # closed recently: still waiting for its callback
        roll = self.rng.random()
        score = (
            Satisfaction.SATISFIED
            if roll < 0.82
            else Satisfaction.FAIRLY
            if roll < 0.96
            else Satisfaction.DISSATISFIED
        )
        note = {5: "群众表示满意", 4: "群众基本满意", 3: "群众认为处理不彻底"}[int(score)]
        if score != Satisfaction.DISSATISFIED or case.closed_level == PlatformLevel.COUNTY:
            self._at(
                t, services.callback_case, case=case, by=by, satisfaction=int(score), note=note
            )
            return
        # A dissatisfied callback reopens the case; it is handled again and called back again.
        case = self._at(
            t, services.callback_case, case=case, by=by, satisfaction=3, note=note, reopen=True
        )
        lead = self._route(case.item, PlatformLevel(case.level)) if case.item else None
        if case.level == PlatformLevel.VILLAGE or lead is None:
            t = self._later(t, 1, 8)
            case = self._at(t, services.handle_case, case=case, by=by)
            t = self._later(t, 8, 30)
            case = self._at(
                t, services.feedback_case, case=case, by=by, result="重新协调,已彻底解决"
            )
        else:
            t = self._later(t, 1, 8)
            case = self._at(t, services.dispatch_case, case=case, by=by, to=lead)
            handler = self.town.handler(case.department)
            t = self._later(t, 1, 8)
            case = self._at(t, services.handle_case, case=case, by=handler)
            t = self._later(t, 8, 30)
            case = self._at(
                t, services.feedback_case, case=case, by=handler, result="重新处置,已彻底解决"
            )
        t = self._later(t, 2, 12)
        case = self._at(t, services.verify_case, case=case, by=by, passed=True)
        if case.state != "closed":
            case = self._at(t, services.close_case, case=case, by=by)
        t = self._later(t, 20, 48)
        if t < self.end:
            self._at(
                t,
                services.callback_case,
                case=case,
                by=by,
                satisfaction=4,
                note="重新办理后基本满意",
            )

    # -- open and invalid cases ------------------------------------------------------------

    def _open(self, t: dt.datetime, state: str) -> None:
        office = self.town.operator
        item = self.rng.choice(self.town_items)
        if state == "reported":
            self._report(t, item if self.rng.random() < 0.7 else None)
            return
        if state == "accepted_village":
            case = self._report(t, item)
            self._at(
                self._later(t, 0.3, 3),
                services.accept_case,
                case=case,
                by=self.town.station(case.grid),
            )
            return
        case, t = self._escalated(t, item)
        if state == "accepted_town":
            return
        if state == "returned":
            t = self._later(t, 0.3, 4)
            wrong = (
                self.police
                if self.police and self.police != self._route(item, PlatformLevel.TOWN)
                else None
            )
            case = self._at(t, services.dispatch_case, case=case, by=office, to=wrong)
            self._at(
                self._later(t, 1, 8),
                services.return_case,
                case=case,
                by=self.town.handler(case.department),
                reason=ReturnReason.NOT_OURS,
                note="不属于本单位职责范围,请改派",
            )
            return
        t = self._later(t, 0.3, 4)
        case = self._at(
            t,
            services.dispatch_case,
            case=case,
            by=office,
            days=2 if state == "handling_overdue" else None,
        )
        if state == "dispatched":
            return
        handler = self.town.handler(case.department)
        t = self._later(t, 0.5, 8)
        case = self._at(t, services.handle_case, case=case, by=handler)
        if state in {"handling", "handling_overdue"}:
            if state == "handling_overdue":
                # Urged once the deadline has passed, as the note says.
                self._at(
                    self._later(case.due_at or t, 2, 20),
                    services.urge_case,
                    case=case,
                    by=office,
                    note="已超期,请立即办理",
                )
            return
        if state == "extension_pending":
            self._at(
                self._later(t, 2, 12),
                services.request_extension,
                case=case,
                by=handler,
                days=5,
                reason="涉及多个部门,需协调",
            )
            return
        t = self._later(t, 4, 30)
        case = self._at(
            t, services.feedback_case, case=case, by=handler, result="已处置完毕,请核查"
        )
        if state == "fed_back":
            return
        t = self._later(t, 1, 8)
        case = self._at(
            t,
            services.verify_case,
            case=case,
            by=self.town.worker(case.grid),
            passed=True,
            note="现场核实已整改",
            close=False,
        )
        if state == "verified":
            return
        self._at(self._later(t, 0.5, 3), services.close_case, case=case, by=office)

    def _invalid(self, t: dt.datetime, state: str) -> None:
        staffed = [u for u in self.town.units if u.pk in self.town.workers]
        if state == "recorded" and staffed:
            unit = self.rng.choice(staffed)
            item = self.rng.choice([i for i in self.items if i.matter_class.code in {"03", "07"}])
            self._report(t, item, unit=unit, channel=Channel.PATROL, mode=HandlingMode.APPROVAL)
            return
        item = self.rng.choice(self.town_items)
        case = self._report(t, item)
        station = self.town.station(case.grid)
        t = self._later(t, 0.3, 3)
        if state in {"rejected", "recorded"}:
            self._at(t, services.reject_case, case=case, by=station, note="经核实不属实")
            return
        duplicate = self._report(self._later(t, 0.1, 2), item, unit=case.grid)
        self._at(
            self._later(t, 0.5, 3),
            services.merge_case,
            case=duplicate,
            into=case,
            by=station,
            note="同一事件重复上报",
        )
