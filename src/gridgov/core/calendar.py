"""The official working-day calendar as stored in the database, and the writes that change it.

`get_calendar()` returns a `workdays.WorkCalendar` cached per process; one query of the revision
row tells whether another process (the admin, `gridgov load-calendar`) changed the table since.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, ImportRejectedError, ImportRowError
from gridgov.core.inputguard import read_csv_rows
from gridgov.core.models import CalendarRevision, CalendarSource, WorkCalendarDay, WorkCalendarYear
from gridgov.core.workdays import DEFAULT_SCHEDULE, WorkCalendar, WorkSchedule

# The years a working-day calendar may hold: wider than any notice, narrow enough to count in.
FIRST_YEAR, LAST_YEAR = 1900, 2200

# Names chinesecalendar uses (English) → the names on the official notice.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
MAKEUP_SUFFIX = "调休上班"

_lock = threading.Lock()
_cached: tuple[uuid.UUID | None, WorkCalendar] | None = None


@dataclass(frozen=True)
class CalendarRow:
    """One line of a year's calendar: a day that is not a plain Monday–Friday day."""

    date: dt.date
    is_workday: bool
    name: str = ""


def work_schedule() -> WorkSchedule:
    raw = getattr(settings, "GRIDGOV_WORK_HOURS", "")
    if not raw:
        return DEFAULT_SCHEDULE
    try:
        return WorkSchedule.parse(str(raw))
    except ValueError as exc:
        raise ImproperlyConfigured(f"GRIDGOV_WORK_HOURS: {exc}") from None


def _current_token() -> uuid.UUID | None:
    return CalendarRevision.objects.filter(pk=1).values_list("token", flat=True).first()


def _load() -> WorkCalendar:
    holidays: set[dt.date] = set()
    makeup: set[dt.date] = set()
    for day, is_workday in WorkCalendarDay.objects.values_list("date", "is_workday"):
        (makeup if is_workday else holidays).add(day)
    years = frozenset(WorkCalendarYear.objects.values_list("year", flat=True))
    return WorkCalendar(
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(makeup),
        covered_years=years,
        schedule=work_schedule(),
    )


def get_calendar() -> WorkCalendar:
    """The calendar of the database, reloaded only when its revision token changed."""
    global _cached
    token = _current_token()
    cached = _cached
    if cached is not None and cached[0] == token and token is not None:
        return cached[1]
    with _lock:
        calendar = _load()
        _cached = (token, calendar)
    return calendar


def covered_years() -> frozenset[int]:
    """The years whose official notice is loaded (deadlines in other years are provisional)."""
    return get_calendar().covered_years


def clear_cache() -> None:
    global _cached
    _cached = None


def bump_revision() -> None:
    """Call in the transaction of every calendar write (the admin and the services do)."""
    updated = CalendarRevision.objects.filter(pk=1).update(
        revision=F("revision") + 1, token=uuid.uuid4(), changed_at=timezone.now()
    )
    if not updated:
        CalendarRevision.objects.get_or_create(pk=1, defaults={"revision": 1})


def library_rows(year: int) -> list[CalendarRow]:
    """A year's exceptions as the `chinesecalendar` package knows them (2004–2026 in 1.11.0)."""
    from chinese_calendar import constants

    rows = [
        CalendarRow(day, False, HOLIDAY_NAMES_ZH.get(str(name), str(name)))
        for day, name in constants.holidays.items()
        if day.year == year
    ]
    rows += [
        CalendarRow(day, True, HOLIDAY_NAMES_ZH.get(str(name), str(name)) + MAKEUP_SUFFIX)
        for day, name in constants.workdays.items()
        if day.year == year
    ]
    return sorted(rows, key=lambda r: r.date)


def library_years() -> frozenset[int]:
    from chinese_calendar import constants

    return frozenset(d.year for d in constants.holidays) | frozenset(
        d.year for d in constants.workdays
    )


TRUE_WORDS = {"1", "true", "yes", "y", "t", "是", "班", "上班", "工作日"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "否", "休", "休息", "放假", "节假日"}


