"""Household visits by plan (走访, seed 003; STANDARDS.md "Field work rules").

- **Plans.** `generate_visit_plan(on=day)` makes, for every open household with a contact worker
  who has an account, one task per active cadence whose period contains `day`: a home visit for a
  key household (an open 六类户 tag) per `key` period (monthly), for any other household per
  `ordinary` period (quarterly), and a policy talk (微宣讲) to every contact household per
  `policy_talk` period (quarterly). Periods are calendar months counted from 1 January
  (Asia/Shanghai); a task is due at the end of its period. Generating again adds nothing.
- **Occasions** (五必访, 四必到, 必到 on emergencies, accidents, disputes): anyone who can see
  the household raises one; it lands in the contact worker's list with a deadline (given, or
  the occasion's default).
- **Which visit does which task.** A visit to the household completes, at once, every open task of
  that household it answers: a key or ordinary task when the visit (any kind) falls in the task's
  period, a policy-talk task when a policy-talk visit falls in its period, and an occasion task
  when the visit comes after the occasion was raised (late or not).
- **Overdue**: an open task whose deadline has passed.

Writes take the actor as `by=`; a household outside the actor's scope reads as missing.
"""

from __future__ import annotations

import io
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, get_referenced, scope_of
from gridgov.core.plausible import check_plausible_past
from gridgov.fieldwork.models import (
    Occasion,
    Patrol,
    Visit,
    VisitCadence,
    VisitKind,
    VisitPlanKind,
    VisitTask,
)
from gridgov.fieldwork.services import LOCAL_TZ

TEXT_MAX = 2000
# Default deadlines of an occasion when the person raising it gives none: 必到 occasions are
# attended within a day; 五必访 within a week (seed 003 sets no number; a town may give one).
OCCASION_HOURS = {
    Occasion.EMERGENCY: 24,
    Occasion.ACCIDENT: 24,
    Occasion.DISPUTE: 24,
    Occasion.FOUR_MUST_ATTEND: 24,
    Occasion.FIVE_MUST_VISIT: 24 * 7,
}
DEFAULT_MONTHS = {VisitPlanKind.KEY: 1, VisitPlanKind.ORDINARY: 3, VisitPlanKind.POLICY_TALK: 3}
# Which visit kinds answer a plan task of each kind (any visit is a home visit).
ANSWERS: dict[str, set[str]] = {
    VisitPlanKind.KEY: set(VisitKind.values),
    VisitPlanKind.ORDINARY: set(VisitKind.values),
    VisitPlanKind.POLICY_TALK: {VisitKind.POLICY_TALK},
}
OFFICE_ROLES = (Role.ADMIN, Role.OFFICE)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def period_of(day: date, months: int) -> tuple[date, date]:
    """The calendar period of `months` months (counted from 1 January) holding `day`:
    [first day, first day of the next period)."""
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    following = first_month + months
    end = date(day.year + (following > 12), (following - 1) % 12 + 1, 1)
    return start, end


def cadence_months() -> dict[str, int]:
    """Active cadences {plan kind: months}; seed 003's defaults where no row exists."""
    rows = {c.kind: c for c in VisitCadence.objects.all()}
    months: dict[str, int] = {}
    for kind, default in DEFAULT_MONTHS.items():
        row = rows.get(kind)
        if row is None:
            months[kind] = default
        elif row.is_active:
            months[kind] = row.months
    return months


@dataclass
class PlanResult:
    created: int = 0
    existing: int = 0
    without_worker: int = 0


def _households(root_path: str | None) -> Any:
    from gridgov.registry.models import Household

    households = Household.objects.filter(closed_on__isnull=True)
    if root_path:
        households = households.filter(grid__path__startswith=root_path)
    return households


