"""Forms of the work-summary pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.oversight.indicators import UnitKind
from gridgov.reports.summaries import KINDS


class ChooseForm(forms.Form):
    unit = forms.ChoiceField(
        label=_("总结对象"), choices=[(k, UnitKind.LABELS[k]) for k in KINDS], initial="town"
    )
    code = forms.CharField(label=_("单位"), max_length=64, required=False)
    period = forms.CharField(
        label=_("期间"),
        max_length=10,
        help_text=_("年度 2026、季度 2026-Q1 或月度 2026-03"),
    )


class SectionForm(forms.Form):
    title = forms.CharField(label=_("小标题"), max_length=120, required=False)
    body = forms.CharField(
        label=_("正文"), max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 6})
    )


SectionFormSet = forms.formset_factory(SectionForm, extra=1, max_num=12, absolute_max=12)


class TextForm(forms.Form):
    title = forms.CharField(label=_("总结标题"), max_length=120, required=False)


class TemplateUploadForm(forms.Form):
    name = forms.CharField(label=_("模板名称"), max_length=120)
    grid = forms.ChoiceField(label=_("适用范围"), required=False)
    file = forms.FileField(label=_("Word 模板(.docx)"))

    def __init__(self, *args: Any, grids: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grids  # type: ignore[attr-defined]
