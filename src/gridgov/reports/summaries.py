"""Work summaries (工作总结, issue 13): the figures of a town, village or department for a month,
quarter or year, read from the code that already computes them (no second formula):

- reported, due, closed, closure rate and satisfaction: `oversight.indicators.compute` over the
  whole period (STANDARDS.md "Period rules" with P = the month, quarter or year);
- discovery rate: the hotline back-tracing rounds' current results
  (`hotline.services.crosscheck.discovery_rates`), or, when no imported record was
  back-traced in the period, the indicator's own discovery rate over hotline-channel cases;
- joint actions done: `oversight.coordination.joint_actions_done`;
- diaries, patrols, household visits and safety hazards (found, rectified): the statistics
  page's own SQL (`reports.stats.field_work_totals`), so the summary and the page agree;
- warnings, bulletins and trainings: counts of their records in the period and territory.

The figures feed a Word document (docxtpl template: the shipped one or the office's own upload)
and a PDF (WeasyPrint), both with server-rendered charts (PNG) and the office's text sections.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, ReferenceNotFoundError
from gridgov.grids.models import Grid
from gridgov.oversight.indicators import (
    INDICATORS,
    SHANGHAI,
    Counts,
    Period,
    UnitKind,
    compute,
)
from gridgov.people.models import Department
from gridgov.reports.stats import Query, field_work_totals

KINDS = (UnitKind.TOWN, UnitKind.VILLAGE, UnitKind.DEPARTMENT)
YEAR_RE = re.compile(r"^(\d{4})$")
QUARTER_RE = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


# -- periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryPeriod:
    """A month (2026-03), quarter (2026-Q1) or year (2026) in Asia/Shanghai."""

    kind: str  # "month" | "quarter" | "year"
    label: str
    year: int
    first_month: int
    months: int

    @property
    def period(self) -> Period:
        start = dt.datetime(self.year, self.first_month, 1, tzinfo=SHANGHAI)
        last = self.first_month + self.months - 1
        end = dt.datetime(self.year + last // 12, last % 12 + 1, 1, tzinfo=SHANGHAI)
        return Period(label=self.label, start=start, end=end)

    def month_labels(self) -> list[str]:
        return [
            f"{self.year}-{m:02d}" for m in range(self.first_month, self.first_month + self.months)
        ]

    @property
    def title(self) -> str:
        if self.kind == "year":
            return _("%(year)d年") % {"year": self.year}
        if self.kind == "quarter":
            return _("%(year)d年第%(q)d季度") % {
                "year": self.year,
                "q": (self.first_month + 2) // 3,
            }
        return _("%(year)d年%(month)d月") % {"year": self.year, "month": self.first_month}

    @classmethod
    def parse(cls, text: str) -> SummaryPeriod:
        text = (text or "").strip()
        if m := YEAR_RE.match(text):
            year = int(m.group(1))
            period = cls("year", text, year, 1, 12)
        elif m := QUARTER_RE.match(text):
            year, quarter = int(m.group(1)), int(m.group(2))
            period = cls("quarter", f"{year}-Q{quarter}", year, 3 * quarter - 2, 3)
        elif (m := MONTH_RE.match(text)) and 1 <= int(m.group(2)) <= 12:
            period = cls("month", text, int(m.group(1)), int(m.group(2)), 1)
        else:
            raise DomainError(
                _("期间格式应为 YYYY(年度)、YYYY-Q1(季度)或 YYYY-MM(月度)"), field="period"
            )
        if not 2000 <= period.year <= 2100:
            raise DomainError(_("年份超出范围"), field="period")
        return period


# -- units -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryUnit:
    kind: str
    code: str
    name: str
    grid: Grid | None = None
    department: Department | None = None


def unit_choices(user: Any, kind: str) -> list[SummaryUnit]:
    """Every unit of a kind the user may summarise (one scoping path: `visible_to`); `user`
    None is the command line, which sees every unit."""
    if kind == UnitKind.DEPARTMENT:
        departments = (
            Department.objects.all() if user is None else Department.objects.visible_to(user)
        )
        return [
            SummaryUnit(kind, str(d.pk), d.name, department=d)
            for d in departments.active().order_by("code")
        ]
    if kind not in KINDS:
        raise DomainError(_("总结对象类别无效:%(kind)s") % {"kind": kind}, field="unit")
    from gridgov.oversight.indicators import units_of

    codes = {u.code for u in units_of(kind)}
    grids = Grid.objects.all() if user is None else Grid.objects.visible_to(user)
    grids = grids.active().filter(code__in=codes).order_by("path")
    return [SummaryUnit(kind, g.code, g.name, grid=g) for g in grids]


def find_unit(user: Any, kind: str, code: str) -> SummaryUnit:
    """The unit, or a DomainError 404 when it does not exist or lies outside the user's scope."""
    for unit in unit_choices(user, kind):
        if unit.code == str(code):
            return unit
    raise ReferenceNotFoundError(_("找不到该单位:%(code)s") % {"code": code}, field="code")


