"""Log-ins of the grid's people from the web (issue 10): a grid office creates a worker's log-in
with a first password, anyone changes their own, and an admin or a higher office resets one.

A password chosen by someone else (first or reset) is shown once to the person who set it and
is never stored in clear, logged or audited; its owner must replace it at the next log-in
(`PasswordChangeDue`, enforced by `people.middleware`)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.grids.audit import audited
from gridgov.grids.models import Grid
from gridgov.people.models import GRID_POST_KINDS, PasswordChangeDue, PostKind, Staff
from gridgov.people.permissions import covers_grid, is_platform_admin, require
from gridgov.people.services.roles import check_grant, create_grant

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Letters and digits that cannot be mistaken for one another when read aloud or copied from
# a screen (no 0/O, 1/l/I).
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105
PASSWORD_LENGTH = 12

# The roles a grid office gives when it creates a log-in: a worker in a grid, or an office
# operator of a grid below its own (a town office creates a village's operator).
LOGIN_ROLES = (Role.WORKER, Role.OFFICE)


def one_time_password() -> str:
    """A random first password, for its owner to replace at the first log-in."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(PASSWORD_LENGTH))


def _mark_change_due(user: User, *, reason: str, by: User | None) -> None:
    PasswordChangeDue.objects.update_or_create(user=user, defaults={"reason": reason, "set_by": by})


def must_change_password(user: User) -> bool:
    return PasswordChangeDue.objects.filter(user_id=user.pk).exists()


def _check_login_grid(staff: Staff, *, role: str, grid: Grid, by: User | None) -> None:
    """The grid of a new log-in's role: one where the person holds a current post, inside the
    actor's office scope; an office role only strictly below the actor's own grids."""
    if role not in LOGIN_ROLES:
        raise DomainError(_("未知角色 %(role)r") % {"role": role}, field="role")
    posts = staff.posts.filter(ended_on__isnull=True, grid=grid)
    if role == Role.WORKER:
        posts = posts.filter(kind__in=[*GRID_POST_KINDS, PostKind.EMBEDDED_OFFICER])
    if not posts.exists():
        raise DomainError(
            _("%(name)s 在网格 %(grid)s 没有在任岗位") % {"name": staff.name, "grid": grid.name},
            field="grid",
        )
    require(by, "people.manage_grid_people", grid)
    if by is None or is_platform_admin(by) or role != Role.OFFICE:
        return
    own = scope_of(by).all_grid_paths(Role.OFFICE)
    if grid.path in own or not covers_grid(by, grid, Role.OFFICE):
        raise DomainError(_("只能为下级网格创建网格办操作员账号"), field="role")


@transaction.atomic
@audited
def create_login(
    staff: Staff, *, username: str, role: str, grid: Grid, by: User | None
) -> tuple[User, str]:
    """A log-in for a person of the grid, with a role over one of their grids and a first
    password (returned once, to be shown once) that must be changed at the first log-in."""
    require(by, "people.manage_staff", staff)
    username = username.strip()
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise DomainError(_("用户名只能包含字母、数字和 @/./+/-/_"), field="username") from None
    if not username or len(username) > 150:
        raise DomainError(_("用户名须为 1–150 个字符"), field="username")
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise DomainError(
            _("用户名 %(username)s 已存在") % {"username": username}, field="username"
        )
    if not staff.is_active:
        raise DomainError(_("%(name)s 已离岗") % {"name": staff.name}, field="staff")
    if staff.user_id is not None:
        raise DomainError(_("%(name)s 已有登录账号") % {"name": staff.name}, field="staff")
    _check_login_grid(staff, role=role, grid=grid, by=by)
    password = one_time_password()
    user: User = user_model.objects.create_user(username=username, password=password)
    staff.user = user
    staff.save(update_fields=["user"])
    check_grant(user=user, role=role, grid=grid, region=None, department=None)
    create_grant(user=user, role=role, grid=grid, by=by)
    _mark_change_due(user, reason=PasswordChangeDue.Reason.FIRST, by=by)
    return user, password


@transaction.atomic
@audited
def reset_password(user: User, *, by: User | None) -> str:
    """A new one-time password for someone who forgot theirs; returned once, to be shown once.
    Their open sessions end (the password hash changes) and they must choose their own next."""
    require(by, "people.reset_password", user)
    if not user.is_active:
        raise DomainError(_("该账号已停用"))
    password = one_time_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    _mark_change_due(user, reason=PasswordChangeDue.Reason.RESET, by=by)
    return password


@transaction.atomic
@audited
def change_password(user: User, *, old: str, new: str, repeat: str, by: User) -> User:
    """Everyone changes their own password, knowing the current one."""
    if by.pk != user.pk:
        raise DomainError(_("只能修改自己的密码"))
    if not user.check_password(old):
        raise DomainError(_("当前密码不正确"), field="old_password")
    if new != repeat:
        raise DomainError(_("两次输入的新密码不一致"), field="new_password2")
    if new == old:
        raise DomainError(_("新密码不能与当前密码相同"), field="new_password1")
    try:
        validate_password(new, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="new_password1") from None
    user.set_password(new)
    user.save(update_fields=["password"])
    PasswordChangeDue.objects.filter(user=user).delete()
    return user
