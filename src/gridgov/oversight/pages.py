"""More oversight pages: the residents' survey (public) and its results, the two-way assessment,
manual scores by a named assessor, and the coordination pages (groups, joint actions, meetings,
training, notices). Thin: parse, scoped lookup, one service or read, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role
from gridgov.core.throttle import throttle
from gridgov.oversight import surveys
from gridgov.oversight.views import _month, role_required

# A resident answers once; a few tries per address and ten minutes leave room for a family.
SURVEY_LIMIT = {"scope": "oversight.survey", "limit": 5, "per_seconds": 600}
YES_NO = [("yes", gettext_lazy("认识")), ("no", gettext_lazy("不认识"))]
RATINGS = [
    (5, gettext_lazy("5 分 · 很满意")),
    (4, gettext_lazy("4 分 · 满意")),
    (3, gettext_lazy("3 分 · 一般")),
    (2, gettext_lazy("2 分 · 不太满意")),
    (1, gettext_lazy("1 分 · 不满意")),
]


class SurveyForm(forms.Form):
    knows_worker = forms.ChoiceField(
        label=gettext_lazy("您认识本网格的网格员吗?"), choices=YES_NO, widget=forms.RadioSelect
    )
    rating = forms.TypedChoiceField(
        label=gettext_lazy("您对本网格的工作打几分?"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("意见建议(选填)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    website = forms.CharField(required=False, widget=forms.HiddenInput)  # a trap for robots

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(gettext_lazy("提交无效"))
        return ""

    def answers(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "knows_worker": data["knows_worker"] == "yes",
            "rating": data["rating"],
            "comment": data.get("comment") or "",
        }


def _public_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    context = {"status": exc.status_code, "message": exc.message}
    response = render(request, "oversight/error.html", context, status=exc.status_code)
    retry = getattr(exc, "retry_after", None)
    if retry:
        response["Retry-After"] = str(retry)
    return response


def _survey_page(request: HttpRequest, grid: Any, submit: Any, *, case: Any = None) -> HttpResponse:
    if request.method != "POST":
        return render(request, "oversight/survey.html", {"grid": grid, "form": SurveyForm()})
    form = SurveyForm(request.POST)
    if not form.is_valid():
        return render(request, "oversight/survey.html", {"grid": grid, "form": form}, status=400)
    throttle(request, **SURVEY_LIMIT)  # type: ignore[arg-type]
    try:
        submit(**form.answers())
    except DomainError as exc:
        if exc.status_code != 400:
            raise
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return render(request, "oversight/survey.html", {"grid": grid, "form": form}, status=400)
    return render(request, "oversight/survey.html", {"grid": grid, "thanks": True})


def survey_board(request: HttpRequest, code: str) -> HttpResponse:
    """The public survey of a grid, linked from its board's QR page (no log-in)."""
    try:
        grid = surveys.survey_grid(code)
        return _survey_page(
            request, grid, lambda **answers: surveys.submit_survey(grid=grid, **answers)
        )
    except DomainError as exc:
        return _public_error(request, exc)


def survey_case(request: HttpRequest, code: str) -> HttpResponse:
    """The same survey from a closed case's tracking page: one answer per case."""
    try:
        case = surveys.case_for_survey(code)
        if surveys.answered(case) and request.method != "POST":
            return render(request, "oversight/survey.html", {"grid": case.grid, "thanks": True})
        return _survey_page(
            request,
            case.grid,
            lambda **answers: surveys.submit_case_survey(tracking_code=code, **answers),
            case=case,
        )
    except DomainError as exc:
        return _public_error(request, exc)


@require_GET
@role_required(Role.OFFICE, Role.LEADER)
def survey_results(request: HttpRequest) -> HttpResponse:
    """群众评价 per grid and month: answers, 知晓率, mean rating and the seed-002 counts."""
    month = _month(request)
    rows, total = surveys.survey_summary(request.user, month)
    return render(
        request,
        "oversight/survey_results.html",
        {
            "month": month,
            "rows": rows,
            "total": total,
            "comments": surveys.recent_comments(request.user, month),
        },
    )
