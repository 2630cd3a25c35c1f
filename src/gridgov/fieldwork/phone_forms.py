"""Forms of the phone pages for visits, diary, surveys and check-in, and of the office's survey
designer. Each phone form carries the outbox's idempotency key and the phone's own clock time
(`at`), so an entry queued offline is stored once, at the time it was made."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.cases.forms import PhotosField
from gridgov.core.errors import DomainError
from gridgov.fieldwork.models import CheckKind, DiaryKind, Occasion, QuestionKind, VisitKind


class OutboxForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    at = forms.DateTimeField(widget=forms.HiddenInput, required=False)


class PositionMixin(forms.Form):
    lon = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-90, max_value=90)


class VisitForm(OutboxForm, PositionMixin):
    household = forms.ChoiceField(label=_("走访户"))
    kind = forms.ChoiceField(
        label=_("走访类别"),
        choices=VisitKind.choices,
        initial=VisitKind.HOME,
        widget=forms.RadioSelect,
    )
    people_met = forms.CharField(label=_("走访对象"), max_length=200, required=False)
    learnt = forms.CharField(
        label=_("了解情况"), max_length=2000, required=False, widget=forms.Textarea({"rows": 3})
    )
    problems = forms.CharField(
        label=_("发现问题"),
        max_length=2000,
        required=False,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("登记后可一键转为案件"),
    )
    assistance = forms.CharField(
        label=_("帮扶措施"), max_length=2000, required=False, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args: Any, households: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["household"].choices = [("", "—"), *households]  # type: ignore[attr-defined]


class DiaryForm(OutboxForm):
    kind = forms.ChoiceField(
        label=_("日志类别"),
        choices=DiaryKind.choices,
        initial=DiaryKind.PEOPLE,
        widget=forms.RadioSelect,
    )
    day = forms.DateField(
        label=_("日期"), widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d")
    )
    text = forms.CharField(label=_("内容"), max_length=5000, widget=forms.Textarea({"rows": 5}))
    tags = forms.CharField(label=_("标签"), max_length=200, required=False)
    households = forms.MultipleChoiceField(
        label=_("关联住户"), required=False, help_text=_("可多选")
    )
    cases = forms.MultipleChoiceField(label=_("关联案件"), required=False, help_text=_("可多选"))
    photos = PhotosField(label=_("照片"), required=False)

    def __init__(
        self,
        *args: Any,
        households: list[tuple[str, str]] | None = None,
        cases: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["households"].choices = households or []  # type: ignore[attr-defined]
        self.fields["cases"].choices = cases or []  # type: ignore[attr-defined]

    def clean_photos(self) -> list[Any]:
        """Checked here like a case report's photos (cases.attachments), so a bad photo is a
        form error beside the field together with any other mistake."""
        from gridgov.cases.attachments import check_photos

        try:
            return check_photos(self.cleaned_data.get("photos"))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


class CheckInForm(OutboxForm, PositionMixin):
    kind = forms.ChoiceField(
        label=_("打卡类别"),
        choices=CheckKind.choices,
        initial=CheckKind.IN,
        widget=forms.RadioSelect,
    )


class SurveyFillForm(OutboxForm):
    """A household and one field per question (named q<id>)."""

    household = forms.ChoiceField(label=_("调查户"))

    def __init__(
        self, *args: Any, survey: Any, households: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["household"].choices = [("", "—"), *households]  # type: ignore[attr-defined]
        for q in survey.questions.all():
            self.fields[f"q{q.pk}"] = _question_field(q)

    def answers(self) -> dict[str, Any]:
        """{question id: raw answer} for the survey service to check."""
        data = {}
        for name, value in self.cleaned_data.items():
            if name.startswith("q") and name[1:].isdigit():
                data[name[1:]] = value
        return data


def _question_field(q: Any) -> forms.Field:
    label = f"{q.position}. {q.text}"
    choices = [(c, c) for c in q.choices]
    # Requiredness is the survey service's rule (it names the question): fields stay optional.
    if q.kind == QuestionKind.SINGLE:
        return forms.ChoiceField(
            label=label, choices=choices, widget=forms.RadioSelect, required=False
        )
    if q.kind == QuestionKind.MULTIPLE:
        return forms.MultipleChoiceField(
            label=label, choices=choices, widget=forms.CheckboxSelectMultiple, required=False
        )
    if q.kind == QuestionKind.NUMBER:
        return forms.CharField(
            label=label, required=False, widget=forms.NumberInput({"step": "any"})
        )
    if q.kind == QuestionKind.DATE:
        return forms.CharField(
            label=label, required=False, widget=forms.DateInput({"type": "date"})
        )
    if q.kind == QuestionKind.YES_NO:
        return forms.ChoiceField(
            label=label,
            choices=[("yes", _("是")), ("no", _("否"))],
            widget=forms.RadioSelect,
            required=False,
        )
    return forms.CharField(
        label=label, required=False, max_length=1000, widget=forms.Textarea({"rows": 2})
    )


DESIGN_ROWS = 8


class SurveyDesignForm(forms.Form):
    """The office's survey designer: a title, the grid, and up to eight question rows (a row
    with no text is left out); options are written one per line."""

    title = forms.CharField(label=_("标题"), max_length=120)
    grid = forms.ChoiceField(label=_("调查范围"))
    description = forms.CharField(
        label=_("说明"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args: Any, grids: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grids  # type: ignore[attr-defined]
        for i in range(1, DESIGN_ROWS + 1):
            self.fields[f"q{i}_text"] = forms.CharField(
                label=_("第 %(n)s 题") % {"n": i}, max_length=200, required=False
            )
            self.fields[f"q{i}_kind"] = forms.ChoiceField(
                label=_("题型"), choices=QuestionKind.choices, required=False
            )
            self.fields[f"q{i}_choices"] = forms.CharField(
                label=_("选项(每行一个)"),
                required=False,
                max_length=2000,
                widget=forms.Textarea({"rows": 2}),
            )
            self.fields[f"q{i}_required"] = forms.BooleanField(
                label=_("必答"), required=False, initial=True
            )

    def rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"q{i}_{part}"] for part in ("text", "kind", "choices", "required")]
            for i in range(1, DESIGN_ROWS + 1)
        ]

    def questions(self) -> list[dict[str, Any]]:
        out = []
        for i in range(1, DESIGN_ROWS + 1):
            text = self.cleaned_data.get(f"q{i}_text", "").strip()
            if not text:
                continue
            out.append(
                {
                    "text": text,
                    "kind": self.cleaned_data.get(f"q{i}_kind") or QuestionKind.TEXT,
                    "choices": [
                        line.strip()
                        for line in self.cleaned_data.get(f"q{i}_choices", "").splitlines()
                        if line.strip()
                    ],
                    "required": bool(self.cleaned_data.get(f"q{i}_required")),
                }
            )
        return out


class OccasionForm(forms.Form):
    """Raise an occasion that requires a visit (五必访, 四必到, 必到); it lands in the household's
    contact worker's list with a deadline."""

    household = forms.CharField(label=_("户编号"), max_length=32)
    occasion = forms.ChoiceField(label=_("事由类别"), choices=Occasion.choices)
    reason = forms.CharField(label=_("事由"), max_length=200)
    due_at = forms.DateTimeField(
        label=_("期限"),
        required=False,
        widget=forms.DateTimeInput({"type": "datetime-local"}),
        help_text=_("不填则按事由默认:必到一天内,五必访七天内"),
    )
