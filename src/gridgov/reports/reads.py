"""Reads behind the statistics and ledger pages: the user's scope as grid roots, the period,
labelled rows of every breakdown and the Excel workbooks. Everything is scoped through
`visible_to(user)`; a grid outside the scope is a 404 in the views."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gridgov.cases.models import Channel, MatterClass, MatterItem, PlatformLevel
from gridgov.core.jurisdiction import scope_of
from gridgov.grids.models import Grid
from gridgov.people.models import Department
from gridgov.reports.stats import DIMENSIONS, Figures, Query, Statistics, compute_statistics

LOCAL = ZoneInfo("Asia/Shanghai")


def period_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first 00:00, the day after `last` 00:00) in Asia/Shanghai (STANDARDS: days are local)."""
    start = dt.datetime.combine(first, dt.time(), tzinfo=LOCAL)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL)
    return start, end


def this_month(today: dt.date) -> tuple[dt.date, dt.date]:
    first = today.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    return first, after - dt.timedelta(days=1)


def scope_roots(user: Any) -> list[Grid]:
    """The top grids of the user's scope (the grids they see whose parent they do not see);
    administrators get the platform's top grids."""
    grids = Grid.objects.visible_to(user).filter(is_active=True).order_by("path")
    if scope_of(user).is_admin:
        return list(grids.filter(parent__isnull=True))
    roots: list[Grid] = []
    for grid in grids.only("id", "code", "name", "path", "parent_id"):
        if not any(grid.path.startswith(r.path) for r in roots):
            roots.append(grid)
    return roots


@dataclass
class Row:
    """One labelled row of a breakdown table; `code` is the grid to drill into (area rows)."""

    key: Any
    label: str
    figures: Figures
    code: str = ""


@dataclass
class Page:
    """The statistics page for one period and scope."""

    first: dt.date
    last: dt.date
    root: Grid | None
    trail: list[Grid]
    stats: Statistics
    areas: list[Row]
    tables: dict[str, list[Row]]

    @property
    def total(self) -> Figures:
        return self.stats.total


def _labels(dimension: str, keys: Iterable[Any]) -> dict[Any, str]:
    keys = [k for k in keys if k is not None]
    if dimension == "department":
        return dict(Department.objects.filter(pk__in=keys).values_list("pk", "name"))
    if dimension == "class":
        return dict(MatterClass.objects.filter(pk__in=keys).values_list("pk", "name"))
    if dimension == "item":
        return dict(MatterItem.objects.filter(pk__in=keys).values_list("pk", "name"))
    if dimension == "channel":
        return {k: str(Channel(k).label) if k in Channel.values else k for k in keys}
    if dimension == "closed_level":
        return {
            k: (str(PlatformLevel(k).label) if k in PlatformLevel.values else k)
            if k
            else _("未结案")
            for k in keys
        }
    return {}


def _children(root: Grid | None) -> QuerySet[Grid]:
    if root is None:
        return Grid.objects.filter(parent__isnull=True, is_active=True).order_by("code")
    return Grid.objects.filter(parent=root, is_active=True).order_by("code")


def statistics_page(
    *, root: Grid | None, first: dt.date, last: dt.date, engine: str | None = None
) -> Page:
    """Figures of the period for the subtree of `root` (None: the whole platform, for
    administrators), with the next level down as the area table (drill-down)."""
    start, end = period_bounds(first, last)
    stats = compute_statistics(
        Query(start, end, root_path=root.path if root else None), engine=engine
    )
    areas = [
        Row(child.pk, child.name, stats.areas.get(child.path) or Figures(), child.code)
        for child in _children(root)
    ]
    tables: dict[str, list[Row]] = {}
    for dimension in DIMENSIONS:
        if dimension == "area":
            continue
        groups = stats.by[dimension].groups
        labels = _labels(dimension, groups)
        rows = [Row(k, labels.get(k, str(k)), f) for k, f in groups.items()]
        rows.sort(key=lambda r: (-r.figures.reported, -r.figures.due, r.label))
        tables[dimension] = rows
    trail = list(root.ancestors(include_self=True)) if root is not None else []
    return Page(first, last, root, trail, stats, areas, tables)


