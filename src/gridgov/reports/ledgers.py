"""Ledgers (台账): the case ledger with the page's filters, and the field-work and registry
ledgers, as Excel with the same period and grid. Every row comes through `visible_to(user)`;
residents' ID numbers and phones leave only masked (the registry's own export, masked)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.models import CLOSED_STATES, INVALID_STATES, OPEN_STATES, Case
from gridgov.fieldwork.models import Diary, Patrol
from gridgov.grids.models import Grid
from gridgov.reports.reads import LOCAL, period_bounds

# Rows shown on the printable page; the workbook holds them all.
SHOWN = 500


@dataclass(frozen=True)
class LedgerLink:
    """One ledger the ledgers page offers: its kind, name and what it holds."""

    kind: str
    label: Any
    note: Any
    uses_period: bool = True
    # Field-work office ledgers: administrators, grid offices and leaders, as their own pages.
    office: bool = False
    # Served as Excel by another app (its own link on the ledgers page); printed here.
    print_only: bool = False


KINDS: dict[str, LedgerLink] = {
    link.kind: link
    for link in (
        LedgerLink(
            "patrols", gettext_lazy("巡查台账"), gettext_lazy("巡查人、网格、起止时间、里程、时长")
        ),
        LedgerLink(
            "diaries", gettext_lazy("民情日志台账"), gettext_lazy("日期、网格员、网格、类别、内容")
        ),
        LedgerLink(
            "inspections",
            gettext_lazy("检查台账"),
            gettext_lazy("期内安全检查:时间、单位、网格、检查人、结果、发现隐患"),
            office=True,
        ),
        LedgerLink(
            "checkins",
            gettext_lazy("打卡记录"),
            gettext_lazy("期内签到签退:时间、人员、类别、所在网格、精度"),
            office=True,
        ),
        LedgerLink(
            "leaves",
            gettext_lazy("请假记录"),
            gettext_lazy("与期间相交的请假:人员、类别、起止、天数、事由、登记人"),
            office=True,
        ),
        LedgerLink(
            "visits",
            gettext_lazy("走访台账"),
            gettext_lazy("期内走访:时间、网格员、户、类别、了解情况与问题"),
            office=True,
            print_only=True,
        ),
        LedgerLink(
            "attendance",
            gettext_lazy("考勤台账"),
            gettext_lazy("起始日所在月每人应出勤、出勤、迟到早退、请假、缺勤与网格外打卡"),
            office=True,
            print_only=True,
        ),
        LedgerLink(
            "hazards",
            gettext_lazy("隐患台账"),
            gettext_lazy("隐患编号、网格、单位、等级、状态、整改期限、销号"),
            uses_period=False,
            office=True,
            print_only=True,
        ),
        LedgerLink(
            "key-supervision",
            gettext_lazy("重点监管名单"),
            gettext_lazy("重点监管的生产经营单位及检查计划"),
            uses_period=False,
            office=True,
            print_only=True,
        ),
        LedgerLink(
            "inspection-plan",
            gettext_lazy("安全检查计划"),
            gettext_lazy("各单位按风险等级的检查周期与到期情况"),
            uses_period=False,
            office=True,
            print_only=True,
        ),
        LedgerLink(
            "persons",
            gettext_lazy("实有人口台账"),
            gettext_lazy("当前在册人员,身份证号与电话已脱敏"),
            uses_period=False,
        ),
        LedgerLink(
            "households",
            gettext_lazy("户籍台账"),
            gettext_lazy("当前在册户,联系方式已脱敏"),
            uses_period=False,
        ),
    )
}


def may_open(user: Any, kind: str) -> bool:
    """Whether this user may export or print this ledger kind (the owning page's role check)."""
    from gridgov.core.jurisdiction import Role, scope_of

    link = KINDS.get(kind)
    if link is None:
        return False
    return not link.office or scope_of(user).has_role(Role.ADMIN, Role.OFFICE, Role.LEADER)


def available(user: Any) -> list[LedgerLink]:
    """The ledgers exported here that this user may open (the print-only ones are linked beside
    their own app's Excel link)."""
    return [k for k in KINDS.values() if not k.print_only and may_open(user, k.kind)]


@dataclass(frozen=True)
class OtherLedger:
    """A ledger export that another app serves (field work, safety, surveys, registry), linked
    from the ledgers page with the page's grid and period where that export takes them."""

    kind: str
    label: Any
    note: Any
    url: str
    uses_period: bool = True
    page: bool = False
    # The ledger kind whose printable view (reports:ledger_print) sits beside this Excel link.
    prints: str = ""


# How many campaigns and surveys the ledgers page lists (most recent first).
LISTED = 10


def elsewhere(
    user: Any, *, root: Grid | None, first: dt.date | None, last: dt.date | None
) -> list[OtherLedger]:
    """The field-work and registry exports this user may open (each app's own role check, its
    own `visible_to` for campaigns and surveys), with the page's filters."""
    from urllib.parse import urlencode

    from django.urls import reverse

    from gridgov.core.jurisdiction import Role, scope_of
    from gridgov.fieldwork.models import Survey
    from gridgov.fieldwork.safety.models import Campaign
    from gridgov.registry.permissions import can_import_ledgers

    def url(name: str, *args: Any, **params: Any) -> str:
        query = urlencode({k: v for k, v in params.items() if v})
        return reverse(name, args=args) + (f"?{query}" if query else "")

    grid = root.code if root is not None else ""
    period = {"start": first.isoformat() if first else "", "end": last.isoformat() if last else ""}
    out: list[OtherLedger] = []
    scope = scope_of(user)
    # Field-work office pages: admin, grid office and leaders (fieldwork and safety views).
    if scope.has_role(Role.OFFICE, Role.LEADER):
        out += [
            OtherLedger(
                "visit-ledger",
                gettext_lazy("走访台账"),
                gettext_lazy("期内走访:时间、网格员、户、类别、了解情况与问题"),
                url("fieldwork_visit_ledger", **period),
                prints="visits",
            ),
            OtherLedger(
                "attendance-ledger",
                gettext_lazy("考勤台账"),
                gettext_lazy("当月每人应出勤、出勤、迟到早退、请假、缺勤与网格外打卡"),
                url(
                    "fieldwork_attendance",
                    month=(first or timezone.localdate()).strftime("%Y-%m"),
                    grid=grid,
                    format="xlsx",
                ),
                prints="attendance",
            ),
            OtherLedger(
                "hazard-ledger",
                gettext_lazy("隐患台账"),
                gettext_lazy("隐患编号、网格、单位、等级、状态、整改期限、销号"),
                url("hazards", grid=grid, format="xlsx"),
                uses_period=False,
                prints="hazards",
            ),
            OtherLedger(
                "key-supervision",
                gettext_lazy("重点监管名单"),
                gettext_lazy("重点监管的生产经营单位及检查计划"),
                url("safety_plan", grid=grid, key="1", format="xlsx"),
                uses_period=False,
                prints="key-supervision",
            ),
            OtherLedger(
                "inspection-plan",
                gettext_lazy("安全检查计划"),
                gettext_lazy("各单位按风险等级的检查周期与到期情况"),
                url("safety_plan", grid=grid, format="xlsx"),
                uses_period=False,
                prints="inspection-plan",
            ),
        ]
        for campaign in Campaign.objects.visible_to(user).order_by("-pk")[:LISTED]:
            out.append(
                OtherLedger(
                    f"campaign-{campaign.pk}",
                    _("专项排查进度:%(t)s") % {"t": campaign.title},
                    gettext_lazy("各镇、村、网格的排查进度"),
                    url("campaign_detail", campaign.pk, format="xlsx"),
                    uses_period=False,
                )
            )
        for survey in Survey.objects.visible_to(user).order_by("-pk")[:LISTED]:
            out.append(
                OtherLedger(
                    f"survey-{survey.pk}",
                    _("调查结果:%(t)s") % {"t": survey.title},
                    gettext_lazy("民情调查表的全部答卷"),
                    url("fieldwork_survey", survey.pk, format="xlsx"),
                    uses_period=False,
                )
            )
    # The registry's own ledgers (export in clear with a reason, templates, uploads): operators.
    if can_import_ledgers(user):
        out.append(
            OtherLedger(
                "registry-ledgers",
                gettext_lazy("人口与房屋台账(导入导出)"),
                gettext_lazy("登记台账的导出、模板下载与批量导入"),
                url("registry_ledgers"),
                uses_period=False,
                page=True,
            )
        )
    return out


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value, LOCAL).strftime("%Y-%m-%d %H:%M") if value else ""