@transaction.atomic
def generate_visit_plan(*, on: date, by: Any = None, root_path: str | None = None) -> PlanResult:
    """The plan tasks of the periods holding `on` (see the module docstring); idempotent. With
    `by` (an office user) only households in that user's scope; without, the scheduler's run
    over `root_path` or everything."""
    from gridgov.registry.models import Household, HouseholdTag

    if by is not None:
        if not scope_of(by).has_role(*OFFICE_ROLES):
            raise PermissionDenied(_("只有网格办操作员可以生成走访计划"))
        households = Household.objects.visible_to(by).filter(closed_on__isnull=True)
    else:
        households = _households(root_path)
    result = PlanResult()
    rows = list(households.values_list("pk", "grid_id", "contact_worker__user_id").order_by("pk"))
    key_ids = set(
        HouseholdTag.objects.filter(
            until__isnull=True, household_id__in=[pk for pk, _g, _u in rows]
        ).values_list("household_id", flat=True)
    )
    months = cadence_months()
    periods = {kind: period_of(on, m) for kind, m in months.items()}
    wanted: list[VisitTask] = []
    for pk, grid_id, worker_id in rows:
        if worker_id is None:
            result.without_worker += 1
            continue
        kinds = [VisitPlanKind.KEY if pk in key_ids else VisitPlanKind.ORDINARY]
        kinds.append(VisitPlanKind.POLICY_TALK)
        for kind in kinds:
            if kind not in periods:
                continue
            start, end = periods[kind]
            wanted.append(
                VisitTask(
                    kind=kind,
                    household_id=pk,
                    grid_id=grid_id,
                    worker_id=worker_id,
                    period_start=start,
                    opens_at=_local_midnight(start),
                    due_at=_local_midnight(end),
                )
            )
    have = set(
        VisitTask.objects.filter(
            period_start__isnull=False,
            household_id__in={t.household_id for t in wanted},
            period_start__in={t.period_start for t in wanted},
        ).values_list("household_id", "kind", "period_start")
    )
    new = [t for t in wanted if (t.household_id, t.kind, t.period_start) not in have]
    result.existing = len(wanted) - len(new)
    VisitTask.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    result.created = len(new)
    # Visits already made in the period (recorded before the plan existed) count: one query for
    # the visits of the new tasks' households, matched in memory.
    if new:
        _match_earlier_visits(new)
    return result


def _match_earlier_visits(tasks: list[VisitTask]) -> None:
    earliest = min(t.opens_at for t in tasks)
    latest = max(t.due_at for t in tasks)
    homes = {t.household_id for t in tasks}
    found: dict[int, list[tuple[datetime, str, int]]] = {}
    for pk, home, at, kind in (
        Visit.objects.filter(
            household_id__in=homes, visited_at__gte=earliest, visited_at__lt=latest
        )
        .order_by("visited_at", "pk")
        .values_list("pk", "household_id", "visited_at", "kind")
    ):
        found.setdefault(home, []).append((at, kind, pk))
    if not found:
        return
    stored = VisitTask.objects.filter(
        household_id__in=set(found),
        period_start__in={t.period_start for t in tasks},
        visit__isnull=True,
    )
    for task in stored:
        for at, kind, pk in found.get(task.household_id, []):
            if kind in ANSWERS[task.kind] and task.opens_at <= at < task.due_at:
                VisitTask.objects.filter(pk=task.pk, visit__isnull=True).update(
                    visit_id=pk, done_at=at
                )
                break


def _household(by: Any, number: str, *, field_name: str = "household") -> Any:
    from gridgov.registry.models import Household

    return get_referenced(
        Household.objects.visible_to(by).filter(closed_on__isnull=True).select_related("grid"),
        field=field_name,
        number=(number or "").strip(),
    )


