"""The office's attendance, leave and duty-roster pages (issue 11, 出勤/请假/值班).

Thin: each handler reads its filters, asks `fieldwork.attendance` (reads) or calls one service
(`records.record_leave`, `records.add_duty_shift`, `attendance.cancel_leave`,
`attendance.remove_duty_shift`), and renders. Reading needs an office or leader role; writing
needs the office (403 otherwise); people and grids outside the viewer's scope are 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.fieldwork import attendance, records
from gridgov.fieldwork.models import LeaveKind
from gridgov.fieldwork.services import LOCAL_TZ
from gridgov.grids.models import Grid

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Leave records listed on the leave page (most recent first).
LEAVES_SHOWN = 200
# Grids offered in the filters and the duty form.
GRIDS_SHOWN = 300


def _reader(request: HttpRequest) -> None:
    if not scope_of(request.user).has_role(Role.ADMIN, Role.OFFICE, Role.LEADER):
        raise PermissionDenied


def _writer(request: HttpRequest) -> None:
    if not attendance.can_write(request.user):
        raise PermissionDenied


def _month(request: HttpRequest) -> tuple[int, int, str]:
    """The `month` filter; a bad one falls back to this month with a message."""
    try:
        year, month = attendance.parse_month(request.GET.get("month"))
    except DomainError as exc:
        today = timezone.localdate()
        return today.year, today.month, exc.message
    return year, month, ""


def _root(request: HttpRequest) -> Grid | None:
    code = request.GET.get("grid") or ""
    if not code:
        return None
    root = Grid.objects.visible_to(request.user).filter(code=code).first()
    if root is None:
        raise Http404
    return root


def _shift_month(year: int, month: int, step: int) -> str:
    index = year * 12 + month - 1 + step
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _grid_choices(user: Any) -> list[tuple[str, str]]:
    return [(g.code, g.name) for g in Grid.objects.visible_to(user).order_by("path")[:GRIDS_SHOWN]]


# --- attendance ledger --------------------------------------------------------------------------


@login_required
def attendance_ledger(request: HttpRequest) -> HttpResponse:
    """The month ledger of everyone in the viewer's subtree; `format=xlsx` is the Excel."""
    _reader(request)
    year, month, error = _month(request)
    root = _root(request)
    rows = attendance.month_ledger(request.user, year, month, root)
    label = f"{year:04d}-{month:02d}"
    if request.GET.get("format") == "xlsx":
        where = root.name if root is not None else _("全部辖区")
        data = attendance.ledger_workbook(rows, year=year, month=month, where=where)
        response = HttpResponse(data, content_type=XLSX)
        suffix = f"-{root.code}" if root is not None else ""
        response["Content-Disposition"] = f'attachment; filename="attendance-{label}{suffix}.xlsx"'
        return response
    opens, closes = attendance.work_hours()
    context = {
        "rows": rows,
        "month": label,
        "previous": _shift_month(year, month, -1),
        "next": _shift_month(year, month, 1),
        "error": error,
        "root": root,
        "grids": _grid_choices(request.user),
        "leave_kinds": LeaveKind.choices,
        "opens": opens,
        "closes": closes,
        "span": attendance.counted_span(year, month),
        "can_write": attendance.can_write(request.user),
    }
    return render(request, "fieldwork/attendance.html", context)


@login_required
def attendance_person(request: HttpRequest, username: str) -> HttpResponse:
    """One person's month day by day, with check-in times and positions on a small map."""
    _reader(request)
    year, month, error = _month(request)
    person = attendance.person_in_scope(request.user, username, year, month)
    days = attendance.person_month(person, year, month)
    summary = attendance.ledger_rows([person], year, month)[0]
    context = {
        "person": person,
        "days": days,
        "summary": summary,
        "month": f"{year:04d}-{month:02d}",
        "previous": _shift_month(year, month, -1),
        "next": _shift_month(year, month, 1),
        "error": error,
        "leave_labels": dict(LeaveKind.choices),
        "map": {
            "points": attendance.check_in_points(days),
            "grids": {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "geometry": g.boundary, "properties": {"name": g.name}}
                    for g in person.grids
                    if g.boundary
                ],
            },
            "tileUrl": settings.GRIDGOV.get("MAP_TILE_URL", ""),
            "tileAttribution": settings.GRIDGOV.get("MAP_TILE_ATTRIBUTION", ""),
        },
    }
    return render(request, "fieldwork/attendance_person.html", context)


# --- leave --------------------------------------------------------------------------------------