def cases(
    user: Any,
    *,
    root: Grid | None,
    first: dt.date,
    last: dt.date,
    channel: str = "",
    matter_class: str = "",
    state: str = "",
) -> QuerySet[Case]:
    """Cases reported in the period inside the user's scope and the grid's subtree."""
    start, end = period_bounds(first, last)
    qs = Case.objects.visible_to(user).filter(created_at__gte=start, created_at__lt=end)
    if root is not None:
        qs = qs.within(root)
    if channel:
        qs = qs.filter(channel=channel)
    if matter_class:
        qs = qs.filter(item__matter_class__code=matter_class)
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state == "closed":
        qs = qs.filter(state__in=CLOSED_STATES)
    elif state == "overdue":
        qs = qs.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())
    else:
        qs = qs.exclude(state__in=INVALID_STATES) if state == "valid" else qs
    return qs.select_related("grid", "item__matter_class", "department").order_by(
        "created_at", "pk"
    )


CASE_HEAD = (
    gettext_lazy("序号"),
    gettext_lazy("案件编号"),
    gettext_lazy("上报时间"),
    gettext_lazy("标题"),
    gettext_lazy("事项大类"),
    gettext_lazy("事项"),
    gettext_lazy("来源渠道"),
    gettext_lazy("所属网格"),
    gettext_lazy("地址"),
    gettext_lazy("状态"),
    gettext_lazy("处置部门"),
    gettext_lazy("办理期限"),
    gettext_lazy("结案时间"),
    gettext_lazy("办结层级"),
    gettext_lazy("按期"),
    gettext_lazy("满意度"),
)