@transaction.atomic
def raise_occasion(
    *,
    by: Any,
    household_number: str,
    occasion: str,
    reason: str,
    due_at: datetime | None = None,
) -> VisitTask:
    """Anyone who sees the household raises an occasion that requires a visit; it lands in the
    contact worker's list with a deadline."""
    household = _household(by, household_number)
    if occasion not in Occasion.values:
        raise DomainError(_("事由类别无效"), field="occasion")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写事由"), field="reason")
    worker = household.contact_worker.user if household.contact_worker else None
    if worker is None:
        raise DomainError(_("该户没有联系网格员,请先在户籍台账中指定"), field="household")
    now = timezone.now()
    if due_at is None:
        due_at = now + timedelta(hours=OCCASION_HOURS[Occasion(occasion)])
    if due_at <= now:
        raise DomainError(_("期限须晚于现在"), field="due_at")
    if due_at > now + timedelta(days=90):
        raise DomainError(_("期限最长 90 天"), field="due_at")
    return VisitTask.objects.create(
        kind=VisitPlanKind.OCCASION,
        household=household,
        grid=household.grid,
        worker=worker,
        opens_at=now,
        due_at=due_at,
        occasion=occasion,
        reason=reason[:200],
        raised_by=by,
    )


def _text(value: str, name: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_MAX:
        raise DomainError(_("最多 %(n)s 字") % {"n": TEXT_MAX}, field=name)
    return value


@dataclass
class Recorded:
    visit: Visit
    created: bool
    completed: list[int] = field(default_factory=list)


def record_visit(
    *,
    by: Any,
    uid: uuid.UUID | None,
    household_number: str,
    kind: str,
    visited_at: datetime | None = None,
    lon: float | None = None,
    lat: float | None = None,
    people_met: str = "",
    learnt: str = "",
    problems: str = "",
    assistance: str = "",
) -> Recorded:
    """A visit by the worker themselves. The phone's `uid` makes a re-sent visit return the
    first one (the offline queue sends exactly once in effect)."""
    if uid is not None:
        existing = Visit.objects.filter(uid=uid).first()
        if existing is not None:
            if existing.user_id != by.pk:
                raise DomainError(_("编号已被使用"), field="uid")
            return Recorded(existing, created=False)
    try:
        with transaction.atomic():
            return _record(
                by=by,
                uid=uid or uuid.uuid4(),
                household_number=household_number,
                kind=kind,
                visited_at=visited_at,
                lon=lon,
                lat=lat,
                people_met=people_met,
                learnt=learnt,
                problems=problems,
                assistance=assistance,
            )
    except IntegrityError:
        existing = Visit.objects.filter(uid=uid, user_id=by.pk).first() if uid is not None else None
        if existing is None:
            raise
        return Recorded(existing, created=False)


def _record(
    *,
    by: Any,
    uid: uuid.UUID,
    household_number: str,
    kind: str,
    visited_at: datetime | None,
    lon: float | None,
    lat: float | None,
    people_met: str,
    learnt: str,
    problems: str,
    assistance: str,
) -> Recorded:
    if not scope_of(by).has_role(Role.WORKER, *OFFICE_ROLES):
        raise PermissionDenied(_("只有网格员可以登记走访"))
    household = _household(by, household_number)
    if kind not in VisitKind.values:
        raise DomainError(_("走访类别无效"), field="kind")
    now = timezone.now()
    visited_at = visited_at or now
    check_plausible_past(visited_at, field="visited_at")
    if visited_at > now + timedelta(minutes=10):
        raise DomainError(_("走访时间不能晚于现在"), field="visited_at")
    if (lon is None) != (lat is None):
        raise DomainError(_("经纬度须同时提供"), field="lat" if lat is None else "lon")
    if lon is not None and not (math.isfinite(lon) and -180 <= lon <= 180):
        raise DomainError(_("经度超出范围"), field="lon")
    if lat is not None and not (math.isfinite(lat) and -90 <= lat <= 90):
        raise DomainError(_("纬度超出范围"), field="lat")
    learnt = _text(learnt, "learnt")
    problems = _text(problems, "problems")
    assistance = _text(assistance, "assistance")
    if not (learnt or problems or assistance):
        raise DomainError(_("请填写了解情况、发现问题或帮扶措施"), field="learnt")
    # Issue 11: visits made during a patrol are linked to it.
    patrol = (
        Patrol.objects.filter(user_id=by.pk, started_at__lte=visited_at)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=visited_at))
        .order_by("-started_at")
        .first()
    )
    visit = Visit.objects.create(
        uid=uid,
        household=household,
        grid=household.grid,
        user=by,
        kind=kind,
        visited_at=visited_at,
        lon=lon,
        lat=lat,
        people_met=(people_met or "").strip()[:200],
        learnt=learnt,
        problems=problems,
        assistance=assistance,
        patrol=patrol,
    )
    completed = _complete_tasks(visit)
    return Recorded(visit, created=True, completed=completed)


