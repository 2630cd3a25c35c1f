"""Every write of the work summaries (the services module of the summaries; the reports app is
shared, so it has its own name and is typed through like any `services` module): the office's
text sections and its own Word templates. Also the export itself, which reads only."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, ReferenceNotFoundError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.grids.models import Grid, path_with_ancestors
from gridgov.reports.summaries import (
    Figures,
    SummaryPeriod,
    SummaryUnit,
    compute_figures,
    figure_rows,
    figures_paragraph,
    find_unit,
)
from gridgov.reports.summary_charts import bar_chart
from gridgov.reports.summary_docx import check_template, render_docx
from gridgov.reports.summary_models import SummaryTemplate, SummaryText

MAX_SECTIONS = 12
MAX_TITLE = 120
MAX_BODY = 20_000
FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def may_write(user: Any) -> bool:
    """The office (and the platform admin) keeps the summary texts and templates."""
    return scope_of(user).has_role(Role.OFFICE)


def _require_writer(user: Any) -> None:
    if not may_write(user):
        raise DomainError(_("只有管理办公室可以编辑工作总结"), field="user")


def default_sections() -> list[dict[str, str]]:
    return [
        {"title": _("二、主要工作"), "body": ""},
        {"title": _("三、存在的问题"), "body": ""},
        {"title": _("四、下一步工作打算"), "body": ""},
    ]


def text_of(unit: SummaryUnit, period: SummaryPeriod) -> SummaryText:
    """The saved text sections, or an unsaved row with the default headings."""
    found = SummaryText.objects.filter(
        unit_kind=unit.kind, unit_code=unit.code, period=period.label
    ).first()
    if found is not None:
        return found
    return SummaryText(
        unit_kind=unit.kind, unit_code=unit.code, period=period.label, sections=default_sections()
    )


def clean_sections(sections: list[dict[str, str]]) -> list[dict[str, str]]:
    """Strip, drop empty sections, and refuse what is too long or too many (naming the field)."""
    out = []
    for i, section in enumerate(sections):
        title = str(section.get("title", "")).strip()
        body = str(section.get("body", "")).replace("\r\n", "\n").strip()
        if not title and not body:
            continue
        if len(title) > MAX_TITLE:
            raise DomainError(_("标题过长(上限 120 字)"), field=f"sections.{i}.title")
        if len(body) > MAX_BODY:
            raise DomainError(_("正文过长(上限 20000 字)"), field=f"sections.{i}.body")
        out.append({"title": title, "body": body})
    if len(out) > MAX_SECTIONS:
        raise DomainError(_("文字部分最多 12 节"), field="sections")
    return out


@transaction.atomic
def save_text(
    *,
    unit: SummaryUnit,
    period: SummaryPeriod,
    title: str,
    sections: list[dict[str, str]],
    by: User,
) -> SummaryText:
    """Keep the office's title and text sections of one summary (replacing the last version)."""
    _require_writer(by)
    title = title.strip()
    if len(title) > MAX_TITLE:
        raise DomainError(_("标题过长(上限 120 字)"), field="title")
    row, _created = SummaryText.objects.select_for_update().get_or_create(
        unit_kind=unit.kind, unit_code=unit.code, period=period.label
    )
    row.title = title
    row.sections = clean_sections(sections)
    row.updated_by = by
    row.updated_at = timezone.now()
    row.save()
    return row


def upload_template(*, name: str, content: bytes, grid: Grid | None, by: User) -> SummaryTemplate:
    """Keep an office's own Word template after checking the renderer can fill it."""
    _require_writer(by)
    name = name.strip()
    if not name or len(name) > MAX_TITLE:
        raise DomainError(_("请填写模板名称(上限 120 字)"), field="name")
    if grid is None and not scope_of(by).is_admin:
        raise DomainError(_("请选择模板的适用范围"), field="grid")
    if grid is not None and not Grid.objects.visible_to(by).filter(pk=grid.pk).exists():
        raise ReferenceNotFoundError(_("找不到该网格"), field="grid")
    check_template(content)
    return SummaryTemplate.objects.create(name=name, grid=grid, content=content, uploaded_by=by)


