"""Pages of the work summaries: choose a unit and period, see the figures and chart, edit the
office's text sections, download Word or PDF; and the office's own Word templates."""

from __future__ import annotations

from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.core.errors import DomainError, ReferenceNotFoundError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.grids.models import Grid
from gridgov.reports.summaries import figure_rows, figures_paragraph, unit_choices
from gridgov.reports.summary_docx import DEFAULT_TEMPLATE
from gridgov.reports.summary_forms import (
    ChooseForm,
    SectionFormSet,
    TemplateUploadForm,
    TextForm,
)
from gridgov.reports.summary_models import SummaryTemplate
from gridgov.reports.summary_services import (
    FORMATS,
    export,
    may_write,
    save_text,
    summary_of,
    upload_template,
)

READERS = (Role.OFFICE, Role.LEADER)


def readers_only(view: Any) -> Any:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope_of(request.user).has_role(*READERS):
            raise PermissionDenied
        try:
            return view(request, *args, **kwargs)  # type: ignore[no-any-return]
        except DomainError as exc:
            context = {"status": exc.status_code, "message": exc.message}
            return render(request, "reports/summary_error.html", context, status=exc.status_code)

    return wrapper


def _choice(request: HttpRequest) -> tuple[ChooseForm, dict[str, str]]:
    data = {
        "unit": request.GET.get("unit") or "town",
        "code": request.GET.get("code", ""),
        "period": request.GET.get("period") or str(timezone.localdate().year),
    }
    return ChooseForm(data), data


@require_GET
@readers_only
def summary_page(request: HttpRequest) -> HttpResponse:
    form, data = _choice(request)
    if not form.is_valid():
        return render(request, "reports/summary.html", {"form": form, "units": []}, status=400)
    units = unit_choices(request.user, data["unit"])
    if units and data["code"] not in {u.code for u in units}:
        data["code"] = units[0].code  # the unit kind changed, or nothing chosen yet
    context: dict[str, Any] = {"form": form, "units": units, "data": data}
    if data["code"]:
        summary = summary_of(request.user, data["unit"], data["code"], data["period"])
        text = summary.text
        context.update(
            summary=summary,
            rows=figure_rows(summary.figures),
            paragraph=figures_paragraph(summary.unit, summary.period, summary.figures),
            query=urlencode(data),
            text_form=TextForm(initial={"title": text.title or summary.title}),
            sections=SectionFormSet(initial=text.sections, prefix="s"),
            may_write=may_write(request.user),
            formats=list(FORMATS),
        )
    return render(request, "reports/summary.html", context)


@require_GET
@readers_only
def summary_chart(request: HttpRequest) -> HttpResponse:
    _form, data = _choice(request)
    summary = summary_of(request.user, data["unit"], data["code"], data["period"])
    return HttpResponse(summary.chart, content_type="image/png")


@require_GET
@readers_only
def summary_download(request: HttpRequest) -> HttpResponse:
    _form, data = _choice(request)
    summary = summary_of(request.user, data["unit"], data["code"], data["period"])
    name, content, content_type = export(summary, request.GET.get("format", "docx"))
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@readers_only
def summary_text(request: HttpRequest) -> HttpResponse:
    _form, data = _choice(request)
    summary = summary_of(request.user, data["unit"], data["code"], data["period"])
    text_form = TextForm(request.POST)
    sections = SectionFormSet(request.POST, prefix="s")
    if not (text_form.is_valid() and sections.is_valid()):
        context = {
            "form": ChooseForm(data),
            "units": unit_choices(request.user, data["unit"]),
            "data": data,
            "summary": summary,
            "rows": figure_rows(summary.figures),
            "paragraph": figures_paragraph(summary.unit, summary.period, summary.figures),
            "query": urlencode(data),
            "text_form": text_form,
            "sections": sections,
            "may_write": may_write(request.user),
            "formats": list(FORMATS),
        }
        return render(request, "reports/summary.html", context, status=400)
    save_text(
        unit=summary.unit,
        period=summary.period,
        title=text_form.cleaned_data["title"],
        sections=[
            {"title": f.cleaned_data.get("title", ""), "body": f.cleaned_data.get("body", "")}
            for f in sections.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ],
        by=request.user,  # type: ignore[arg-type]
    )
    messages.success(request, _("文字部分已保存。"))
    return redirect(reverse("reports:summary") + "?" + urlencode(data))


def _grid_choices(request: HttpRequest) -> list[tuple[str, str]]:
    """The towns and villages the user can see (a template applies to a grid and below)."""
    units = unit_choices(request.user, "town") + unit_choices(request.user, "village")
    choices = [(str(u.grid.pk), u.name) for u in units if u.grid is not None]
    if scope_of(request.user).is_admin:
        choices.insert(0, ("", _("全平台")))
    return choices


@require_http_methods(["GET", "POST"])
@readers_only
def summary_templates(request: HttpRequest) -> HttpResponse:
    form = TemplateUploadForm(
        request.POST or None, request.FILES or None, grids=_grid_choices(request)
    )
    if request.method == "POST" and form.is_valid():
        grid_id = form.cleaned_data["grid"]
        grid = Grid.objects.visible_to(request.user).filter(pk=grid_id).first() if grid_id else None
        try:
            upload_template(
                name=form.cleaned_data["name"],
                content=form.cleaned_data["file"].read(),
                grid=grid,
                by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("模板已上传。"))
            return redirect("reports:summary_templates")
    templates = SummaryTemplate.objects.select_related("grid", "uploaded_by")
    if not scope_of(request.user).is_admin:
        visible = Grid.objects.visible_to(request.user).values("pk")
        templates = templates.filter(grid__in=visible)
    context = {
        "form": form,
        "templates": templates[:50],
        "may_write": may_write(request.user),
    }
    status = 400 if form.is_bound else 200
    return render(request, "reports/summary_templates.html", context, status=status)


@require_GET
@readers_only
def summary_template_file(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The shipped template (no pk) or one of the uploads the user can see."""
    if pk is None:
        content, name = DEFAULT_TEMPLATE.read_bytes(), "summary-template.docx"
    else:
        templates = SummaryTemplate.objects.all()
        if not scope_of(request.user).is_admin:
            templates = templates.filter(
                grid__in=Grid.objects.visible_to(request.user).values("pk")
            )
        row = templates.filter(pk=pk).first()
        if row is None:
            raise ReferenceNotFoundError(_("找不到该模板"), field="template")
        content, name = bytes(row.content), f"summary-template-{row.pk}.docx"
    response = HttpResponse(content, content_type=FORMATS["docx"])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
