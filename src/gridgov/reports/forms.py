"""Forms of the statistics and ledger pages: they parse the query string; the reads decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Channel, MatterClass

# A period longer than this is refused: the page is for months, quarters and years.
MAX_DAYS = 731


class PeriodForm(forms.Form):
    """A period of whole days (Asia/Shanghai) and the grid the figures are for (its code)."""

    start = forms.DateField(label=_("起始日"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("截止日"), widget=forms.DateInput(attrs={"type": "date"}))
    grid = forms.CharField(label=_("网格编码"), required=False, max_length=32)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                self.add_error("end", _("截止日不能早于起始日"))
            elif (end - start).days > MAX_DAYS:
                self.add_error("end", _("统计期间不能超过两年"))
        return data


STATE_GROUPS = {
    "": _("全部"),
    "open": _("办理中"),
    "closed": _("已结案"),
    "overdue": _("已超期"),
}


class LedgerForm(PeriodForm):
    """The case ledger's filters: reported in the period, in the grid's subtree."""

    channel = forms.ChoiceField(label=_("来源渠道"), required=False)
    matter_class = forms.ChoiceField(label=_("事项大类"), required=False)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=list(STATE_GROUPS.items()))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel = self.fields["channel"]
        if isinstance(channel, forms.ChoiceField):
            channel.choices = [("", _("全部")), *Channel.choices]
        klass = self.fields["matter_class"]
        if isinstance(klass, forms.ChoiceField):
            klass.choices = [
                ("", _("全部")),
                *MatterClass.objects.filter(is_active=True).values_list("code", "name"),
            ]
