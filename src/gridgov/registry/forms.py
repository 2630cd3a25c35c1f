"""Forms of the registry pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.registry.ledgers import KIND_LABELS


class LedgerUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("台账类型"), choices=list(KIND_LABELS.items()))
    file = forms.FileField(
        label=_("文件"),
        help_text=_("Excel(.xlsx、.xls)或 CSV(UTF-8 或 GBK),第一行为表头。"),
    )
    dry_run = forms.BooleanField(label=_("试运行(只检查,不写入)"), required=False, initial=False)


class LedgerExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("台账类型"), choices=list(KIND_LABELS.items()))
    grid = forms.CharField(label=_("网格编码(留空为全部辖区)"), required=False, max_length=32)
    reason = forms.CharField(
        label=_("明文导出事由(留空则身份号码和电话打码)"), required=False, max_length=200
    )
