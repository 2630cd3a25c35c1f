"""The office's attendance pages (issue 11, 出勤/请假/值班): the month ledger of every person in
the viewer's subtree, one person's month day by day, and the writes behind the leave and duty
pages (the actor passed explicitly, office roles only).

The month's 出勤 figures are counted exactly as the assessment counts them
(`oversight.fieldcounts`, seed 002's sheet: 出勤到位): days due are the working days of the
official calendar (`core.calendar`) not on leave, from the month's first day to its last or
yesterday, whichever is earlier (a running month is not charged for days still to come); a day
is present when it has a check-in. Lateness and early leave are measured against the working
hours of the `GRIDGOV_WORK_HOURS` setting (default 08:30-12:00,13:30-17:30): a present due day
is late when its first check-in is after the first period starts, early when its last check-out
is before the last period ends (a day without a check-out is not early, only incomplete).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, ReferenceNotFoundError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.fieldwork.models import CheckIn, CheckKind, DutyShift, Leave, LeaveKind
from gridgov.fieldwork.services import LOCAL_TZ
from gridgov.grids.models import Grid

OFFICE_ROLES = (Role.ADMIN, Role.OFFICE)


def can_write(user: Any) -> bool:
    """Only the grid office (and admins) record leave and keep the duty roster."""
    return scope_of(user).has_role(*OFFICE_ROLES)


def _require_office(by: Any) -> None:
    if not can_write(by):
        raise PermissionDenied(_("只有网格办操作员可以执行此操作"))


def parse_month(text: str | None, today: date | None = None) -> tuple[int, int]:
    """`YYYY-MM` → (year, month); empty means this month."""
    today = today or timezone.localdate()
    if not text:
        return today.year, today.month
    try:
        year_text, month_text = text.split("-")
        year, month = int(year_text), int(month_text)
    except ValueError:
        raise DomainError(_("月份格式应为 YYYY-MM"), field="month") from None
    if not (1 <= month <= 12 and 2000 <= year <= 2200):
        raise DomainError(_("月份无效"), field="month")
    return year, month


def month_span(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def counted_span(year: int, month: int) -> tuple[date, date] | None:
    """The days of the month that count (oversight.fieldcounts._days): to yesterday at most."""
    first, last = month_span(year, month)
    last = min(last, timezone.localdate() - timedelta(days=1))
    return (first, last) if last >= first else None


def work_hours() -> tuple[time, time]:
    from gridgov.core.calendar import work_schedule

    periods = work_schedule().periods
    return periods[0][0], periods[-1][1]


# --- who is in the ledger -----------------------------------------------------------------------


@dataclass
class Person:
    user_id: int
    username: str
    name: str
    grids: list[Grid] = field(default_factory=list)

    @property
    def grid_names(self) -> str:
        return _("、").join(g.name for g in self.grids)


def people_in(viewer: Any, root: Grid | None, first: date, last: date) -> list[Person]:
    """Everyone with a grid post in the viewer's subtree (under `root` when given) that was held
    at some time in [first, last], with those posts' grids; ordered by grid and name."""
    from gridgov.people.models import Post

    posts = (
        Post.objects.filter(grid__in=Grid.objects.visible_to(viewer), staff__user__isnull=False)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=last))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
        .select_related("staff__user", "grid")
        .order_by("grid__path", "staff__name", "pk")
    )
    if root is not None:
        posts = posts.filter(grid__path__startswith=root.path)
    people: dict[int, Person] = {}
    for post in posts:
        user, grid = post.staff.user, post.grid
        if user is None or grid is None:  # excluded by the query; narrows the types
            continue
        person = people.setdefault(
            user.pk, Person(user_id=user.pk, username=user.get_username(), name=post.staff.name)
        )
        if all(g.pk != grid.pk for g in person.grids):
            person.grids.append(grid)
    return list(people.values())


def person_in_scope(viewer: Any, username: str, year: int, month: int) -> Person:
    """The person named, if they are in the viewer's ledger for the month; else 404."""
    from django.http import Http404

    first, last = month_span(year, month)
    for person in people_in(viewer, None, first, last):
        if person.username == username:
            return person
    raise Http404