class LeaveForm(forms.Form):
    user = forms.ChoiceField(label=gettext_lazy("人员"))
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=LeaveKind.choices)
    starts_on = forms.DateField(
        label=gettext_lazy("开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("结束日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=gettext_lazy("事由"), max_length=200, required=False)

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "—"), *people]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("结束日期不能早于开始日期"))
        return data


def _people_choices(user: Any) -> list[tuple[str, str]]:
    today = timezone.localdate()
    return [
        (p.username, f"{p.name}({p.grid_names})")
        for p in attendance.people_in(user, None, today, today)
    ]


@login_required
def leave_page(request: HttpRequest) -> HttpResponse:
    """Leave records of the subtree; the office records a leave (overlaps refused)."""
    _reader(request)
    form = LeaveForm(request.POST or None, people=_people_choices(request.user))
    if request.method == "POST":
        _writer(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                leave = records.record_leave(
                    by=request.user,
                    username=data["user"],
                    kind=data["kind"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    reason=data.get("reason") or "",
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已登记请假:%(user)s %(start)s 至 %(end)s")
                    % {"user": data["user"], "start": leave.starts_on, "end": leave.ends_on},
                )
                return redirect("fieldwork_leave")
    context = {
        "form": form,
        "leaves": attendance.leaves_visible_to(request.user)[:LEAVES_SHOWN],
        "can_write": attendance.can_write(request.user),
        "today": timezone.localdate(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "fieldwork/leave.html", context, status=status)


def _form_error(form: forms.Form, exc: DomainError) -> None:
    name = getattr(exc, "field", None)
    form.add_error(name if name in form.fields else None, exc.message)


@login_required
@require_POST
def leave_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _writer(request)
    try:
        attendance.cancel_leave(by=request.user, leave_id=pk)
    except DomainError:
        raise Http404 from None
    messages.success(request, _("已撤销请假记录"))
    return redirect("fieldwork_leave")


# --- duty roster --------------------------------------------------------------------------------


class DutyForm(forms.Form):
    user = forms.ChoiceField(label=gettext_lazy("值班人员"))
    grid = forms.ChoiceField(label=gettext_lazy("网格"))
    starts_at = forms.DateTimeField(
        label=gettext_lazy("开始"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("结束"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(label=gettext_lazy("说明"), max_length=100, required=False)

    def __init__(
        self, *args: Any, people: list[tuple[str, str]], grids: list[tuple[str, str]], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["user"].choices = [("", "—"), *people]  # type: ignore[attr-defined]
        self.fields["grid"].choices = grids  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("结束时间须晚于开始时间"))
        return data


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else value.replace(tzinfo=LOCAL_TZ)


@login_required
def duty_page(request: HttpRequest) -> HttpResponse:
    """The month's duty roster as a table of days; the office adds and removes shifts."""
    _reader(request)
    year, month, error = _month(request)
    grids = _grid_choices(request.user)
    form = DutyForm(
        request.POST or None, people=attendance.duty_candidates(request.user), grids=grids
    )
    if request.method == "POST":
        _writer(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                shift = records.add_duty_shift(
                    by=request.user,
                    username=data["user"],
                    grid_code=data["grid"],
                    starts_at=_aware(data["starts_at"]),
                    ends_at=_aware(data["ends_at"]),
                    note=data.get("note") or "",
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("已排班:%(user)s") % {"user": data["user"]})
                local = shift.starts_at.astimezone(LOCAL_TZ)
                return redirect(f"{reverse('fieldwork_duty')}?month={local:%Y-%m}")
    today = timezone.localdate()
    on_duty = {s.pk for s in records.on_duty(request.user)}
    days = attendance.duty_month(request.user, year, month)
    context = {
        "form": form,
        "days": [
            {"day": d, "shifts": shifts, "today": d == today, "weekend": d.weekday() >= 5}
            for d, shifts in days.items()
        ],
        "on_duty": on_duty,
        "on_duty_now": records.on_duty(request.user),
        "month": f"{year:04d}-{month:02d}",
        "previous": _shift_month(year, month, -1),
        "next": _shift_month(year, month, 1),
        "error": error,
        "can_write": attendance.can_write(request.user),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "fieldwork/duty.html", context, status=status)


@login_required
@require_POST
def duty_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _writer(request)
    try:
        attendance.remove_duty_shift(by=request.user, shift_id=pk)
    except DomainError:
        raise Http404 from None
    messages.success(request, _("已删除班次"))
    month = request.POST.get("month") or ""
    query = (
        f"?month={month}"
        if len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit()
        else ""
    )
    return redirect(reverse("fieldwork_duty") + query)
