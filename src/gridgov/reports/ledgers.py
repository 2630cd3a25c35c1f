"""Ledgers (台账): the case ledger with the page's filters, and the field-work and registry
ledgers, as Excel with the same period and grid. Every row comes through `visible_to(user)`;
residents' ID numbers and phones leave only masked (the registry's own export, masked)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
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


def available(user: Any) -> list[LedgerLink]:
    return list(KINDS.values())


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
            ),
            OtherLedger(
                "hazard-ledger",
                gettext_lazy("隐患台账"),
                gettext_lazy("隐患编号、网格、单位、等级、状态、整改期限、销号"),
                url("hazards", grid=grid, format="xlsx"),
                uses_period=False,
            ),
            OtherLedger(
                "key-supervision",
                gettext_lazy("重点监管名单"),
                gettext_lazy("重点监管的生产经营单位及检查计划"),
                url("safety_plan", grid=grid, key="1", format="xlsx"),
                uses_period=False,
            ),
            OtherLedger(
                "inspection-plan",
                gettext_lazy("安全检查计划"),
                gettext_lazy("各单位按风险等级的检查周期与到期情况"),
                url("safety_plan", grid=grid, format="xlsx"),
                uses_period=False,
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


def _patrol_rows(user: Any, root: Grid | None, start: dt.datetime, end: dt.datetime) -> Any:
    qs = Patrol.objects.visible_to(user).filter(started_at__gte=start, started_at__lt=end)
    if root is not None:
        qs = qs.filter(grid__path__startswith=root.path)
    qs = qs.select_related("user", "grid").order_by("started_at", "pk")
    for n, p in enumerate(qs.iterator(chunk_size=2000), start=1):
        yield [
            n,
            p.user.get_full_name() or p.user.get_username(),
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
            d.user.get_full_name() or d.user.get_username(),
            d.grid.name if d.grid else "",
            d.get_kind_display(),
            d.text,
            d.tags,
        ]


def kind_workbook(
    kind: str, user: Any, *, root: Grid | None, first: dt.date, last: dt.date
) -> bytes:
    """The workbook of one ledger kind for the page's period and grid."""
    link = KINDS[kind]
    if kind in ("persons", "households"):
        from gridgov.registry.ledgers import export_ledger

        out = io.BytesIO()
        export_ledger(kind, out, by=user, grid=root)
        return out.getvalue()
    start, end = period_bounds(first, last)
    note = _note(root, first, last)
    if kind == "patrols":
        head = [
            _("序号"),
            _("巡查人"),
            _("网格"),
            _("开始"),
            _("结束"),
            _("里程(公里)"),
            _("时长(分钟)"),
        ]
        return _workbook(str(link.label), head, _patrol_rows(user, root, start, end), note)
    head = [_("序号"), _("日期"), _("网格员"), _("网格"), _("类别"), _("内容"), _("标签")]
    return _workbook(str(link.label), head, _diary_rows(user, root, first, last), note)