# --- the month ledger ---------------------------------------------------------------------------


@dataclass
class LedgerRow:
    """One person's month (出勤 of seed 002's sheet, with lateness, leave and absence)."""

    person: Person
    days_due: int = 0
    days_present: int = 0
    late: int = 0
    early: int = 0
    leave_by_kind: dict[str, int] = field(default_factory=dict)
    outside: int = 0
    check_ins: int = 0

    @property
    def absent(self) -> int:
        return self.days_due - self.days_present

    @property
    def leave_days(self) -> int:
        return sum(self.leave_by_kind.values())

    @property
    def rate(self) -> float | None:
        """出勤率: days present / days due (the assessment's attendance_rate)."""
        return self.days_present / self.days_due if self.days_due else None

    def leave_of(self, kind: str) -> int:
        return self.leave_by_kind.get(kind, 0)

    @property
    def leave_cells(self) -> list[int]:
        """Leave days per kind, in the order of `LeaveKind` (the ledger's columns)."""
        return [self.leave_of(kind) for kind in LeaveKind.values]


def _leave_kinds(user_ids: Sequence[int], first: date, last: date) -> dict[int, dict[date, str]]:
    """Per user, each day in [first, last] on leave with the leave's kind (the earliest leave
    wins when two records overlap, as older data may)."""
    out: dict[int, dict[date, str]] = defaultdict(dict)
    for leave in Leave.objects.filter(
        user_id__in=list(user_ids), starts_on__lte=last, ends_on__gte=first
    ).order_by("starts_on", "pk"):
        day = max(leave.starts_on, first)
        while day <= min(leave.ends_on, last):
            out[leave.user_id].setdefault(day, leave.kind)
            day += timedelta(days=1)
    return out


def _outside(record: CheckIn, person: Person) -> bool:
    """A check-in with a position that lies in none of the person's grids' subtrees."""
    if record.lon is None:
        return False
    path = record.grid.path if record.grid is not None else None
    return path is None or not any(path.startswith(g.path) for g in person.grids)


def month_ledger(viewer: Any, year: int, month: int, root: Grid | None = None) -> list[LedgerRow]:
    """The attendance ledger of every person in the viewer's subtree for a month."""
    month_first, month_last = month_span(year, month)
    return ledger_rows(people_in(viewer, root, month_first, month_last), year, month)


