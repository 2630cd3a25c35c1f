"""Change-log registration of the people models (grids.audit explains the wiring)."""

from __future__ import annotations

from auditlog.registry import auditlog


def mask_phone(value: str) -> str:
    """A phone in the change log keeps its prefix and last four digits (+86138****0001): enough
    to tell which number changed, not enough to call it."""
    if len(value) <= 4:
        return "*" * len(value)
    if len(value) < 8:
        return "*" * (len(value) - 4) + value[-4:]
    return value[:-8] + "****" + value[-4:]


def register_people_models() -> None:
    """Called from PeopleConfig.ready (framework wiring only, STYLE)."""
    from gridgov.people.models import (
        Department,
        Jurisdiction,
        Liaison,
        PasswordChangeDue,
        Post,
        Staff,
    )

    for model in (Department, Post, Liaison, Jurisdiction, PasswordChangeDue):
        if not auditlog.contains(model):
            auditlog.register(model)
    if not auditlog.contains(Staff):
        auditlog.register(
            Staff, mask_fields=["phone"], mask_callable="gridgov.people.audit.mask_phone"
        )
