"""Oversight pages: warnings and bulletins, rankings with colour grades, a unit's trend, Excel
exports (results, performance pay). Thin: parse, scoped lookup, one service or read, render."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.grids.models import Grid
from gridgov.oversight import reads
from gridgov.oversight.files import person_file
from gridgov.oversight.indicators import Period, UnitKind
from gridgov.oversight.models import (
    Appeal,
    AssessmentResult,
    AssessmentRun,
    BulletinRecipient,
    EarlyWarning,
    WarningLevel,
)
from gridgov.oversight.services import (
    act_on_appeal,
    raise_appeal,
    republish_run,
    results_visible_to,
)
from gridgov.oversight.warnings import (
    act_on_bulletin,
    bulletins_visible_to,
    issue_bulletin,
    lift_warning,
)
from gridgov.oversight.workflow import (
    APPEAL_VERBS,
    BULLETIN_VERBS,
    allowed_actions,
    bulletin_actions,
)
from gridgov.people.models import Department, Staff

READERS = (Role.OFFICE, Role.LEADER, Role.WORKER, Role.HANDLER)


def role_required(*roles: str) -> Any:
    def decorate(view: Any) -> Any:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not scope_of(request.user).has_role(*roles):
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)  # type: ignore[no-any-return]
            except DomainError as exc:
                context = {"status": exc.status_code, "message": exc.message}
                return render(request, "oversight/error.html", context, status=exc.status_code)

        return wrapper

    return decorate


class LiftForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("解除说明"), max_length=300)


class BulletinForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=120)
    level = forms.ChoiceField(label=gettext_lazy("等级"), choices=WarningLevel.choices)
    grid = forms.ModelChoiceField(label=gettext_lazy("范围"), queryset=Grid.objects.none())
    situation = forms.CharField(label=gettext_lazy("预警情况"), widget=forms.Textarea)
    measures = forms.CharField(label=gettext_lazy("工作要求"), widget=forms.Textarea)
    deadline = forms.DateField(
        label=gettext_lazy("办理时限"), widget=forms.DateInput(attrs={"type": "date"})
    )
    departments = forms.ModelMultipleChoiceField(
        label=gettext_lazy("相关部门"), queryset=Department.objects.none()
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        grids = Grid.objects.visible_to(user).filter(children__isnull=False).distinct()
        self.fields["grid"].queryset = grids.order_by("path")  # type: ignore[attr-defined]
        self.fields["departments"].queryset = Department.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            is_active=True
        )


@require_GET
@role_required(*READERS)
def warnings_page(request: HttpRequest) -> HttpResponse:
    warnings = (
        EarlyWarning.objects.active()
        .visible_to(request.user)
        .select_related("grid", "rule")
        .order_by("-raised_at")[:300]
    )
    bulletins = bulletins_visible_to(request.user).select_related("grid")[:50]
    may_lift = {w.pk for w in warnings if request.user.has_perm("oversight.lift_warning", w)}
    return render(
        request,
        "oversight/warnings.html",
        {
            "warnings": warnings,
            "bulletins": bulletins,
            "may_lift": may_lift,
            "may_issue": scope_of(request.user).has_role(Role.OFFICE),
            "lift_form": LiftForm(),
        },
    )


@require_POST
@role_required(Role.OFFICE)
def warning_lift(request: HttpRequest, pk: int) -> HttpResponse:
    warning = get_object_or_404(EarlyWarning.objects.active().visible_to(request.user), pk=pk)
    form = LiftForm(request.POST)
    if not form.is_valid():
        raise DomainError(_("请填写解除说明"), field="note")
    lift_warning(warning=warning, by=request.user, note=form.cleaned_data["note"])  # type: ignore[arg-type]
    return redirect("oversight:warnings")


@role_required(Role.OFFICE)
def bulletin_new(request: HttpRequest) -> HttpResponse:
    form = BulletinForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            bulletin = issue_bulletin(by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("oversight:bulletin", pk=bulletin.pk)
    return render(request, "oversight/bulletin_form.html", {"form": form})


@require_GET
@role_required(*READERS)
def bulletin_page(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = get_object_or_404(bulletins_visible_to(request.user), pk=pk)
    recipients = list(bulletin.recipients.select_related("department"))
    rows = [
        (r, [(name, BULLETIN_VERBS[name].label) for name in bulletin_actions(r, request.user)])
        for r in recipients
    ]
    return render(request, "oversight/bulletin.html", {"bulletin": bulletin, "rows": rows})


@require_POST
@role_required(Role.HANDLER, Role.OFFICE)
def bulletin_act(request: HttpRequest, pk: int, recipient: int, verb: str) -> HttpResponse:
    bulletin = get_object_or_404(bulletins_visible_to(request.user), pk=pk)
    row = get_object_or_404(BulletinRecipient, bulletin=bulletin, pk=recipient)
    act_on_bulletin(
        recipient=row,
        verb=verb,
        by=request.user,  # type: ignore[arg-type]
        report=request.POST.get("report", ""),
    )
    return redirect("oversight:bulletin", pk=bulletin.pk)


@require_GET
@role_required(*READERS)
def bulletin_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The bulletin as an A4 PDF (WeasyPrint, Noto CJK; no outside resources)."""
    from weasyprint import HTML

    bulletin = get_object_or_404(bulletins_visible_to(request.user), pk=pk)
    html = render_to_string(
        "oversight/bulletin_sheet.html",
        {"bulletin": bulletin, "recipients": bulletin.recipients.select_related("department")},
    )
    pdf = HTML(string=html).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="bulletin-{bulletin.year}-{bulletin.number}.pdf"'
    )
    return response