def ledger_rows(people: Sequence[Person], year: int, month: int) -> list[LedgerRow]:
    """The month's figures of the people given (see the module's docstring for the rules)."""
    from gridgov.core.calendar import get_calendar

    rows = [LedgerRow(person=p) for p in people]
    span = counted_span(year, month)
    if span is None or not rows:
        return rows
    first, last = span
    calendar = get_calendar()
    workdays = [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if calendar.is_workday(first + timedelta(days=i))
    ]
    by_user = {row.person.user_id: row for row in rows}
    leaves = _leave_kinds(list(by_user), first, last)
    start = datetime.combine(first, time.min, tzinfo=LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    first_in: dict[int, dict[date, datetime]] = defaultdict(dict)
    last_out: dict[int, dict[date, datetime]] = defaultdict(dict)
    for record in (
        CheckIn.objects.filter(user_id__in=list(by_user), at__gte=start, at__lt=end)
        .select_related("grid")
        .order_by("at", "pk")
    ):
        local = record.at.astimezone(LOCAL_TZ)
        row = by_user[record.user_id]
        row.check_ins += 1
        row.outside += _outside(record, row.person)
        if record.kind == CheckKind.IN:
            first_in[record.user_id].setdefault(local.date(), local)
        else:
            last_out[record.user_id][local.date()] = local
    opens, closes = work_hours()
    for user_id, row in by_user.items():
        on_leave = leaves.get(user_id, {})
        for day in workdays:
            if day in on_leave:
                kind = on_leave[day]
                row.leave_by_kind[kind] = row.leave_by_kind.get(kind, 0) + 1
                continue
            row.days_due += 1
            arrived = first_in[user_id].get(day)
            if arrived is None:
                continue
            row.days_present += 1
            row.late += arrived.time() > opens
            left = last_out[user_id].get(day)
            row.early += left is not None and left > arrived and left.time() < closes
    return rows


def ledger_header() -> list[str]:
    return [
        _("人员"),
        _("账号"),
        _("网格"),
        _("应出勤天数"),
        _("出勤天数"),
        _("出勤率"),
        _("迟到"),
        _("早退"),
        *[str(label) for label in LeaveKind.labels],
        _("缺勤天数"),
        _("网格外打卡"),
    ]


def ledger_line(row: LedgerRow) -> list[Any]:
    return [
        row.person.name,
        row.person.username,
        row.person.grid_names,
        row.days_due,
        row.days_present,
        round(row.rate, 4) if row.rate is not None else None,
        row.late,
        row.early,
        *[row.leave_of(kind) for kind in LeaveKind.values],
        row.absent,
        row.outside,
    ]


def ledger_workbook(rows: Sequence[LedgerRow], *, year: int, month: int, where: str) -> bytes:
    """The month ledger as Excel: one row per person, then the rules the figures follow."""
    from openpyxl import Workbook

    opens, closes = work_hours()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("考勤台账"))
    ws.append([_("考勤台账 %(y)s-%(m)02d %(where)s") % {"y": year, "m": month, "where": where}])
    ws.append(ledger_header())
    for row in rows:
        ws.append(ledger_line(row))
    ws.append([])
    ws.append(
        [
            _(
                "应出勤天数为当月工作日(国家法定工作日历)扣除请假日,计至月末或昨天;有签到的为"
                "出勤;上班时间 %(open)s–%(close)s,晚于上班时间签到为迟到,早于下班时间签退为早退。"
            )
            % {"open": opens.strftime("%H:%M"), "close": closes.strftime("%H:%M")}
        ]
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- one person's month -------------------------------------------------------------------------


@dataclass
class PersonDay:
    day: date
    is_workday: bool
    holiday: str
    leave_kind: str = ""
    check_ins: list[CheckIn] = field(default_factory=list)
    late: bool = False
    early: bool = False
    counted: bool = True

    @property
    def status(self) -> str:
        """One word for the day: leave, present, absent, rest, or pending (not counted yet)."""
        if self.leave_kind:
            return "leave"
        if any(c.kind == CheckKind.IN for c in self.check_ins):
            return "present"
        if not self.is_workday:
            return "rest"
        return "absent" if self.counted else "pending"


def person_month(person: Person, year: int, month: int) -> list[PersonDay]:
    """Every day of the month for one person: calendar, leave, check-ins with positions."""
    from gridgov.core.calendar import calendar_days

    first, last = month_span(year, month)
    span = counted_span(year, month)
    leaves = _leave_kinds([person.user_id], first, last).get(person.user_id, {})
    days = {
        info.date: PersonDay(
            day=info.date,
            is_workday=info.is_workday,
            holiday=info.name,
            leave_kind=leaves.get(info.date, ""),
            counted=span is not None and info.date <= span[1],
        )
        for info in calendar_days(first, last)
    }
    start = datetime.combine(first, time.min, tzinfo=LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    for record in (
        CheckIn.objects.filter(user_id=person.user_id, at__gte=start, at__lt=end)
        .select_related("grid")
        .order_by("at", "pk")
    ):
        record.outside = _outside(record, person)  # type: ignore[attr-defined]
        days[record.at.astimezone(LOCAL_TZ).date()].check_ins.append(record)
    opens, closes = work_hours()
    for entry in days.values():
        ins = [c.at.astimezone(LOCAL_TZ) for c in entry.check_ins if c.kind == CheckKind.IN]
        outs = [c.at.astimezone(LOCAL_TZ) for c in entry.check_ins if c.kind == CheckKind.OUT]
        if entry.is_workday and not entry.leave_kind and ins:
            entry.late = ins[0].time() > opens
            entry.early = bool(outs) and outs[-1] > ins[0] and outs[-1].time() < closes
    return list(days.values())


def check_in_points(days: Sequence[PersonDay]) -> list[dict[str, Any]]:
    """The month's check-ins with a position, for the small map."""
    return [
        {
            "lon": c.lon,
            "lat": c.lat,
            "label": f"{c.at.astimezone(LOCAL_TZ):%m-%d %H:%M} {c.get_kind_display()}",
            "outside": bool(getattr(c, "outside", False)),
        }
        for d in days
        for c in d.check_ins
        if c.lon is not None and c.lat is not None
    ]


# --- leave --------------------------------------------------------------------------------------


def leaves_visible_to(viewer: Any) -> QuerySet[Leave]:
    """Leave records of people with a current post in a grid the viewer sees."""
    from gridgov.people.models import Post

    user_ids = Post.objects.current().filter(grid__in=Grid.objects.visible_to(viewer))
    return Leave.objects.filter(user_id__in=user_ids.values("staff__user_id")).select_related(
        "user", "recorded_by"
    )


@transaction.atomic
def cancel_leave(*, by: Any, leave_id: int) -> None:
    """The office withdraws a leave recorded by mistake (404 outside its scope)."""
    _require_office(by)
    leave = leaves_visible_to(by).filter(pk=leave_id).select_for_update().first()
    if leave is None:
        raise ReferenceNotFoundError(_("请假记录不存在或不在您的辖区"), field="leave")
    leave.delete()


# --- duty roster --------------------------------------------------------------------------------


def duty_month(viewer: Any, year: int, month: int) -> dict[date, list[DutyShift]]:
    """Shifts overlapping each day of the month in grids the viewer sees."""
    first, last = month_span(year, month)
    start = datetime.combine(first, time.min, tzinfo=LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    shifts = (
        DutyShift.objects.filter(grid__in=Grid.objects.visible_to(viewer))
        .filter(starts_at__lt=end, ends_at__gt=start)
        .select_related("user__staff", "grid")
        .order_by("starts_at", "pk")
    )
    days: dict[date, list[DutyShift]] = {
        first + timedelta(days=i): [] for i in range((last - first).days + 1)
    }
    for shift in shifts:
        day = max(shift.starts_at.astimezone(LOCAL_TZ).date(), first)
        final = min((shift.ends_at - timedelta(microseconds=1)).astimezone(LOCAL_TZ).date(), last)
        while day <= final:
            days[day].append(shift)
            day += timedelta(days=1)
    return days


@transaction.atomic
def remove_duty_shift(*, by: Any, shift_id: int) -> None:
    """Take a shift off the roster (404 outside the office's scope)."""
    _require_office(by)
    shift = (
        DutyShift.objects.filter(grid__in=Grid.objects.visible_to(by), pk=shift_id)
        .select_for_update()
        .first()
    )
    if shift is None:
        raise ReferenceNotFoundError(_("值班记录不存在或不在您的辖区"), field="shift")
    shift.delete()


def duty_candidates(viewer: Any) -> list[tuple[str, str]]:
    """People the office may put on duty: its own staff with posts in its grids, and users
    whose jurisdiction lies in them (office colleagues), as (username, label)."""
    from django.contrib.auth import get_user_model

    from gridgov.people.models import Jurisdiction, Post

    grids = Grid.objects.visible_to(viewer)
    posted = dict(
        Post.objects.current()
        .filter(grid__in=grids, staff__user__isnull=False)
        .values_list("staff__user__username", "staff__name")
    )
    holders = (
        get_user_model()
        .objects.filter(
            pk__in=Jurisdiction.objects.filter(grid__in=grids, active=True).values("user_id"),
            is_active=True,
        )
        .values_list("username", flat=True)
    )
    out = dict(posted)
    for username in holders:
        out.setdefault(username, username)
    return sorted(((u, f"{n}({u})" if n != u else u) for u, n in out.items()), key=lambda x: x[1])
