"""Forms of the hotline pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD = 50 * 1024 * 1024


class ImportForm(forms.Form):
    source = forms.SlugField(
        label=_("来源代号"), max_length=40, help_text=_("如 12345、chuangcheng")
    )
    file = forms.FileField(label=_("导出文件(CSV 或 Excel)"))
    mapping = forms.CharField(
        label=_("映射(TOML)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "mono"}),
        help_text=_("留空则使用该来源已保存的映射"),
    )
    dry_run = forms.BooleanField(label=_("试运行(不写入)"), required=False)
    strict = forms.BooleanField(label=_("有错行则整份拒绝"), required=False)

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件超过 50 MB"))
        return upload


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("起始日"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("截止日"), widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.ChoiceField(label=_("来源"), required=False)

    def __init__(self, *args: object, sources: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["source"]
        if isinstance(field, forms.ChoiceField):
            field.choices = [("", _("全部来源")), *((s, s) for s in sources)]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:  # type: ignore[operator]
            self.add_error("end", _("截止日早于起始日"))
        return data


class RoundForm(forms.Form):
    start = forms.DateField(label=_("起始日"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("截止日"), widget=forms.DateInput(attrs={"type": "date"}))