def template_for(unit: SummaryUnit) -> SummaryTemplate | None:
    """The newest upload of the unit's grid or the nearest grid above it; platform-wide uploads
    (no grid) last; None means the shipped template."""
    if unit.grid is not None:
        paths = list(path_with_ancestors(unit.grid.path))
        rows = list(SummaryTemplate.objects.filter(grid__path__in=paths).select_related("grid"))
        if rows:
            depth = {p: i for i, p in enumerate(paths)}
            rows.sort(key=lambda t: (-depth.get(t.grid.path if t.grid else "", -1), -t.pk))
            return rows[0]
    return SummaryTemplate.objects.filter(grid__isnull=True).first()


# -- export ------------------------------------------------------------------------------------


@dataclass
class Summary:
    unit: SummaryUnit
    period: SummaryPeriod
    figures: Figures
    text: SummaryText
    chart: bytes

    @property
    def title(self) -> str:
        return self.text.title or _("%(unit)s%(period)s网格化管理工作总结") % {
            "unit": self.unit.name,
            "period": self.period.title,
        }

    def context(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "unit_name": self.unit.name,
            "period_title": self.period.title,
            "figures_paragraph": figures_paragraph(self.unit, self.period, self.figures),
            "figures": [{"label": k, "value": v} for k, v in figure_rows(self.figures)],
            "sections": [
                {
                    "title": s["title"],
                    "paragraphs": [p.strip() for p in s["body"].split("\n") if p.strip()],
                }
                for s in self.text.sections
            ],
            "signed": self.unit.name,
            "date": _("%(y)d年%(m)d月%(d)d日")
            % {"y": self.today.year, "m": self.today.month, "d": self.today.day},
        }

    @property
    def today(self) -> dt.date:
        return timezone.localdate()


def monthly_chart(period: SummaryPeriod, figures: Figures) -> bytes:
    labels = [_("%(m)s月") % {"m": row["month"][5:]} for row in figures.monthly]
    series = [
        (_("网格上报"), [float(row["reported"]) for row in figures.monthly]),
        (_("应结案"), [float(row["due"]) for row in figures.monthly]),
        (_("已结案"), [float(row["closed"]) for row in figures.monthly]),
    ]
    if figures.reported is None:
        series = series[1:]
    return bar_chart(
        _("%(period)s各月案件办理情况") % {"period": period.title},
        labels,
        series,
        rate=(_("结案率"), [row["closure_rate"] for row in figures.monthly]),
    )


def summary_of(user: Any, kind: str, code: str, period_text: str) -> Summary:
    """The figures, chart and saved text of one unit and period within the user's scope."""
    period = SummaryPeriod.parse(period_text)
    unit = find_unit(user, kind, code)
    figures = compute_figures(unit, period)
    return Summary(unit, period, figures, text_of(unit, period), monthly_chart(period, figures))


def export(summary: Summary, fmt: str) -> tuple[str, bytes, str]:
    """(file name, bytes, content type) of the summary as Word or PDF."""
    if fmt not in FORMATS:
        raise DomainError(_("格式应为 docx 或 pdf"), field="format")
    name = f"summary-{summary.unit.kind}-{summary.unit.code}-{summary.period.label}.{fmt}"
    if fmt == "docx":
        template = template_for(summary.unit)
        content = bytes(template.content) if template is not None else None
        return name, render_docx(summary.context(), content, image=summary.chart), FORMATS[fmt]
    return name, render_pdf(summary), FORMATS[fmt]


def render_pdf(summary: Summary) -> bytes:
    """A4 PDF through WeasyPrint; fontconfig finds Noto CJK, whose used glyphs are embedded.
    The chart is inline (data URI), so nothing is fetched."""
    from weasyprint import HTML

    context = summary.context()
    context["chart_src"] = "data:image/png;base64," + base64.b64encode(summary.chart).decode()
    html = render_to_string("reports/summary_pdf.html", context)
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]
