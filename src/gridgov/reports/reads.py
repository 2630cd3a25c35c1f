"""Reads behind the statistics and ledger pages: the user's scope as grid roots, the period,
labelled rows of every breakdown and the Excel workbooks. Everything is scoped through
`visible_to(user)`; a grid outside the scope is a 404 in the views."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gridgov.cases.models import Channel, MatterClass, MatterItem, PlatformLevel
from gridgov.core.jurisdiction import scope_of
from gridgov.grids.models import Grid
from gridgov.people.models import Department
from gridgov.reports.stats import (
    DIMENSIONS,
    FIELD_BY,
    FIELD_COLUMNS,
    FIELD_DIMENSIONS,
    TREND_UNITS,
    FieldStatistics,
    Figures,
    Query,
    Statistics,
    compute_field_statistics,
    compute_statistics,
)

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
    # Field work (patrols, diaries, hazards, visits) beyond the area table: see `field_tables`.
    field: FieldStatistics | None = None
    field_tables: dict[str, FieldTable] = dc_field(default_factory=dict)
    # Whether the viewer may open the office's hazard page and visit ledger (links to them).
    office_links: bool = True

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
    *,
    root: Grid | None,
    first: dt.date,
    last: dt.date,
    engine: str | None = None,
    unit: str | None = None,
    office_links: bool = True,
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
    page = Page(first, last, root, trail, stats, areas, tables, office_links=office_links)
    page.field = compute_field_statistics(
        Query(start, end, root_path=root.path if root else None), unit=unit, engine=engine
    )
    page.field_tables = field_tables(page)
    return page


# -- Field work ----------------------------------------------------------------------------------

FIELD_LABELS: dict[str, Any] = {
    "patrols": lambda: _("巡查次数"),
    "patrol_km": lambda: _("巡查里程(公里)"),
    "diaries": lambda: _("民情日志"),
    "hazards_found": lambda: _("发现隐患"),
    "hazards_rectified": lambda: _("整改销号"),
    "hazards_due": lambda: _("应整改隐患"),
    "hazards_on_time": lambda: _("按期整改"),
    "hazard_on_time_rate": lambda: _("隐患按期整改率"),
    "hazards_overdue": lambda: _("超期未整改"),
    "visits": lambda: _("走访次数"),
    "visit_tasks_due": lambda: _("应走访任务"),
    "visit_tasks_on_time": lambda: _("按期走访"),
    "visit_on_time_rate": lambda: _("按期走访率"),
    "key_visits_overdue": lambda: _("重点户超期未访"),
}
ALL_FIELD_FACTS = ("patrols", "diaries", "hazards", "visits", "visit_tasks")


@dataclass
class Cell:
    """One figure of a field-work row: its raw value (as the workbook has it), its text on the
    page and the list page it counts (empty where no list filters to the same rows)."""

    name: str
    value: Any
    text: str
    url: str = ""
    label: str = ""


@dataclass
class FieldRow:
    key: Any
    label: str
    cells: list[Cell]
    code: str = ""


@dataclass
class FieldTable:
    """A field-work table: the columns meaningful for its dimension, its rows and the total."""

    dimension: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[FieldRow]
    total: list[Cell]


def _field(page: Page) -> FieldStatistics:
    if page.field is None:
        raise ValueError("the page was built without its field-work statistics")
    return page.field


def _field_columns(dimension: str) -> list[str]:
    facts = ALL_FIELD_FACTS if dimension == "area" else tuple(FIELD_BY[dimension])
    return [name for fact in ALL_FIELD_FACTS if fact in facts for name in FIELD_COLUMNS[fact]]


def _text(name: str, value: Any) -> str:
    from gridgov.reports.templatetags.reports_tags import km, pct

    if name.endswith("_rate"):
        return pct(value)
    if name == "patrol_km":
        return km(value)
    return str(value)


def _value(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def _field_labels(dimension: str, keys: Iterable[Any]) -> dict[Any, str]:
    from django.contrib.auth import get_user_model

    keys = [k for k in keys if k is not None]
    if dimension == "worker":
        from gridgov.people.models import Staff

        # The staff name monitoring and compliance show, else the account's own.
        users = get_user_model().objects.filter(pk__in=keys)
        named = dict(Staff.objects.filter(user_id__in=keys).values_list("user_id", "name"))
        return {u.pk: named.get(u.pk) or u.get_full_name() or u.get_username() for u in users}
    if dimension == "industry":
        return {k: k or _("未登记行业") for k in keys}
    choices = _choices_of(dimension)
    return {k: str(choices(k).label) if k in choices.values else str(k) for k in keys}


def _choices_of(dimension: str) -> Any:
    """The field-work choices a breakdown dimension is keyed by (its labels and its order)."""
    from gridgov.fieldwork.models import DiaryKind, VisitKind, VisitPlanKind
    from gridgov.fieldwork.safety.models import HazardGrade, HazardState

    return {
        "hazard_state": HazardState,
        "hazard_grade": HazardGrade,
        "visit_kind": VisitKind,
        "task_kind": VisitPlanKind,
        "diary_kind": DiaryKind,
    }[dimension]


def field_link(
    name: str, *, page: Page, code: str = "", dimension: str = "area", key: Any = None
) -> str:
    """The list page that counts the same rows as figure `name` of a row, with the page's period
    and scope (the row's grid for an area row, its state, grade or kind for theirs)."""
    from django.urls import reverse

    grid = code or (page.root.code if page.root else "")
    params: dict[str, str] = {"start": page.first.isoformat(), "end": page.last.isoformat()}
    if grid:
        params["grid"] = grid
    if name in ("patrols", "patrol_km", "diaries") and dimension == "area":
        kind = "diaries" if name == "diaries" else "patrols"
        return reverse("reports:ledger_xlsx", kwargs={"kind": kind}) + "?" + urlencode(params)
    if name in ("hazards_found", "visits") and not page.office_links:
        return ""
    if name == "hazards_found" and dimension in ("area", "hazard_state", "hazard_grade"):
        if dimension == "hazard_state":
            params["queue"] = str(key)
        if dimension == "hazard_grade":
            params["grade"] = str(key)
        return reverse("hazards") + "?" + urlencode(params)
    if name == "visits" and dimension in ("area", "visit_kind"):
        if dimension == "visit_kind":
            params["kind"] = str(key)
        return reverse("fieldwork_visit_ledger") + "?" + urlencode(params)
    return ""


def _cells(
    names: list[str], figures: Figures, *, page: Page, code: str, dimension: str, key: Any
) -> list[Cell]:
    out = []
    for name in names:
        value = getattr(figures, name)
        url = field_link(name, page=page, code=code, dimension=dimension, key=key)
        out.append(Cell(name, _value(value), _text(name, value), url, str(FIELD_LABELS[name]())))
    return out


def field_tables(page: Page) -> dict[str, FieldTable]:
    """The area table (the next level down, to drill into) and one table per field-work
    dimension, each with only its meaningful columns and its figures' links."""
    stats = _field(page)
    out: dict[str, FieldTable] = {}
    names = _field_columns("area")
    out["area"] = FieldTable(
        "area",
        str(_("区域")),
        [(n, str(FIELD_LABELS[n]())) for n in names],
        [
            FieldRow(
                r.key,
                r.label,
                _cells(names, r.figures, page=page, code=r.code, dimension="area", key=None),
                r.code,
            )
            for r in page.areas
        ],
        _cells(names, page.total, page=page, code="", dimension="area", key=None),
    )
    for dimension, breakdown in stats.by.items():
        names = _field_columns(dimension)
        labels = _field_labels(dimension, breakdown.groups)
        keys = list(breakdown.groups)
        if dimension in ("worker", "industry"):
            keys.sort(key=lambda k: (-sum(_counts(breakdown.groups[k], names)), labels.get(k, "")))
        else:
            keys.sort(key=lambda k: _choice_order(dimension, k))
        rows = [
            FieldRow(
                k,
                labels.get(k, str(k)),
                _cells(names, breakdown.groups[k], page=page, code="", dimension=dimension, key=k),
            )
            for k in keys
        ]
        total = _cells(names, breakdown.total, page=page, code="", dimension="", key=None)
        title = str(FIELD_DIMENSIONS[dimension])
        out[dimension] = FieldTable(
            dimension, title, [(n, str(FIELD_LABELS[n]())) for n in names], rows, total
        )
    return out


def _counts(figures: Figures, names: list[str]) -> list[float]:
    return [getattr(figures, n) or 0 for n in names if not n.endswith("_rate")]


def _choice_order(dimension: str, key: Any) -> tuple[int, str]:
    values = list(_choices_of(dimension).values)
    return (values.index(key) if key in values else len(values), str(key))


def _cell(name: str, value: Any) -> Cell:
    return Cell(name, _value(value), _text(name, value), "", str(FIELD_LABELS[name]()))


def trend_rows(page: Page) -> list[tuple[str, list[Cell]]]:
    """The trend as labelled rows (bucket, its figures), for the page's table and the workbook."""
    trend = _field(page).trend
    names = _field_columns("area")
    out = []
    for (day, last), figures in zip(trend.buckets, trend.figures, strict=True):
        label = day.isoformat() if day == last else f"{day.isoformat()} – {last.isoformat()}"
        out.append((label, [_cell(n, getattr(figures, n)) for n in names]))
    return out


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
    if page.field is not None:
        _field_sheets(book, page, period)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _field_sheets(book: Any, page: Page, period: str) -> None:
    """The field-work tables and the trend, one sheet each, with the page's very figures."""
    prefix = _("基层工作")
    for table in page.field_tables.values():
        sheet = book.create_sheet(f"{prefix}·{table.title}"[:31])
        sheet.append([period])
        sheet.append([table.title, *[label for _name, label in table.columns]])
        for row in table.rows:
            sheet.append([row.label, *[c.value for c in row.cells]])
        sheet.append([_("合计"), *[c.value for c in table.total]])
    unit = str(TREND_UNITS[_field(page).trend.unit])
    sheet = book.create_sheet(f"{prefix}·{_('趋势')}"[:31])
    sheet.append([period])
    names = _field_columns("area")
    sheet.append([unit, *[str(FIELD_LABELS[n]()) for n in names]])
    for label, cells in trend_rows(page):
        sheet.append([label, *[c.value for c in cells]])


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
        "field": _field_chart_data(page) if page.field is not None else None,
        "labels": {
            "reported": _("上报数"),
            "due": _("应结案"),
            "closure": _("结案率"),
        },
    }


def _field_chart_data(page: Page) -> dict[str, Any]:
    """Field work by area (bars; a click drills down), across the period (lines) and hazards by
    state (pie)."""
    field_stats = _field(page)
    series = ("patrols", "diaries", "hazards_found", "hazards_rectified", "visits")
    trend = field_stats.trend
    states = page.field_tables.get("hazard_state")
    return {
        "names": {n: str(FIELD_LABELS[n]()) for n in series},
        "areas": {
            "names": [r.label for r in page.areas],
            "codes": [r.code for r in page.areas],
            **{n: [getattr(r.figures, n) for r in page.areas] for n in series},
        },
        "trend": {
            "unit": str(TREND_UNITS[trend.unit]),
            "labels": [
                day.strftime("%m-%d") if trend.unit != "month" else day.strftime("%Y-%m")
                for day, _last in trend.buckets
            ],
            **{n: [getattr(f, n) for f in trend.figures] for n in series},
        },
        "hazard_state": [
            {"name": r.label, "value": r.cells[0].value} for r in (states.rows if states else [])
        ],
    }
