"""Who may read what in the registry (deny by default). Rows outside a user's scope are already
invisible through `visible_to`; these predicates answer what a user may do with visible rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gridgov.core.jurisdiction import Role, scope_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser | None

# Fields a reveal may return, and the roles that may reveal each. A grid worker calls the
# residents of their own grid, so may reveal a phone (logged), never an ID number.
REVEALABLE: dict[str, frozenset[str]] = {
    "id_number": frozenset({Role.OFFICE}),
    "passport_number": frozenset({Role.OFFICE}),
    "phone": frozenset({Role.OFFICE, Role.WORKER}),
    "guardian_id_number": frozenset({Role.SPECIAL}),
    "guardian_phone": frozenset({Role.SPECIAL}),
}


def can_reveal(user: AnyUser, field: str) -> bool:
    roles = REVEALABLE.get(field)
    if roles is None:
        return False
    return scope_of(user).has_role(*roles)


def can_export_clear(user: AnyUser) -> bool:
    """Clear values in a ledger export: grid office operators and the admin, with a reason."""
    return scope_of(user).has_role(Role.OFFICE)


def can_import_ledgers(user: AnyUser) -> bool:
    """Ledger uploads on the web: grid office operators (and the admin) within their scope."""
    return scope_of(user).has_role(Role.OFFICE)


def can_edit_registry(user: AnyUser) -> bool:
    return scope_of(user).has_role(Role.OFFICE, Role.WORKER)


def can_read_access_log(user: AnyUser) -> bool:
    """The platform admin and the discipline office (纪检监察) read the access log."""
    return scope_of(user).has_role(Role.DISCIPLINE)


def can_read_special_groups(user: AnyUser) -> bool:
    return scope_of(user).has_role(Role.SPECIAL)


def object_label(obj: Any) -> str:
    return str(obj._meta.label_lower)