def _complete_tasks(visit: Visit) -> list[int]:
    open_tasks = VisitTask.objects.filter(household_id=visit.household_id, visit__isnull=True)
    done: list[int] = []
    for task in open_tasks:
        if task.kind == VisitPlanKind.OCCASION:
            answers = visit.visited_at >= task.opens_at
        else:
            answers = (
                visit.kind in ANSWERS[VisitPlanKind(task.kind)]
                and task.opens_at <= visit.visited_at < task.due_at
            )
        # Compare-and-set: a task done meanwhile by another visit stays with that one.
        if answers and VisitTask.objects.filter(pk=task.pk, visit__isnull=True).update(
            visit=visit, done_at=visit.visited_at
        ):
            done.append(task.pk)
    return done


@transaction.atomic
def visit_to_case(*, visit: Visit, by: Any, description: str = "") -> Any:
    """One tap: the visit's problems become a case through the cases intake (patrol channel,
    the visit's position), linked back to the visit. Tapping again returns the same case."""
    from gridgov.cases.models import Channel
    from gridgov.cases.services.intake import report_case

    locked = Visit.objects.select_for_update().select_related("household").get(pk=visit.pk)
    if locked.case_id is not None:
        return locked.case
    if locked.user_id != by.pk and not scope_of(by).has_role(*OFFICE_ROLES):
        raise PermissionDenied(_("只有走访人或网格办可以转立案件"))
    text = (description or "").strip() or locked.problems
    if not text:
        raise DomainError(_("这次走访没有登记发现的问题"), field="problems")
    intake = report_case(
        by=by,
        channel=Channel.PATROL,
        description=text,
        lon=locked.lon,
        lat=locked.lat,
        grid_code="" if locked.lon is not None else locked.grid.code,
        address=locked.household.address,
        idempotency_key=f"visit-{locked.uid.hex}",
    )
    locked.case = intake.case
    locked.save(update_fields=["case"])
    return intake.case


# --- reads ------------------------------------------------------------------------------------


def my_tasks(user: Any, at: datetime | None = None) -> Any:
    """A worker's open tasks that are open now (a plan task of a future period is not yet),
    soonest deadline first."""
    at = at or timezone.now()
    return (
        VisitTask.objects.filter(worker_id=user.pk, visit__isnull=True, opens_at__lte=at)
        .select_related("household", "grid")
        .order_by("due_at", "pk")
    )


@dataclass
class OverdueRow:
    worker: str
    worker_name: str
    grid_code: str
    grid_name: str
    open: int = 0
    overdue: int = 0
    overdue_key: int = 0
    done: int = 0

    @property
    def done_rate(self) -> float | None:
        due = self.done + self.overdue
        return None if due == 0 else self.done / due


def overdue_summary(viewer: Any, at: datetime | None = None) -> list[OverdueRow]:
    """Per worker and grid: tasks open now, overdue, of which key households, and tasks done
    (of tasks opened by `at`), for the tasks the viewer sees."""
    at = at or timezone.now()
    rows = (
        VisitTask.objects.visible_to(viewer)
        .filter(opens_at__lte=at)
        .values("worker__username", "worker__staff__name", "grid__code", "grid__name")
        .annotate(
            open=Count("pk", filter=Q(visit__isnull=True, due_at__gte=at)),
            overdue=Count("pk", filter=Q(visit__isnull=True, due_at__lt=at)),
            overdue_key=Count(
                "pk", filter=Q(visit__isnull=True, due_at__lt=at, kind=VisitPlanKind.KEY)
            ),
            done=Count("pk", filter=Q(visit__isnull=False)),
        )
        .order_by("-overdue", "grid__code", "worker__username")
    )
    return [
        OverdueRow(
            worker=r["worker__username"],
            worker_name=r["worker__staff__name"] or r["worker__username"],
            grid_code=r["grid__code"],
            grid_name=r["grid__name"],
            open=r["open"],
            overdue=r["overdue"],
            overdue_key=r["overdue_key"],
            done=r["done"],
        )
        for r in rows
    ]


