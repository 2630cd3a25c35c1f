"""Who may act on hotline records and back-tracing tasks (`rules` predicates). They apply only to
rows the user can already see (`visible_to`): outside the scope is a 404 first."""

from __future__ import annotations

from typing import Any

import rules
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from gridgov.core.jurisdiction import Role, scope_of
from gridgov.people.permissions import is_office as is_operator
from gridgov.people.permissions import is_platform_admin as is_admin


def _covers(user: Any, grid: Any, role: str) -> bool:
    scope = scope_of(user)
    if not scope.has_role(role):
        return False
    return any(grid.path.startswith(p) for p in scope.all_grid_paths(role)) or any(
        grid.region.path.startswith(p) for p in scope.all_region_paths(role)
    )


@rules.predicate
def is_task_worker(user: Any, task: Any) -> bool:
    """The worker of the task's grid (or the one it was given to)."""
    return task.assignee_id == user.pk or _covers(user, task.grid, Role.WORKER)


@rules.predicate
def is_task_operator(user: Any, task: Any) -> bool:
    """An operator of the grid's station or any level above it."""
    return _covers(user, task.grid, Role.OFFICE)


rules.add_perm("hotline.import_records", is_admin | is_operator)
rules.add_perm("hotline.run_crosscheck", is_admin | is_operator)
rules.add_perm("hotline.answer_backtrace", is_admin | is_task_worker | is_task_operator)
rules.add_perm("hotline.review_backtrace", is_admin | is_task_operator)


def require(user: Any, perm: str, obj: Any = None) -> None:
    if user is None:
        return  # the operator's command line and the scheduler act as the system
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("无权执行此操作"))


@rules.predicate
def is_staff_member(user: Any) -> bool:
    return scope_of(user).has_role(Role.OFFICE, Role.WORKER, Role.HANDLER)


rules.add_perm("hotline.train_classifier", is_admin | is_operator)
rules.add_perm("hotline.suggest_item", is_admin | is_staff_member)

rules.add_perm("hotline.confirm_tiers", is_admin | is_operator)


@rules.predicate
def is_record_operator(user: Any, record: Any) -> bool:
    """An operator of the record's grid or a level above it (a record without a grid is the
    platform administrator's)."""
    return record.grid_id is not None and _covers(user, record.grid, Role.OFFICE)


rules.add_perm("hotline.classify_record", is_admin | is_record_operator)
