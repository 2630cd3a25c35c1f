"""Forms of the worker's registry phone pages: they parse input; the services hold the rules."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.registry.models import CodeItem, CodeTable, HouseholdKind, PopulationType


def relation_choices() -> list[tuple[str, str]]:
    items = CodeItem.objects.filter(table=CodeTable.RELATION).order_by("code")
    return [("", "—"), *((i.code, i.name) for i in items)]


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(
        label=_("户编号、地址、户主姓名,或完整身份号码/电话"), max_length=60, required=False
    )


class HouseholdEditForm(forms.Form):
    address = forms.CharField(label=_("地址"), max_length=200)
    kind = forms.ChoiceField(label=_("户别"), choices=HouseholdKind.choices)


class PersonFields(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("公民身份号码"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    relation_to_head = forms.ChoiceField(label=_("与户主关系"), required=False)
    population_type = forms.ChoiceField(
        label=_("人口类型"), choices=PopulationType.choices, initial=PopulationType.REGISTERED
    )
    residence_address = forms.CharField(label=_("现住门(楼)详址"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["relation_to_head"].choices = relation_choices()  # type: ignore[attr-defined]

    def person_fields(self) -> dict[str, Any]:
        """The non-empty values, as `services.create_person`/`update_person` take them."""
        data = self.cleaned_data
        keys = ("id_number", "phone", "relation_to_head", "population_type", "residence_address")
        return {k: data[k] for k in keys if data.get(k)}


class PersonEditForm(PersonFields):
    """A correction: an empty ID number or phone leaves the stored one (never shown) as it is."""

    occupation = forms.CharField(label=_("职业"), max_length=60, required=False)
    workplace = forms.CharField(label=_("服务处所"), max_length=100, required=False)

    def person_fields(self) -> dict[str, Any]:
        fields = super().person_fields()
        data = self.cleaned_data
        fields["name"] = data["name"]
        for key in ("relation_to_head", "residence_address", "occupation", "workplace"):
            fields[key] = data.get(key) or ""
        return fields


class OnSiteAddForm(PersonFields):
    """A person added on site, to a household of the grid or to a new one; sent through the
    phone's outbox with a key, so a resend is answered with the first entry."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    grid = forms.ChoiceField(label=_("网格"))
    household_number = forms.CharField(
        label=_("户编号"),
        max_length=32,
        required=False,
        help_text=_("加入已登记的户;留空则新建一户,本人为户主"),
    )
    address = forms.CharField(
        label=_("新户地址"), max_length=200, required=False, help_text=_("新建户时必填")
    )

    field_order = [
        "idempotency_key",
        "grid",
        "household_number",
        "address",
        "name",
        "id_number",
        "phone",
        "relation_to_head",
        "population_type",
        "residence_address",
    ]

    def __init__(self, *args: Any, grids: list[Any], household: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grids = {g.code: g for g in grids}
        self.fields["grid"].choices = [(g.code, g.name) for g in grids]  # type: ignore[attr-defined]
        # The outbox lists a waiting entry by the person's name, never by a number.
        self.fields["name"].widget.attrs["data-outbox-summary"] = ""
        if not self.is_bound:
            self.fields["idempotency_key"].initial = uuid.uuid4().hex
            self.fields["household_number"].initial = household
