"""Excel exports of business safety and campaigns: the inspection plan and key-supervision
list, the hazard ledger per grid and business, and a campaign's progress."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.fieldwork.safety.models import Campaign, Hazard, HazardGrade, HazardState
from gridgov.fieldwork.safety.services import PlanRow, ProgressRow


def _workbook(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *more: tuple[str, Sequence[str], Iterable[Sequence[Any]]],
) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, head, lines in ((title, header, rows), *more):
        ws = wb.create_sheet(name[:31])
        ws.append(list(head))
        for row in lines:
            ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def plan_header() -> list[str]:
    """The inspection plan's columns (the Excel sheet and the printed ledger, issue 13)."""
    return [
        _("单位名称"),
        _("统一社会信用代码"),
        _("行业"),
        _("网格"),
        _("风险等级"),
        _("重点监管"),
        _("检查间隔(天)"),
        _("最近检查"),
        _("下次应检"),
        _("未销号隐患"),
    ]


def plan_line(r: PlanRow) -> list[Any]:
    """One business's plan row, the same in the Excel sheet and the printed ledger."""
    return [
        r.organisation.name,
        r.organisation.credit_code or "",
        r.organisation.industry,
        r.organisation.grid.name,
        r.organisation.get_risk_grade_display(),
        _("是") if r.organisation.key_supervision else _("否"),
        r.interval_days or "",
        _local(r.last_at),
        r.next_due.isoformat() if r.next_due else "",
        r.open_hazards,
    ]


def plan_workbook(rows: Sequence[PlanRow], *, key_only: bool) -> bytes:
    title = _("重点监管名单") if key_only else _("安全检查计划")
    return _workbook(title, plan_header(), (plan_line(r) for r in rows))


def hazard_header() -> list[str]:
    """The hazard ledger's columns (the Excel sheet and the printed ledger, issue 13)."""
    return [
        _("编号"),
        _("网格"),
        _("生产经营单位"),
        _("来源"),
        _("隐患等级"),
        _("隐患描述"),
        _("状态"),
        _("发现时间"),
        _("整改期限"),
        _("是否超期"),
        _("整改期间安全防范措施"),
        _("整改情况"),
        _("责任层级"),
        _("销号时间"),
    ]


def hazard_line(h: Hazard) -> list[Any]:
    """One hazard's ledger row, the same in the Excel sheet and the printed ledger."""
    return [
        h.number,
        h.grid.name,
        h.organisation.name if h.organisation else "",
        h.get_source_display(),
        h.get_grade_display(),
        h.description,
        h.get_state_display(),
        _local(h.found_at),
        _local(h.due_at),
        _("是") if h.is_overdue else "",
        h.measures,
        h.rectification,
        h.level_grid.name,
        _local(h.closed_at),
    ]


def hazard_workbook(hazards: Sequence[Hazard]) -> bytes:
    """The ledger, one row a hazard, and its totals per grid and per business."""
    totals_head = [_("隐患总数"), _("未销号"), _("已超期"), _("重大隐患"), _("已销号")]
    return _workbook(
        _("隐患台账"),
        hazard_header(),
        (hazard_line(h) for h in hazards),
        (_("按网格"), [_("网格"), *totals_head], _totals(hazards, lambda h: h.grid.name)),
        (
            _("按单位"),
            [_("生产经营单位"), *totals_head],
            _totals(hazards, lambda h: h.organisation.name if h.organisation else "—"),
        ),
    )


def _totals(hazards: Sequence[Hazard], key: Callable[[Hazard], str]) -> list[list[Any]]:
    rows: dict[str, list[int]] = {}
    for h in hazards:
        row = rows.setdefault(key(h), [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += h.state != HazardState.CLOSED
        row[2] += h.is_overdue
        row[3] += h.grade == HazardGrade.MAJOR
        row[4] += h.state == HazardState.CLOSED
    return [[name, *counts] for name, counts in sorted(rows.items())]


def progress_workbook(campaign: Campaign, towns: Sequence[ProgressRow]) -> bytes:
    """Progress per town, village and unit grid, with the campaign's state on every row and an
    overview sheet (state, deadline, closing remark)."""
    header = [
        _("层级"),
        _("网格编码"),
        _("名称"),
        _("应填项"),
        _("已填项"),
        _("完成率"),
        _("发现问题"),
        _("超期网格"),
        _("状态"),
    ]
    labels = {"town": _("镇街"), "village": _("村社区"), "unit": _("单元网格")}
    state = campaign.get_state_display()

    def walk(rows: Sequence[ProgressRow]) -> Iterable[list[Any]]:
        for row in rows:
            yield [
                labels[row.level],
                row.code,
                row.name,
                row.due,
                row.answered,
                round(row.share, 4),
                row.problems,
                row.overdue,
                state,
            ]
            yield from walk(row.children)

    overview = [
        [_("名称"), campaign.title],
        [_("状态"), state],
        [_("截止日期"), campaign.deadline.isoformat()],
        [_("结束时间"), _local(campaign.closed_at)],
        [_("结束说明"), campaign.remark],
    ]
    return _workbook(
        campaign.title, header, walk(towns), (_("概况"), [_("项目"), _("内容")], overview)
    )