def _month(request: HttpRequest) -> str:
    month = request.GET.get("month") or timezone.localdate().replace(day=1).strftime("%Y-%m")
    Period.month(month)
    return month


def _choice(request: HttpRequest, name: str, allowed: list[str], default: str) -> str:
    value = request.GET.get(name) or default
    if value not in allowed:
        raise DomainError(_("参数无效:%(name)s") % {"name": name}, field=name)
    return value


@require_GET
@role_required(Role.OFFICE, Role.LEADER, Role.WORKER, Role.HANDLER)
def rankings(request: HttpRequest) -> HttpResponse:
    codes = list(reads.schemes().values_list("code", flat=True))
    scheme = _choice(request, "scheme", codes, "sheet100")
    unit = _choice(request, "unit", list(UnitKind.ALL), UnitKind.GRID)
    month = _month(request)
    rows = reads.ranking(request.user, scheme_code=scheme, month=month, unit_kind=unit)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            reads.ranking_workbook(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="assessment-{scheme}-{unit}-{month}.xlsx"'
        )
        return response
    return render(
        request,
        "oversight/rankings.html",
        {
            "rows": rows,
            "schemes": reads.schemes(),
            "scheme": scheme,
            "unit": unit,
            "month": month,
            "units": [(k, UnitKind.LABELS[k]) for k in UnitKind.ALL],
            "items": rows[0].result.items if rows else [],
        },
    )


@require_GET
@role_required(Role.OFFICE, Role.LEADER, Role.WORKER, Role.HANDLER)
def unit_trend(request: HttpRequest, unit: str, code: str) -> HttpResponse:
    codes = list(reads.schemes().values_list("code", flat=True))
    scheme = _choice(request, "scheme", codes, "sheet100")
    if unit not in UnitKind.ALL:
        raise DomainError(_("参数无效:%(name)s") % {"name": "unit"}, field="unit")
    points = reads.trend(request.user, scheme_code=scheme, unit_kind=unit, code=code)
    if not points:
        raise Http404(_("没有该考核对象已公布的考核结果"))
    chart = {
        "months": [p.month for p in points],
        "scores": [p.score for p in points],
        "ranks": [p.rank for p in points],
        "labels": {"score": _("得分"), "rank": _("名次")},
    }
    return render(
        request,
        "oversight/trend.html",
        {"points": points, "chart": chart, "scheme": scheme, "unit": unit, "code": code},
    )