# -- Excel ---------------------------------------------------------------------------------------

COLUMNS: tuple[tuple[str, Any], ...] = (
    ("reported", lambda: _("上报数")),
    ("due", lambda: _("应结案")),
    ("closed", lambda: _("结案")),
    ("closed_on_time", lambda: _("按期结案")),
    ("closure_rate", lambda: _("结案率")),
    ("on_time_closure_rate", lambda: _("按期结案率")),
    ("tasks_due", lambda: _("应处置")),
    ("tasks_on_time", lambda: _("按期处置")),
    ("on_time_handling_rate", lambda: _("按期处置率")),
    ("rework", lambda: _("返工")),
    ("rework_rate", lambda: _("返工率")),
    ("callbacks", lambda: _("回访")),
    ("satisfaction_rate", lambda: _("满意率")),
    ("outside_records", lambda: _("热线倒查工单")),
    ("discovery_rate", lambda: _("发现率")),
    ("hotline_received", lambda: _("热线受理")),
    ("hotline_closure_rate", lambda: _("热线办结率")),
    ("hotline_satisfaction_rate", lambda: _("热线满意率")),
    ("patrols", lambda: _("巡查次数")),
    ("patrol_km", lambda: _("巡查里程(公里)")),
    ("diaries", lambda: _("民情日志")),
    ("hazards_found", lambda: _("发现隐患")),
    ("hazards_rectified", lambda: _("整改销号")),
    ("hazards_due", lambda: _("应整改隐患")),
    ("hazards_on_time", lambda: _("按期整改")),
    ("hazard_on_time_rate", lambda: _("隐患按期整改率")),
    ("hazards_overdue", lambda: _("超期未整改")),
    ("visits", lambda: _("走访次数")),
    ("visit_tasks_due", lambda: _("应走访任务")),
    ("visit_tasks_on_time", lambda: _("按期走访")),
    ("visit_on_time_rate", lambda: _("按期走访率")),
    ("key_visits_overdue", lambda: _("重点户超期未访")),
)


def _values(figures: Figures) -> list[Any]:
    out: list[Any] = []
    for name, _label in COLUMNS:
        value = getattr(figures, name)
        out.append(round(value, 4) if isinstance(value, float) else value)
    return out


def statistics_workbook(page: Page) -> bytes:
    """The page as a workbook: one sheet per table, with the page's period and scope on top."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    scope = page.root.name if page.root else _("全部")
    head = [_("指标"), *[label() for _name, label in COLUMNS]]
    period = _("统计期间:%(a)s 至 %(b)s;范围:%(s)s") % {
        "a": page.first.isoformat(),
        "b": page.last.isoformat(),
        "s": scope,
    }
    sheet = book.create_sheet(_("总体"))
    sheet.append([period])
    sheet.append(head)
    sheet.append([scope, *_values(page.total)])
    sheets: list[tuple[str, list[Row]]] = [(str(_("区域")), page.areas)]
    sheets += [(str(DIMENSIONS[d]), rows) for d, rows in page.tables.items()]
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([period])
        sheet.append([title, *head[1:]])
        for row in rows:
            sheet.append([row.label, *_values(row.figures)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def chart_data(page: Page) -> dict[str, Any]:
    """The series the page's ECharts draw (json_script): areas, channels and classes."""
    return {
        "areas": {
            "names": [r.label for r in page.areas],
            "codes": [r.code for r in page.areas],
            "reported": [r.figures.reported for r in page.areas],
            "due": [r.figures.due for r in page.areas],
            "closure": [_pct(r.figures.closure_rate) for r in page.areas],
        },
        "channel": [{"name": r.label, "value": r.figures.reported} for r in page.tables["channel"]],
        "class": {
            "names": [r.label for r in page.tables["class"]],
            "reported": [r.figures.reported for r in page.tables["class"]],
            "due": [r.figures.due for r in page.tables["class"]],
        },
        "labels": {
            "reported": _("上报数"),
            "due": _("应结案"),
            "closure": _("结案率"),
        },
    }
