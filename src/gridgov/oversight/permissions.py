"""Who may publish assessments and handle appeals (`rules` predicates), and which results a user
sees. Results outside a user's scope are 404 before any rule is asked.

- office operators (网格办) publish runs and review appeals of results inside their scope, but
  never an appeal they raised themselves;
- the assessed person raises an appeal on their own result; an office operator raises one for a
  unit in their scope; a department handler for their department's result;
- leaders read; admins do everything.
"""

from __future__ import annotations

from typing import Any

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from gridgov.core.jurisdiction import NOTHING, Role, scope_of
from gridgov.people.permissions import is_office as is_operator
from gridgov.people.permissions import is_platform_admin as is_admin


def results_q(user: Any) -> Q:
    """The twin of the predicates below: results a user may see."""
    scope = scope_of(user)
    if scope.is_admin:
        return Q()
    q = NOTHING
    for path in sorted(scope.all_grid_paths()):
        q |= Q(path__startswith=path)
    departments = scope.all_department_ids()
    if departments:
        q |= Q(department_id_ref__in=sorted(departments))
    if user is not None and user.is_authenticated:
        q |= Q(user_id_ref=user.pk)
    return q


def _in_office_scope(user: Any, path: str) -> bool:
    return bool(path) and any(
        path.startswith(root) for root in scope_of(user).all_grid_paths(Role.OFFICE)
    )


@rules.predicate
def may_raise_for(user: Any, result: Any) -> bool:
    if result is None:
        return False
    if result.user_id_ref is not None and result.user_id_ref == user.pk:
        return True
    if result.department_id_ref is not None:
        return result.department_id_ref in scope_of(user).all_department_ids(Role.HANDLER)
    return _in_office_scope(user, result.path)


@rules.predicate
def raised_it(user: Any, appeal: Any) -> bool:
    return appeal is not None and appeal.raised_by_id == user.pk


@rules.predicate
def may_review(user: Any, appeal: Any) -> bool:
    if appeal is None:
        return False
    result = appeal.result
    if result.department_id_ref is not None and not result.path:
        return scope_of(user).has_role(Role.OFFICE)
    return _in_office_scope(user, result.path)


rules.add_perm("oversight.publish_run", is_admin | is_operator)
rules.add_perm("oversight.enter_score", is_admin | is_operator)
rules.add_perm("oversight.raise_appeal", is_admin | may_raise_for)
# Nobody decides their own appeal, not even an administrator.
rules.add_perm("oversight.review_appeal", ~raised_it & (is_admin | may_review))


@rules.predicate
def office_over_grid(user: Any, obj: Any) -> bool:
    """An office operator whose scope holds the grid (a Grid, or a row with a grid)."""
    grid = getattr(obj, "grid", obj)
    return grid is not None and _in_office_scope(user, getattr(grid, "path", ""))


@rules.predicate
def handler_of_recipient(user: Any, recipient: Any) -> bool:
    return recipient is not None and recipient.department_id in scope_of(user).all_department_ids(
        Role.HANDLER
    )


rules.add_perm("oversight.lift_warning", is_admin | office_over_grid)
rules.add_perm("oversight.change_rule", is_admin | is_operator)
rules.add_perm("oversight.issue_bulletin", is_admin | office_over_grid)
rules.add_perm("oversight.act_on_bulletin", is_admin | handler_of_recipient)


@rules.predicate
def office_over_staff(user: Any, staff: Any) -> bool:
    """An office operator whose scope holds one of the person's grid posts or departments."""
    if staff is None:
        return False
    paths = [p.grid.path for p in staff.posts.select_related("grid") if p.grid_id]
    if any(_in_office_scope(user, path) for path in paths):
        return True
    dept = getattr(staff, "department", None)
    return dept is not None and any(
        dept.region.path.startswith(root) for root in scope_of(user).all_region_paths(Role.OFFICE)
    )


@rules.predicate
def requested_it(user: Any, action: Any) -> bool:
    return action is not None and action.requested_by_id == user.pk


@rules.predicate
def office_above_grid(user: Any, action: Any) -> bool:
    """An office whose scope holds the action's territory and reaches above it (the county
    platform decides on a town's request, seed 002)."""
    if action is None:
        return False
    scope = scope_of(user)
    path, region_path = action.grid.path, action.grid.region.path
    return any(
        path.startswith(root) and root != path for root in scope.all_grid_paths(Role.OFFICE)
    ) or any(
        region_path.startswith(root) and root != region_path
        for root in scope.all_region_paths(Role.OFFICE)
    )


rules.add_perm("oversight.record_reward_sanction", is_admin | office_over_staff)
rules.add_perm("oversight.sign_contract", is_admin | office_over_grid)
rules.add_perm("oversight.coordinate", is_admin | office_over_grid)
rules.add_perm("oversight.decide_joint_action", ~requested_it & (is_admin | office_above_grid))
rules.add_perm("oversight.run_joint_action", is_admin | office_over_grid)


@rules.predicate
def handler_of_rated_department(user: Any, rating: Any) -> bool:
    """双向考核: a department's handler rates the platform on the department's behalf."""
    return rating is not None and rating.department_id in scope_of(user).all_department_ids(
        Role.HANDLER
    )


@rules.predicate
def office_over_platform(user: Any, rating: Any) -> bool:
    """双向考核: the office of the platform (its grid in scope) rates the departments."""
    return rating is not None and _in_office_scope(user, rating.platform.path)


rules.add_perm("oversight.rate_platform", is_admin | handler_of_rated_department)
rules.add_perm("oversight.rate_department", is_admin | office_over_platform)


def require(user: Any, perm: str, obj: Any = None) -> None:
    if not rules.has_perm(perm, user, obj):
        raise PermissionDenied(_("无权执行此操作"))
