"""Reads for the oversight pages and the command centre: rankings with colour grades, a unit's
trend over months, the performance pay sheet, warning colours by grid, Excel workbooks."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.oversight.models import (
    LEVEL_RANK,
    AssessmentResult,
    AssessmentRun,
    EarlyWarning,
    RunState,
    Scheme,
)
from gridgov.oversight.permissions import results_q

# Colour grades of a ranking by the share of the scheme's full score (优秀/良好/合格/不合格).
GRADES: tuple[tuple[float, str, str], ...] = (
    (0.90, "green", gettext_noop("优秀")),
    (0.80, "blue", gettext_noop("良好")),
    (0.60, "yellow", gettext_noop("合格")),
    (0.0, "red", gettext_noop("不合格")),
)


@dataclass(frozen=True)
class RankedResult:
    result: AssessmentResult
    grade: str
    grade_label: str
    share: float


def grade_of(score: Decimal | float, full: float) -> tuple[str, str, float]:
    share = float(score) / full if full else 0.0
    for floor, colour, label in GRADES:
        if share >= floor:
            return colour, _(label), share
    return "red", _("不合格"), share


def published_runs(scheme_code: str, unit_kind: str) -> QuerySet[AssessmentRun]:
    return AssessmentRun.objects.filter(
        scheme__code=scheme_code, unit_kind=unit_kind, state=RunState.PUBLISHED
    ).select_related("scheme")


def ranking(user: Any, *, scheme_code: str, month: str, unit_kind: str) -> list[RankedResult]:
    """The published results of a month the user may see, best first, with a colour grade."""
    run = published_runs(scheme_code, unit_kind).filter(month=month).first()
    if run is None:
        return []
    full = run.scheme.total_weight
    rows = run.results.filter(results_q(user)).order_by("rank", "code")
    return [RankedResult(r, *grade_of(r.score, full)) for r in rows]


@dataclass(frozen=True)
class TrendPoint:
    name: str
    month: str
    score: float
    rank: int
    units: int


def trend(user: Any, *, scheme_code: str, unit_kind: str, code: str) -> list[TrendPoint]:
    """A unit's published score month by month (oldest first), within the user's scope."""
    results = (
        AssessmentResult.objects.filter(results_q(user))
        .filter(
            run__scheme__code=scheme_code,
            run__unit_kind=unit_kind,
            run__state=RunState.PUBLISHED,
            code=code,
        )
        .select_related("run")
        .order_by("run__month")
    )
    points = []
    for r in results:
        points.append(
            TrendPoint(r.name, r.run.month, float(r.score), r.rank, r.run.results.count())
        )
    return points


@dataclass(frozen=True)
class PayLine:
    code: str
    name: str
    score: float
    base: Decimal
    performance: Decimal

    @property
    def total(self) -> Decimal:
        return self.base + self.performance


def pay_sheet(
    user: Any,
    *,
    scheme_code: str,
    month: str,
    base: Decimal,
    performance_max: Decimal,
) -> list[PayLine]:
    """Seed 001: 基本工资+绩效工资. Each worker's performance share is the full performance pay
    times score / full score of the scheme (from the published run only)."""
    run = published_runs(scheme_code, "worker").filter(month=month).first()
    if run is None:
        return []
    full = Decimal(str(run.scheme.total_weight or 1))
    lines = []
    for r in run.results.filter(results_q(user)).order_by("rank", "code"):
        share = (performance_max * Decimal(r.score) / full).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        lines.append(PayLine(r.code, r.name, float(r.score), base, max(share, Decimal(0))))
    return lines


def warning_colours(user: Any) -> dict[str, str]:
    """Grid code → the highest active warning colour, for the command-centre map."""
    out: dict[str, str] = {}
    rows = EarlyWarning.objects.active().visible_to(user).values_list("grid__code", "level")
    for code, level in rows:
        if code not in out or LEVEL_RANK[level] > LEVEL_RANK[out[code]]:
            out[code] = level
    return out


def grid_warnings(user: Any, grid: Any) -> list[EarlyWarning]:
    """Active warnings in a grid's subtree, highest level first (the command centre's card)."""
    rows = list(
        EarlyWarning.objects.active()
        .visible_to(user)
        .filter(grid__path__startswith=grid.path)
        .select_related("grid")[:20]
    )
    return sorted(rows, key=lambda w: (-LEVEL_RANK[w.level], w.grid.code))


def schemes() -> QuerySet[Scheme]:
    return Scheme.objects.filter(is_current=True).order_by("code")


def ranking_workbook(rows: list[RankedResult]) -> bytes:
    """The ranking as an .xlsx: one row per unit, one column per item's points."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("考核结果"))
    items = rows[0].result.items if rows else []
    ws.append([_("名次"), _("编码"), _("名称"), _("得分"), _("等级")] + [i["name"] for i in items])
    for row in rows:
        r = row.result
        ws.append(
            [r.rank, r.code, r.name, float(r.score), row.grade_label]
            + [i["points"] for i in r.items]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def pay_workbook(lines: list[PayLine], *, month: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("绩效工资"))
    ws.append(
        [_("月份"), _("用户名"), _("姓名"), _("考核得分"), _("基本工资"), _("绩效工资"), _("合计")]
    )
    for line in lines:
        ws.append(
            [
                month,
                line.code,
                line.name,
                line.score,
                float(line.base),
                float(line.performance),
                float(line.total),
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