def parse_calendar_csv(data: bytes | str, *, year: int, source: str = "CSV") -> list[CalendarRow]:
    """`date,is_workday,name` rows (UTF-8, header required) of one year; every bad row is
    reported with its line number and nothing is returned unless all rows are good."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Excel on a Chinese Windows saves "CSV" in GBK; GB18030 reads it and is a superset.
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise ImportRejectedError(
                    [ImportRowError(_("文件编码无法识别,请另存为 UTF-8 CSV"), source=source)]
                ) from None
    else:
        text = data.lstrip("\ufeff")
    records = read_csv_rows(text, source=source)
    problems: list[ImportRowError] = []
    header = records[0] if records else None
    if header is None:
        raise ImportRejectedError([ImportRowError(_("文件为空"), source=source)])
    columns = [h.strip().lower() for h in header]
    if columns[:2] != ["date", "is_workday"] or (len(columns) > 2 and columns[2] != "name"):
        raise ImportRejectedError(
            [
                ImportRowError(
                    _("表头应为 date,is_workday,name,实际为 %(header)s")
                    % {"header": ",".join(header)},
                    source=source,
                    location=_("第 1 行"),
                )
            ]
        )
    rows: list[CalendarRow] = []
    seen: dict[dt.date, int] = {}
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        where = _("第 %(line)d 行") % {"line": line}

        def bad(message: str, where: str = where) -> None:
            problems.append(ImportRowError(message, source=source, location=where))

        if len(record) < 2 or len(record) > 3:
            bad(_("应有 2 或 3 列(date,is_workday,name),实际 %(n)d 列") % {"n": len(record)})
            continue
        date_text, flag_text = record[0].strip(), record[1].strip()
        name = record[2].strip() if len(record) == 3 else ""
        try:
            day = dt.date.fromisoformat(date_text)
        except ValueError:
            bad(_("日期 %(value)r 不是 YYYY-MM-DD 格式") % {"value": date_text})
            continue
        if day.year != year:
            bad(_("日期 %(day)s 不在 %(year)d 年内") % {"day": day.isoformat(), "year": year})
            continue
        flag = flag_text.lower()
        if flag in TRUE_WORDS:
            is_workday = True
        elif flag in FALSE_WORDS:
            is_workday = False
        else:
            bad(_("is_workday 应为 1 或 0,实际为 %(value)r") % {"value": flag_text})
            continue
        if len(name) > 60:
            bad(_("名称超过 60 个字符"))
            continue
        if day in seen:
            bad(
                _("日期 %(day)s 与第 %(other)d 行重复")
                % {"day": day.isoformat(), "other": seen[day]}
            )
            continue
        seen[day] = line
        rows.append(CalendarRow(day, is_workday, name))
    if not rows and not problems:
        problems.append(ImportRowError(_("文件中没有任何日期"), source=source))
    if problems:
        raise ImportRejectedError(problems)
    return rows


def _worth_storing(row: CalendarRow) -> bool:
    """Only days that differ from Monday–Friday, or that carry a holiday name, are rows."""
    plain = row.date.weekday() < 5
    return row.is_workday != plain or bool(row.name)


@transaction.atomic
def load_calendar_year(
    *,
    year: int,
    rows: Sequence[CalendarRow],
    source: str,
    by: Any = None,
    replace: bool = False,
    note: str = "",
) -> WorkCalendarYear:
    """Load one year's official calendar, all or nothing, and mark the year covered.

    Deadlines computed while the year was missing stay provisional until the owning app
    recomputes them (cases do on their next deadline sweep)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(_("年份 %(year)d 不合理") % {"year": year}, field="year")
    if source not in CalendarSource.values:
        raise DomainError(_("未知来源 %(source)s") % {"source": source}, field="source")
    outside = [r.date for r in rows if r.date.year != year]
    if outside:
        raise DomainError(
            _("日期 %(day)s 不在 %(year)d 年内") % {"day": outside[0].isoformat(), "year": year}
        )
    dates = [r.date for r in rows]
    if len(set(dates)) != len(dates):
        raise DomainError(_("同一日期出现多次"))
    existing = WorkCalendarYear.objects.select_for_update().filter(year=year).first()
    if existing is not None and not replace:
        raise DomainError(
            _("%(year)d 年的工作日历已载入(来源:%(source)s);如需覆盖请指定替换")
            % {"year": year, "source": existing.get_source_display()},
            field="year",
        )
    WorkCalendarDay.objects.filter(date__year=year).delete()
    WorkCalendarDay.objects.bulk_create(
        [
            WorkCalendarDay(date=r.date, is_workday=r.is_workday, name=r.name, source=source)
            for r in rows
            if _worth_storing(r)
        ]
    )
    if existing is None:
        existing = WorkCalendarYear(year=year)
    existing.source = source
    existing.loaded_at = timezone.now()
    existing.loaded_by = by if getattr(by, "pk", None) else None
    existing.note = note
    existing.save()
    bump_revision()
    return existing