@require_GET
@role_required(Role.OFFICE)
def pay_sheet(request: HttpRequest) -> HttpResponse:
    """Seed 001: 基本工资+绩效工资, per worker and month, as an Excel sheet."""
    codes = list(reads.schemes().values_list("code", flat=True))
    scheme = _choice(request, "scheme", codes, "sheet100")
    month = _month(request)
    try:
        base = Decimal(request.GET.get("base", "2000"))
        performance = Decimal(request.GET.get("performance", "1000"))
    except InvalidOperation:
        raise DomainError(_("工资金额须为数字"), field="base") from None
    if base < 0 or performance < 0:
        raise DomainError(_("工资金额不能为负"), field="base")
    lines = reads.pay_sheet(
        request.user, scheme_code=scheme, month=month, base=base, performance_max=performance
    )
    response = HttpResponse(
        reads.pay_workbook(lines, month=month),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="pay-{scheme}-{month}.xlsx"'
    return response


@require_GET
@role_required(Role.OFFICE, Role.LEADER, Role.HANDLER, Role.WORKER)
def person_page(request: HttpRequest, pk: int) -> HttpResponse:
    """一人一档: one person's file (as a page, or printable with ?format=pdf)."""
    staff = get_object_or_404(Staff.objects.visible_to(request.user), pk=pk)
    file = person_file(staff)
    if request.GET.get("format") == "pdf":
        from weasyprint import HTML

        html = render_to_string("oversight/person_sheet.html", {"file": file})
        response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="person-{staff.pk}.pdf"'
        return response
    return render(request, "oversight/person.html", {"file": file})


class AppealForm(forms.Form):
    item_code = forms.ChoiceField(label=gettext_lazy("申诉项目"))
    reason = forms.CharField(label=gettext_lazy("申诉理由"), widget=forms.Textarea)
    requested_points = forms.DecimalField(
        label=gettext_lazy("申请分值"), required=False, max_digits=7, decimal_places=2
    )

    def __init__(self, *args: Any, result: AssessmentResult, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item_code"].choices = [(i["code"], i["name"]) for i in result.items]  # type: ignore[attr-defined]


@role_required(Role.OFFICE, Role.WORKER, Role.HANDLER)
def appeal_new(request: HttpRequest, pk: int) -> HttpResponse:
    """申诉: raise an appeal against one item of a published result in the user's scope."""
    result = get_object_or_404(results_visible_to(request.user).select_related("run"), pk=pk)
    form = AppealForm(request.POST or None, result=result)
    if request.method == "POST" and form.is_valid():
        try:
            raise_appeal(result=result, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("oversight:appeals")
    return render(request, "oversight/appeal_form.html", {"form": form, "result": result})


@require_GET
@role_required(Role.OFFICE, Role.WORKER, Role.HANDLER, Role.LEADER)
def appeals(request: HttpRequest) -> HttpResponse:
    rows = (
        Appeal.objects.filter(result__in=results_visible_to(request.user))
        .select_related("result__run__scheme", "raised_by")
        .order_by("-raised_at")[:200]
    )
    items = [
        (a, [(n, APPEAL_VERBS[n].label) for n in allowed_actions(a, request.user)]) for a in rows
    ]
    return render(request, "oversight/appeals.html", {"rows": items})


@require_POST
@role_required(Role.OFFICE)
def appeal_act(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    appeal = get_object_or_404(
        Appeal.objects.filter(result__in=results_visible_to(request.user)), pk=pk
    )
    points = request.POST.get("corrected_points") or None
    try:
        corrected = Decimal(points) if points is not None else None
    except InvalidOperation:
        raise DomainError(_("分值须为数字"), field="corrected_points") from None
    act_on_appeal(
        appeal=appeal,
        verb=verb,
        by=request.user,  # type: ignore[arg-type]
        note=request.POST.get("note", ""),
        corrected_points=corrected,
    )
    return redirect("oversight:appeals")


@require_POST
@role_required(Role.OFFICE)
def run_republish(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(AssessmentRun, pk=pk)
    if not results_visible_to(request.user).filter(run=run).exists():
        raise Http404
    new = republish_run(run=run, by=request.user, note=request.POST.get("note", ""))  # type: ignore[arg-type]
    url = f"{reverse('oversight:rankings')}?scheme={new.scheme.code}&unit={new.unit_kind}&month={new.month}"
    return redirect(url)
