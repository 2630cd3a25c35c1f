"""Log-ins and role grants: roles are Django groups, scoped by Jurisdiction rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, forget_scope
from gridgov.grids.audit import audited
from gridgov.grids.models import Grid, Region
from gridgov.people.models import Department, Jurisdiction, Staff
from gridgov.people.permissions import require

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# --- users and roles --------------------------------------------------------------------------


@transaction.atomic
@audited
def create_user(
    *,
    username: str,
    password: str,
    staff: Staff | None = None,
    is_staff: bool = False,
    by: User | None = None,
) -> User:
    """A log-in for a staff member (a user belongs to one Staff record)."""
    require(by, "people.grant_roles")
    User = get_user_model()  # noqa: N806
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise DomainError(_("用户名只能包含字母、数字和 @/./+/-/_"), field="username") from None
    if User.objects.filter(username=username).exists():
        raise DomainError(
            _("用户名 %(username)s 已存在") % {"username": username}, field="username"
        )
    try:
        validate_password(password)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from None
    if staff is not None and staff.user_id is not None:
        raise DomainError(_("%(name)s 已有登录账号") % {"name": staff.name}, field="staff")
    user = User.objects.create_user(username=username, password=password, is_staff=is_staff)
    if staff is not None:
        staff.user = user
        staff.save(update_fields=["user"])
    return user  # type: ignore[no-any-return]


def check_grant(
    *,
    user: User,
    role: str,
    grid: Grid | None,
    region: Region | None,
    department: Department | None,
) -> None:
    """What scope each role takes: a worker a grid, a handler a department, an office operator
    or a leader one grid or region subtree, an admin none."""
    if role not in Role.values:
        raise DomainError(_("未知角色 %(role)r") % {"role": role}, field="role")
    targets = sum(x is not None for x in (grid, region, department))
    if role == Role.ADMIN and targets:
        raise DomainError(_("平台管理员不限范围,无须指定网格、区划或部门"), field="role")
    if role != Role.ADMIN and targets != 1:
        raise DomainError(_("授权须且只须指定网格、区划或部门之一"), field="grid")
    if role == Role.HANDLER and department is None:
        raise DomainError(_("部门处置人员须指定部门"), field="department")
    if role != Role.HANDLER and department is not None:
        raise DomainError(_("只有部门处置人员按部门授权"), field="department")
    if role == Role.WORKER and grid is None:
        raise DomainError(_("网格员须指定网格"), field="grid")
    if Jurisdiction.objects.filter(
        user=user, role=role, grid=grid, region=region, department=department, active=True
    ).exists():
        raise DomainError(_("该用户已有此授权"), field="role")


def create_grant(
    *,
    user: User,
    role: str,
    grid: Grid | None = None,
    region: Region | None = None,
    department: Department | None = None,
    by: User | None = None,
) -> Jurisdiction:
    grant = Jurisdiction.objects.create(
        user=user, role=role, grid=grid, region=region, department=department, granted_by=by
    )
    group, _created = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    forget_scope(user)
    return grant


def deactivate_grant(grant: Jurisdiction) -> None:
    grant.active = False
    grant.save(update_fields=["active"])
    user = grant.user
    if not user.jurisdictions.filter(role=grant.role, active=True).exists():  # type: ignore[attr-defined]
        user.groups.remove(*Group.objects.filter(name=grant.role))
    forget_scope(user)


@transaction.atomic
@audited
def grant_role(
    *,
    user: User,
    role: str,
    grid: Grid | None = None,
    region: Region | None = None,
    department: Department | None = None,
    by: User | None = None,
) -> Jurisdiction:
    """Grant a role over a scope; the user joins the role's group (roles are Django groups)."""
    require(by, "people.grant_roles")
    check_grant(user=user, role=role, grid=grid, region=region, department=department)
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return create_grant(
        user=user, role=role, grid=grid, region=region, department=department, by=by
    )


@transaction.atomic
@audited
def revoke_role(*, grant: Jurisdiction, by: User | None = None) -> None:
    require(by, "people.grant_roles")
    if not grant.active:
        raise DomainError(_("该授权已撤销"))
    deactivate_grant(grant)