@transaction.atomic
def check_calendar_date(day: dt.date, field: str) -> None:
    """Refuse a date no working-day calendar will ever hold (year 1 or 9999 is a slip; at the
    edges of Python's dates counting a day further would overflow)."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DomainError(
            _("日期 %(day)s 超出工作日历范围(%(first)s–%(last)s 年)")
            % {"day": day.isoformat(), "first": FIRST_YEAR, "last": LAST_YEAR},
            field=field,
        )


def set_calendar_day(
    *, day: dt.date, is_workday: bool, name: str = "", by: Any = None
) -> WorkCalendarDay | None:
    """An administrator's correction of one day; a plain Monday–Friday day without a name is
    removed rather than stored. Returns the stored row, or None when none is needed."""
    check_calendar_date(day, "date")
    if len(name) > 60:
        raise DomainError(_("名称超过 60 个字符"), field="name")
    row = CalendarRow(day, is_workday, name.strip())
    WorkCalendarDay.objects.filter(date=day).delete()
    stored = None
    if _worth_storing(row):
        stored = WorkCalendarDay.objects.create(
            date=day, is_workday=is_workday, name=row.name, source=CalendarSource.ADMIN
        )
    bump_revision()
    return stored


@transaction.atomic
def ensure_seeded() -> bool:
    """Seed the years chinesecalendar knows when the calendar is empty (a flushed test
    database, a database built without migrations); True when it seeded."""
    if WorkCalendarYear.objects.exists():
        return False
    for year in sorted(library_years()):
        load_calendar_year(
            year=year,
            rows=library_rows(year),
            source=CalendarSource.LIBRARY,
            note="chinesecalendar",
        )
    return True


@dataclass(frozen=True)
class CalendarDayInfo:
    date: dt.date
    is_workday: bool
    name: str
    covered: bool


def calendar_days(first: dt.date, last: dt.date) -> list[CalendarDayInfo]:
    """Every day in [first, last] with whether it is worked, for a calendar page."""
    calendar = get_calendar()
    names = dict(
        WorkCalendarDay.objects.filter(date__range=(first, last)).values_list("date", "name")
    )
    out = []
    day = first
    while day <= last:
        out.append(
            CalendarDayInfo(
                day, calendar.is_workday(day), names.get(day, ""), calendar.is_covered(day)
            )
        )
        day += dt.timedelta(days=1)
    return out


def years_needed(*, today: dt.date, horizon_days: int) -> list[int]:
    """Years within `horizon_days` of today that the calendar does not cover yet."""
    years = covered_years()
    last = today + dt.timedelta(days=horizon_days)
    return [y for y in range(today.year, last.year + 1) if y not in years]


def working_days_left(due_at: dt.datetime, *, at: dt.datetime | None = None) -> int:
    """`workdays.working_days_left` on the database calendar, for pages ("还剩 N 个工作日")."""
    from gridgov.core import workdays

    return workdays.working_days_left(get_calendar(), at or timezone.now(), due_at)


def can_edit_calendar(user: Any) -> bool:
    """Platform administrators, and users granted the calendar permission in the admin."""
    from gridgov.core.jurisdiction import scope_of

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(scope_of(user).is_admin or user.has_perm("core.change_workcalendarday"))