def case_line(n: int, case: Case) -> list[Any]:
    on_time = ""
    if case.closed_at is not None:
        deadline = case.due_at or case.closed_at
        on_time = _("是") if case.closed_at <= deadline else _("否")
    return [
        n,
        case.pk,
        _local(case.created_at),
        case.title,
        case.item.matter_class.name if case.item else "",
        case.item.name if case.item else "",
        case.get_channel_display(),
        case.grid.name,
        case.address,
        case.get_state_display(),
        case.department.name if case.department else "",
        _local(case.due_at),
        _local(case.closed_at),
        case.get_closed_level_display() if case.closed_level else "",
        on_time,
        case.get_satisfaction_display() if case.satisfaction else "",
    ]


def case_rows(user: Any, *, root: Grid | None, **filters: Any) -> tuple[list[list[Any]], int]:
    qs = cases(user, root=root, **filters)
    total = qs.count()
    return [case_line(n, c) for n, c in enumerate(qs[:SHOWN], start=1)], total


def _workbook(title: str, head: list[Any], rows: Iterator[list[Any]], note: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([note])
    sheet.append([str(h) for h in head])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _note(root: Grid | None, first: dt.date | None, last: dt.date | None) -> str:
    scope = root.name if root else _("全部")
    if first is None or last is None:
        return _("范围:%(s)s") % {"s": scope}
    return _("期间:%(a)s 至 %(b)s;范围:%(s)s") % {
        "a": first.isoformat(),
        "b": last.isoformat(),
        "s": scope,
    }


def case_workbook(user: Any, *, root: Grid | None, **filters: Any) -> bytes:
    qs = cases(user, root=root, **filters)
    rows = (case_line(n, c) for n, c in enumerate(qs.iterator(chunk_size=2000), start=1))
    note = _note(root, filters.get("first"), filters.get("last"))
    return _workbook(_("案件台账"), list(CASE_HEAD), rows, note)


@dataclass
class Sheet:
    """One ledger kind's rows for the page's filters: the single source both the workbook and
    the printed ledger read, so what is printed is what Excel holds (issue 13)."""

    title: str
    head: list[str]
    rows: Iterable[list[Any]]
    # Written above the header in the workbook (period and scope), none for the registry's.
    note: str = ""


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _staff_name(user: Any) -> str:
    """The roster name of a grid staff account (as the visit ledger names them), else its own."""
    staff = getattr(user, "staff", None)
    return str(staff.name) if staff is not None else _name(user)


def _patrol_rows(user: Any, root: Grid | None, start: dt.datetime, end: dt.datetime) -> Any:
    qs = Patrol.objects.visible_to(user).filter(started_at__gte=start, started_at__lt=end)
    if root is not None:
        qs = qs.filter(grid__path__startswith=root.path)
    qs = qs.select_related("user", "grid").order_by("started_at", "pk")
    for n, p in enumerate(qs.iterator(chunk_size=2000), start=1):
        yield [
            n,
            _name(p.user),
            p.grid.name if p.grid else "",
            _local(p.started_at),
            _local(p.ended_at),
            round(p.mileage_m / 1000, 2),
            round(p.duration_s / 60),
        ]


def _diary_rows(user: Any, root: Grid | None, first: dt.date, last: dt.date) -> Any:
    qs = Diary.objects.visible_to(user).filter(day__gte=first, day__lte=last)
    if root is not None:
        qs = qs.filter(Q(grid__path__startswith=root.path))
    qs = qs.select_related("user", "grid").order_by("day", "pk")
    for n, d in enumerate(qs.iterator(chunk_size=2000), start=1):
        yield [
            n,
            d.day.isoformat(),
            _name(d.user),
            d.grid.name if d.grid else "",
            d.get_kind_display(),
            d.text,
            d.tags,
        ]


def _inspection_rows(user: Any, root: Grid | None, start: dt.datetime, end: dt.datetime) -> Any:
    from django.db.models import Count, Prefetch

    from gridgov.fieldwork.safety.models import Hazard, Inspection

    qs = Inspection.objects.visible_to(user).filter(at__gte=start, at__lt=end)
    if root is not None:
        qs = qs.filter(grid__path__startswith=root.path)
    qs = (
        qs.select_related("organisation", "grid", "inspector__staff", "checklist")
        .annotate(
            items=Count("answers", distinct=True),
            failed=Count("answers", filter=Q(answers__ok=False), distinct=True),
        )
        .prefetch_related(Prefetch("hazards", queryset=Hazard.objects.order_by("number")))
        .order_by("at", "pk")
    )
    for n, i in enumerate(qs.iterator(chunk_size=2000), start=1):
        found = [h.number for h in i.hazards.all()]
        result = _("合格") if i.items else ""
        if i.failed:
            result = _("%(n)s 项不合格") % {"n": i.failed}
        yield [
            n,
            _local(i.at),
            i.organisation.name,
            i.grid.name,
            _staff_name(i.inspector),
            i.checklist.name,
            result,
            len(found),
            "、".join(found),
            i.note,
        ]


def _people(user: Any, root: Grid | None, first: dt.date, last: dt.date) -> dict[int, Any]:
    """Grid staff with a post in the user's subtree (under `root`) during the period: whose
    check-ins and leave the user sees, as the attendance ledger counts them."""
    from gridgov.fieldwork.attendance import people_in

    return {p.user_id: p for p in people_in(user, root, first, last)}


def _checkin_rows(user: Any, root: Grid | None, first: dt.date, last: dt.date) -> Any:
    from gridgov.fieldwork.models import CheckIn

    people = _people(user, root, first, last)
    start, end = period_bounds(first, last)
    qs = (
        CheckIn.objects.filter(user_id__in=list(people), at__gte=start, at__lt=end)
        .select_related("grid")
        .order_by("at", "pk")
    )
    for n, c in enumerate(qs.iterator(chunk_size=2000), start=1):
        person = people[c.user_id]
        yield [
            n,
            _local(c.at),
            person.name,
            person.username,
            c.get_kind_display(),
            c.grid.name if c.grid else "",
            round(c.accuracy) if c.accuracy is not None else "",
        ]


def _leave_rows(user: Any, root: Grid | None, first: dt.date, last: dt.date) -> Any:
    from gridgov.fieldwork.models import Leave

    people = _people(user, root, first, last)
    qs = (
        Leave.objects.filter(user_id__in=list(people), starts_on__lte=last, ends_on__gte=first)
        .select_related("recorded_by__staff")
        .order_by("starts_on", "pk")
    )
    for n, leave in enumerate(qs.iterator(chunk_size=2000), start=1):
        person = people[leave.user_id]
        yield [
            n,
            person.name,
            person.username,
            leave.get_kind_display(),
            leave.starts_on.isoformat(),
            leave.ends_on.isoformat(),
            leave.days,
            leave.reason,
            _staff_name(leave.recorded_by),
        ]


def hazard_query(user: Any, root: Grid | None) -> Any:
    """The hazards page's ledger with only its grid filter (as the ledgers page links it)."""
    from gridgov.fieldwork.safety.models import Hazard

    qs = Hazard.objects.visible_to(user)
    if root is not None:
        qs = qs.filter(grid__path__startswith=root.path)
    return qs.select_related("grid", "organisation", "level_grid")


# The hazards page's workbook holds at most this many rows; the print follows it.
HAZARDS_MAX = 20000


def sheet(kind: str, user: Any, *, root: Grid | None, first: dt.date, last: dt.date) -> Sheet:
    """The rows of one ledger kind for the page's period and grid, inside the user's scope."""
    link = KINDS[kind]
    title = str(link.label)
    note = _note(root, first, last)
    start, end = period_bounds(first, last)
    if kind in ("persons", "households"):
        # The registry's own exporter, masked: the clear export needs a logged reason and stays
        # on the registry's page, in Excel only.
        from gridgov.registry.ledgers import LEDGERS

        spec = LEDGERS[kind]
        rows = spec.exporter(by=user, grid=root, clear=False)
        return Sheet(title, [str(c) for c in spec.columns], rows, "")
    if kind == "patrols":
        head = [_("序号"), _("巡查人"), _("网格"), _("开始"), _("结束")]
        head += [_("里程(公里)"), _("时长(分钟)")]
        return Sheet(title, head, _patrol_rows(user, root, start, end), note)
    if kind == "diaries":
        head = [_("序号"), _("日期"), _("网格员"), _("网格"), _("类别"), _("内容"), _("标签")]
        return Sheet(title, head, _diary_rows(user, root, first, last), note)
    if kind == "inspections":
        head = [_("序号"), _("检查时间"), _("生产经营单位"), _("网格"), _("检查人")]
        head += [_("检查表"), _("检查结果"), _("发现隐患"), _("隐患编号"), _("检查情况")]
        return Sheet(title, head, _inspection_rows(user, root, start, end), note)
    if kind == "checkins":
        head = [_("序号"), _("时间"), _("人员"), _("账号"), _("类别"), _("所在网格")]
        head += [_("精度(米)")]
        return Sheet(title, head, _checkin_rows(user, root, first, last), note)
    if kind == "leaves":
        head = [_("序号"), _("人员"), _("账号"), _("类别"), _("开始日期"), _("结束日期")]
        head += [_("天数"), _("事由"), _("登记人")]
        return Sheet(title, head, _leave_rows(user, root, first, last), note)
    if kind == "visits":
        from gridgov.fieldwork import visits

        qs = visits.ledger_visits(user, first, last, grid_path=root.path if root else "")
        return Sheet(title, visits.ledger_header(), visits.ledger_rows(qs), note)
    if kind == "attendance":
        from gridgov.fieldwork import attendance

        people = attendance.month_ledger(user, first.year, first.month, root)
        note = _("%(y)s-%(m)02d;范围:%(s)s") % {
            "y": first.year,
            "m": first.month,
            "s": root.name if root else _("全部"),
        }
        lines = (attendance.ledger_line(r) for r in people)
        return Sheet(title, attendance.ledger_header(), lines, note)
    if kind == "hazards":
        from gridgov.fieldwork.safety.exports import hazard_header, hazard_line

        hazards = hazard_query(user, root)[:HAZARDS_MAX]
        note = _note(root, None, None)
        return Sheet(title, hazard_header(), (hazard_line(h) for h in hazards), note)
    if kind in ("key-supervision", "inspection-plan"):
        from gridgov.fieldwork.safety.exports import plan_header, plan_line
        from gridgov.fieldwork.safety.services import inspection_plan

        key_only = kind == "key-supervision"
        plan = inspection_plan(user, key_only=key_only, grid=root)
        return Sheet(title, plan_header(), (plan_line(r) for r in plan), _note(root, None, None))
    raise KeyError(kind)


def kind_workbook(
    kind: str, user: Any, *, root: Grid | None, first: dt.date, last: dt.date
) -> bytes:
    """The workbook of one ledger kind for the page's period and grid."""
    if kind in ("persons", "households"):
        from gridgov.registry.ledgers import export_ledger

        out = io.BytesIO()
        export_ledger(kind, out, by=user, grid=root)
        return out.getvalue()
    rows = sheet(kind, user, root=root, first=first, last=last)
    return _workbook(rows.title, rows.head, iter(rows.rows), rows.note)
