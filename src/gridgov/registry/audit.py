"""Change-log registration of the registry models: encrypted values are masked in every diff
(auditlog would otherwise store the decrypted value) and blind indexes are left out."""

from __future__ import annotations

from typing import Any

from auditlog.registry import auditlog

MASK = "gridgov.core.masking.mask_secret"


def register_registry_models() -> None:
    """Called from RegistryConfig.ready (framework wiring only, STYLE)."""
    from gridgov.core.crypto import BlindIndexField, EncryptedTextField
    from gridgov.registry import models as m

    models: tuple[type[Any], ...] = (
        m.Building,
        m.Room,
        m.Household,
        m.HouseholdTag,
        m.Person,
        m.Organisation,
        m.PartyMembership,
        m.Facility,
        *m.SPECIAL_GROUP_MODELS,
    )
    for model in models:
        if auditlog.contains(model):
            continue
        fields = model._meta.get_fields()
        encrypted = [f.name for f in fields if isinstance(f, EncryptedTextField)]
        indexes = [f.name for f in fields if isinstance(f, BlindIndexField)]
        auditlog.register(model, mask_fields=encrypted, mask_callable=MASK, exclude_fields=indexes)