# -- figures -----------------------------------------------------------------------------------


@dataclass
class Figures:
    """The period's figures of one unit (None: not applicable to this kind of unit)."""

    reported: int | None = None
    due: int = 0
    closed: int = 0
    closure_rate: float | None = None
    satisfaction_rate: float | None = None
    callbacks: int = 0
    diaries: int | None = None
    warnings: int | None = None
    bulletins: int | None = None
    joint_actions: int | None = None
    trainings: int | None = None
    training_attendance: int | None = None
    patrols: int | None = None
    patrol_km: float | None = None
    visits: int | None = None
    hazards_found: int | None = None
    hazards_rectified: int | None = None
    hotline_records: int | None = None
    discovered: int | None = None
    discovery_rate: float | None = None
    rounds: int | None = None
    monthly: list[dict[str, Any]] = field(default_factory=list)


def _counts_of(unit: SummaryUnit, period: Period, cache: dict[Any, Any]) -> Counts:
    for u, counts in compute(unit.kind, period, cache=cache):
        if u.code == unit.code:
            return counts
    return Counts()


def _rate(code: str, counts: Counts) -> float | None:
    return INDICATORS[code].measure(counts)[2]


def compute_figures(unit: SummaryUnit, speriod: SummaryPeriod) -> Figures:
    from gridgov.hotline.models import CrosscheckRound
    from gridgov.hotline.services.crosscheck import discovery_rates
    from gridgov.oversight.coordination import joint_actions_done
    from gridgov.oversight.models import (
        EarlyWarning,
        JointAction,
        JointActionState,
        Training,
        WarningBulletin,
    )

    period = speriod.period
    cache: dict[Any, Any] = {}
    counts = _counts_of(unit, period, cache)
    fig = Figures(
        reported=counts.reports if unit.grid is not None else None,
        due=counts.due,
        closed=counts.closed,
        closure_rate=_rate("closure_rate", counts),
        satisfaction_rate=_rate("satisfaction_rate", counts),
        callbacks=counts.callbacks,
    )
    start, end = period.start, period.end
    first, last = start.date(), (end - dt.timedelta(days=1)).date()
    if unit.grid is not None:
        grid = unit.grid
        sub = {"grid__path__startswith": grid.path}
        field_work = field_work_totals(Query(start, end, root_path=grid.path))
        fig.diaries = field_work.diaries
        fig.warnings = EarlyWarning.objects.filter(
            **sub, raised_at__gte=start, raised_at__lt=end
        ).count()
        fig.bulletins = WarningBulletin.objects.filter(
            **sub, issued_at__gte=start, issued_at__lt=end
        ).count()
        fig.joint_actions = joint_actions_done(grid, start, end)
        trainings = Training.objects.filter(**sub, held_on__gte=first, held_on__lte=last)
        fig.trainings = trainings.count()
        fig.training_attendance = (
            trainings.aggregate(n=Count("attendees"))["n"] or 0  # person-times
        )
        fig.patrols, fig.patrol_km = field_work.patrols, round(field_work.patrol_km, 1)
        fig.visits = field_work.visits
        fig.hazards_found = field_work.hazards_found
        fig.hazards_rectified = field_work.hazards_rectified
        rates = discovery_rates(start=first, end=last, grids=Grid.objects.filter(pk=grid.pk))
        rate = rates[0] if rates else None
        if rate is not None and rate.records:
            fig.hotline_records, fig.discovered = rate.records, rate.matched
            fig.discovery_rate = rate.rate
        else:
            fig.hotline_records, fig.discovered = counts.outside_records, counts.discovered
            fig.discovery_rate = _rate("discovery_rate", counts)
        fig.rounds = CrosscheckRound.objects.filter(
            period_start__gte=first, period_end__lte=last
        ).count()
    elif unit.department is not None:
        fig.joint_actions = JointAction.objects.filter(
            departments=unit.department,
            state=JointActionState.DONE,
            done_at__gte=start,
            done_at__lt=end,
        ).count()
    for label in speriod.month_labels():
        month = Period.month(label)
        c = _counts_of(unit, month, cache)
        fig.monthly.append(
            {
                "month": label,
                "reported": c.reports,
                "due": c.due,
                "closed": c.closed,
                "closure_rate": _rate("closure_rate", c),
            }
        )
    return fig


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def number(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def figure_rows(fig: Figures) -> list[tuple[str, str]]:
    """(label, shown value) of every figure that applies, in the order of the summary table."""
    rows: list[tuple[str, Any, Callable[[Any], str]]] = [
        (_("网格上报事件(件)"), fig.reported, number),
        (_("应结案(件)"), fig.due, number),
        (_("已结案(件)"), fig.closed, number),
        (_("结案率"), fig.closure_rate, percent),
        (_("回访(次)"), fig.callbacks, number),
        (_("满意率"), fig.satisfaction_rate, percent),
        (_("民情日志(篇)"), fig.diaries, number),
        (_("预警(次)"), fig.warnings, number),
        (_("预警通报(期)"), fig.bulletins, number),
        (_("联合执法(次)"), fig.joint_actions, number),
        (_("培训(场)"), fig.trainings, number),
        (_("参训(人次)"), fig.training_attendance, number),
        (_("巡查(次)"), fig.patrols, number),
        (_("巡查里程(公里)"), fig.patrol_km, number),
        (_("入户走访(次)"), fig.visits, number),
        (_("排查安全隐患(处)"), fig.hazards_found, number),
        (_("隐患整改销号(处)"), fig.hazards_rectified, number),
        (_("热线诉求(件)"), fig.hotline_records, number),
        (_("主动发现(件)"), fig.discovered, number),
        (_("发现率"), fig.discovery_rate, percent),
        (_("问题倒查(期)"), fig.rounds, number),
    ]
    out = []
    for label, value, fmt in rows:
        if value is None:
            if label == _("入户走访(次)"):
                out.append((label, "—"))  # no visit records yet: shown, not hidden
            continue
        out.append((label, fmt(value)))
    return out


def figures_paragraph(unit: SummaryUnit, speriod: SummaryPeriod, fig: Figures) -> str:
    """The figures as one paragraph, the way a town's annual summary states them (seed 000:
    "通过各级网格的共同努力,王村镇平台上报信息7000条,办结6995条,办结率达99.9%,网格长共记录民情
    日志8530篇")."""
    parts = [
        _("%(period)s,通过各级网格的共同努力,%(unit)s")
        % {"period": speriod.title, "unit": unit.name}
    ]
    body = []
    if fig.reported is not None:
        body.append(_("平台上报信息%(n)s条") % {"n": number(fig.reported)})
    body.append(
        _("应结案%(due)s件,办结%(closed)s件,办结率达%(rate)s")
        % {"due": number(fig.due), "closed": number(fig.closed), "rate": percent(fig.closure_rate)}
    )
    if fig.diaries is not None:
        body.append(_("网格员共记录民情日志%(n)s篇") % {"n": number(fig.diaries)})
    if fig.warnings is not None:
        body.append(
            _("发布预警%(w)s次、预警通报%(b)s期")
            % {"w": number(fig.warnings), "b": number(fig.bulletins)}
        )
    if fig.joint_actions is not None:
        body.append(_("开展联合执法%(n)s次") % {"n": number(fig.joint_actions)})
    if fig.trainings is not None:
        body.append(
            _("组织培训%(n)s场、%(p)s人次")
            % {"n": number(fig.trainings), "p": number(fig.training_attendance)}
        )
    if fig.visits is not None:
        body.append(_("入户走访%(n)s次") % {"n": number(fig.visits)})
    if fig.hazards_found is not None:
        body.append(
            _("排查安全隐患%(n)s处、整改销号%(m)s处")
            % {"n": number(fig.hazards_found), "m": number(fig.hazards_rectified)}
        )
    if fig.hotline_records:
        body.append(
            _("热线诉求%(n)s件中网格主动发现%(m)s件,发现率%(rate)s")
            % {
                "n": number(fig.hotline_records),
                "m": number(fig.discovered),
                "rate": percent(fig.discovery_rate),
            }
        )
    if fig.callbacks:
        body.append(_("群众满意率%(rate)s") % {"rate": percent(fig.satisfaction_rate)})
    # The list separator and full stop are translated with the rest ("," and "。" in Chinese).
    return parts[0] + _(",").join(body) + _("。")