def ledger_visits(
    viewer: Any, start: date, end: date, *, grid_path: str = "", kind: str = ""
) -> Any:
    """Visits the viewer sees in the Asia/Shanghai days [start, end], optionally in one grid's
    subtree and of one kind (the statistics page's links, issue 13)."""
    if end < start:
        raise DomainError(_("结束日期不能早于开始日期"), field="end")
    qs = Visit.objects.visible_to(viewer).filter(
        visited_at__gte=_local_midnight(start),
        visited_at__lt=_local_midnight(end + timedelta(days=1)),
    )
    if grid_path:
        qs = qs.filter(grid__path__startswith=grid_path)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("household", "grid", "user", "user__staff", "case").order_by(
        "visited_at", "pk"
    )


def ledger_header() -> list[str]:
    return [
        _("走访时间"),
        _("网格"),
        _("户编号"),
        _("地址"),
        _("走访人"),
        _("类别"),
        _("走访对象"),
        _("了解情况"),
        _("发现问题"),
        _("帮扶措施"),
        _("转立案件"),
        _("经度"),
        _("纬度"),
    ]


def ledger_rows(visits: Iterable[Visit]) -> Iterable[list[Any]]:
    for v in visits:
        staff = getattr(v.user, "staff", None)
        yield [
            timezone.localtime(v.visited_at, LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            v.grid.name,
            v.household.number,
            v.household.address,
            staff.name if staff is not None else v.user.get_username(),
            v.get_kind_display(),
            v.people_met,
            v.learnt,
            v.problems,
            v.assistance,
            v.case.number if v.case else "",
            v.lon,
            v.lat,
        ]


def export_visit_ledger(
    viewer: Any, start: date, end: date, *, grid_path: str = "", kind: str = ""
) -> bytes:
    """The visit ledger (走访台账) as an Excel workbook: one row per visit."""
    from gridgov.registry.ledgers import write_xlsx

    out = io.BytesIO()
    visits = ledger_visits(viewer, start, end, grid_path=grid_path, kind=kind)
    write_xlsx(out, ledger_header(), ledger_rows(visits))
    return out.getvalue()


@dataclass
class GridDayFigures:
    """Today's field work in a grid subtree, for the command centre's grid card."""

    patrols: int
    patrolling_workers: int
    patrol_km: float
    visits: int
    overdue_visits: int


def grid_day_figures(grid_path: str, day: date | None = None) -> GridDayFigures:
    """Patrols started that day in the subtree (kilometres of the summarised ones), visits made
    that day and visit tasks overdue now."""
    from django.db.models import Sum

    day = day or timezone.localdate()
    start = _local_midnight(day)
    end = start + timedelta(days=1)
    patrols = Patrol.objects.filter(
        grid__path__startswith=grid_path, started_at__gte=start, started_at__lt=end
    ).aggregate(n=Count("pk"), workers=Count("user_id", distinct=True), metres=Sum("mileage_m"))
    visits_made = Visit.objects.filter(
        grid__path__startswith=grid_path, visited_at__gte=start, visited_at__lt=end
    ).count()
    overdue = (
        VisitTask.objects.overdue(timezone.now()).filter(grid__path__startswith=grid_path).count()
    )
    return GridDayFigures(
        patrols=patrols["n"] or 0,
        patrolling_workers=patrols["workers"] or 0,
        patrol_km=round((patrols["metres"] or 0) / 1000, 1),
        visits=visits_made,
        overdue_visits=overdue,
    )
