"""Forms of the safety and campaign pages. A hazard verb's form is keyed by the verb's name
(the table in safety/workflow.py) and builds its own service keyword arguments."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.fieldwork.safety.models import CampaignOutcome, ChecklistItem
from gridgov.fieldwork.safety.services import DEFAULT_DAYS, HANDLINGS, MAX_DAYS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _days_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("整改期限(工作日)"), min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS
    )


class HazardActionForm(forms.Form):
    """A hazard verb's input; `service_kwargs` maps it onto the service's arguments."""

    note_required: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"] = forms.CharField(
            label=_("说明"),
            required=self.note_required,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )

    def service_kwargs(self) -> dict[str, Any]:
        return {"note": self.cleaned_data.get("note") or ""}


class FixOnSpotForm(HazardActionForm):
    note_required = True


class OrderForm(HazardActionForm):
    days = _days_field()

    def service_kwargs(self) -> dict[str, Any]:
        return {**super().service_kwargs(), "days": self.cleaned_data["days"]}


class ListForm(OrderForm):
    measures = forms.CharField(
        label=_("整改期间安全防范措施"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def service_kwargs(self) -> dict[str, Any]:
        return {**super().service_kwargs(), "measures": self.cleaned_data["measures"]}


class CompleteForm(HazardActionForm):
    note_required = True


class ReviewForm(HazardActionForm):
    passed = forms.TypedChoiceField(
        label=_("复查结果"),
        choices=[("1", _("整改到位,销号")), ("0", _("未整改到位,退回整改"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    days = _days_field()

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "passed": self.cleaned_data["passed"],
            "days": self.cleaned_data["days"],
        }


class UrgeForm(HazardActionForm):
    pass


class EscalateForm(HazardActionForm):
    pass


ACTION_FORMS: dict[str, type[HazardActionForm]] = {
    "fix_on_spot": FixOnSpotForm,
    "order": OrderForm,
    "list": ListForm,
    "complete": CompleteForm,
    "review": ReviewForm,
    "urge": UrgeForm,
    "escalate": EscalateForm,
}


class InspectionForm(forms.Form):
    """The phone's inspection: one ok/problem choice per checklist item; a problem has a note,
    a handling (on the spot / within a deadline / major) and, when ordered, working days."""

    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    # The line the outbox shows while the record waits to be sent.
    description = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("检查情况"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)

    HANDLING_LABELS: ClassVar[dict[str, Any]] = {
        "fix": _("当场整改"),
        "order": _("限期整改"),
        "major": _("重大隐患,报网格办挂牌"),
    }

    def __init__(self, *args: Any, items: list[ChecklistItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"ok_{item.pk}"] = forms.TypedChoiceField(
                label=item.text,
                choices=[("1", _("合格")), ("0", _("有问题"))],
                coerce=lambda v: v == "1",
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("问题说明"), required=False, max_length=200
            )
            self.fields[f"handling_{item.pk}"] = forms.ChoiceField(
                label=_("处置方式"),
                required=False,
                choices=[("", "—"), *((h, self.HANDLING_LABELS[h]) for h in HANDLINGS)],
            )
            self.fields[f"days_{item.pk}"] = forms.IntegerField(
                label=_("整改期限(工作日)"),
                required=False,
                min_value=1,
                max_value=MAX_DAYS,
                initial=DEFAULT_DAYS,
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "item": item,
                "ok": self[f"ok_{item.pk}"],
                "note": self[f"note_{item.pk}"],
                "handling": self[f"handling_{item.pk}"],
                "days": self[f"days_{item.pk}"],
            }
            for item in self.items
        ]


class CampaignAnswerForm(forms.Form):
    """The phone's campaign answers for one unit grid: an outcome per open item."""

    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    description = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, items: list[ChecklistItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"outcome_{item.pk}"] = forms.ChoiceField(
                label=item.text,
                required=False,
                choices=CampaignOutcome.choices,
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("问题说明"), required=False, max_length=500
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"item": i, "outcome": self[f"outcome_{i.pk}"], "note": self[f"note_{i.pk}"]}
            for i in self.items
        ]


class CampaignForm(forms.Form):
    """The office's new campaign: title, items one per line, scope and deadline."""

    title = forms.CharField(label=_("名称"), max_length=100)
    items = forms.CharField(
        label=_("排查项(每行一项)"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5})
    )
    grids: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("排查范围"),
        queryset=None,  # type: ignore[arg-type]
    )
    deadline = forms.DateField(label=_("截止日期"), widget=DateInput())
    draft = forms.BooleanField(label=_("先保存为草稿,稍后发布"), required=False)

    def __init__(self, *args: Any, grids: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["grids"]
        field.queryset = grids  # type: ignore[attr-defined]
        field.widget.attrs["size"] = 8

    def item_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip()]

    def deadline_value(self) -> dt.date:
        value: dt.date = self.cleaned_data["deadline"]
        return value


# --- campaign verbs (safety/campaign_workflow.py's rows, keyed by the verb's name) ----------------


class CampaignVerbForm(forms.Form):
    """A campaign verb's input; `service_kwargs` maps it onto the service's arguments."""

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _long_text(label: Any, *, required: bool) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PublishCampaignForm(CampaignVerbForm):
    note = _long_text(_("说明"), required=False)


class CloseCampaignForm(CampaignVerbForm):
    remark = _long_text(_("结束说明"), required=True)


class CancelCampaignForm(CampaignVerbForm):
    reason = _long_text(_("撤销原因"), required=True)


class ReopenCampaignForm(CampaignVerbForm):
    deadline = forms.DateField(label=_("新的截止日期"), widget=DateInput())
    note = _long_text(_("说明"), required=False)


CAMPAIGN_FORMS: dict[str, type[CampaignVerbForm]] = {
    "publish": PublishCampaignForm,
    "close": CloseCampaignForm,
    "cancel": CancelCampaignForm,
    "reopen": ReopenCampaignForm,
}


class CorrectAnswerForm(forms.Form):
    """A correction of one campaign answer: the new outcome and note, and why."""

    outcome = forms.ChoiceField(label=_("排查结果"), choices=CampaignOutcome.choices)
    note = forms.CharField(label=_("问题说明"), required=False, max_length=500)
    reason = forms.CharField(label=_("更正原因"), required=False, max_length=500)

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
