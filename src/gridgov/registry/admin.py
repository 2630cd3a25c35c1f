"""Registry in the Django admin: read-mostly and masked. Rows are written by the services and
the ledgers (audited there); the admin lists and shows them with ID numbers and phones masked
and never offers the encrypted columns or their blind indexes. Code tables stay editable (they
are reference data). Special-group records are not here at all: only their officer reads them,
and every read is logged (services.read_special_record)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.core.admin import ReadOnlyAdmin
from gridgov.core.crypto import BlindIndexField, EncryptedTextField
from gridgov.core.masking import mask_id_number, mask_phone
from gridgov.registry.models import (
    AccessLog,
    Building,
    CodeItem,
    Facility,
    Household,
    HouseholdTag,
    LedgerUpload,
    Organisation,
    PartyMembership,
    Person,
    Room,
)


def _mask_for(name: str) -> Callable[[str], str]:
    if "id_number" in name or "passport" in name:
        return mask_id_number
    if "phone" in name:
        return mask_phone
    return lambda value: "****" if value else ""


class MaskedReadOnlyAdmin(ReadOnlyAdmin):
    """Every concrete field but the encrypted ones (shown masked) and the blind indexes."""

    hidden: tuple[str, ...] = ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = []
        for f in self.model._meta.concrete_fields:
            if isinstance(f, BlindIndexField) or f.primary_key or f.name in self.hidden:
                continue
            fields.append(f"{f.name}_shown" if isinstance(f, EncryptedTextField) else f.name)
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)

    def __getattr__(self, name: str) -> Any:
        # `<field>_shown`: the masked display of an encrypted field, for lists and details.
        if name.endswith("_shown"):
            field = self.model._meta.get_field(name.removesuffix("_shown"))
            if isinstance(field, EncryptedTextField):
                mask = _mask_for(field.name)

                def shown(obj: Any) -> str:
                    return mask(getattr(obj, field.name) or "")

                shown.short_description = field.verbose_name  # type: ignore[attr-defined]
                return shown
        raise AttributeError(name)


@admin.register(CodeItem)
class CodeItemAdmin(admin.ModelAdmin):
    list_display = ["table", "code", "name", "standard"]
    list_filter = ["table"]
    search_fields = ["code", "name"]


@admin.register(Building)
class BuildingAdmin(MaskedReadOnlyAdmin):
    list_display = ["number", "address", "use", "floors", "grid", "community"]
    list_filter = ["use"]
    search_fields = ["number", "address"]
    list_select_related = ["grid", "community"]


@admin.register(Room)
class RoomAdmin(MaskedReadOnlyAdmin):
    list_display = ["building", "number", "floor"]
    list_select_related = ["building"]


@admin.register(Household)
class HouseholdAdmin(MaskedReadOnlyAdmin):
    list_display = ["number", "address", "kind", "grid", "contact_worker", "closed_on"]
    list_filter = ["kind"]
    search_fields = ["number", "address"]
    list_select_related = ["grid", "contact_worker"]


@admin.register(HouseholdTag)
class HouseholdTagAdmin(MaskedReadOnlyAdmin):
    list_display = ["household", "kind", "since", "until"]
    list_filter = ["kind"]
    list_select_related = ["household"]


@admin.register(Person)
class PersonAdmin(MaskedReadOnlyAdmin):
    list_display = [
        "name",
        "id_number_shown",
        "gender",
        "birth_date",
        "phone_shown",
        "population_type",
        "grid",
        "household",
        "closed_on",
    ]
    list_filter = ["population_type", "gender"]
    # Names only: ID numbers and phones are found through the blind index on the registry pages.
    search_fields = ["name"]
    list_select_related = ["grid", "household"]


@admin.register(Organisation)
class OrganisationAdmin(MaskedReadOnlyAdmin):
    list_display = ["name", "kind", "credit_code", "risk_grade", "key_supervision", "grid"]
    list_filter = ["kind", "risk_grade", "key_supervision", "party_level"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["grid"]


@admin.register(PartyMembership)
class PartyMembershipAdmin(MaskedReadOnlyAdmin):
    list_display = ["organisation", "person", "check_in", "checked_in_on", "ended_on"]
    list_filter = ["check_in"]
    list_select_related = ["organisation", "person"]


@admin.register(Facility)
class FacilityAdmin(MaskedReadOnlyAdmin):
    list_display = ["code", "class_code", "name", "grid", "owner", "maintainer"]
    search_fields = ["code", "name"]
    list_select_related = ["grid", "owner", "maintainer"]


@admin.register(AccessLog)
class AccessLogAdmin(MaskedReadOnlyAdmin):
    list_display = ["at", "username", "action", "target", "object_id", "field", "rows", "grid"]
    list_filter = ["action"]
    search_fields = ["username", "reason"]
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> Any:
        return AccessLog.objects.visible_to(request.user)


@admin.register(LedgerUpload)
class LedgerUploadAdmin(MaskedReadOnlyAdmin):
    hidden = ("content",)  # the uploaded file, encrypted until imported
    list_display = ["uploaded_at", "kind", "file_name", "dry_run", "uploaded_by", "state"]
    list_filter = ["kind", "state"]
