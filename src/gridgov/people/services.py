"""Writes to departments, staff, posts, liaisons and role grants (定人、定岗、定责, seed 002)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import phonenumbers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, forget_scope
from gridgov.grids.models import Grid, Region
from gridgov.people.models import (
    Department,
    Jurisdiction,
    Liaison,
    Post,
    PostKind,
    Staff,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """E.164 for mobiles and landlines of China by default; '' stays ''."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise DomainError(f"电话号码 {raw!r} 无法识别", field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError(f"电话号码 {raw!r} 无效", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A phone as people in China write it (138 0000 0000, 0371-1234 5678)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "CN")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


@transaction.atomic
def create_department(
    *,
    code: str,
    name: str,
    kind: str,
    level: str,
    region: Region,
    phone: str = "",
    duties: str = "",
    by: User | None = None,
) -> Department:
    return Department.objects.create(
        code=code,
        name=name,
        kind=kind,
        level=level,
        region=region,
        phone=normalise_phone(phone),
        duties=duties,
    )


@transaction.atomic
def create_staff(
    *,
    name: str,
    phone: str = "",
    gender: str = "",
    title: str = "",
    department: Department | None = None,
    user: User | None = None,
    by: User | None = None,
) -> Staff:
    return Staff.objects.create(
        name=name,
        phone=normalise_phone(phone),
        gender=gender,
        title=title,
        department=department,
        user=user,
    )


@transaction.atomic
def assign_post(
    *,
    staff: Staff,
    kind: str,
    grid: Grid | None = None,
    department: Department | None = None,
    title: str = "",
    duties: str = "",
    started_on: dt.date | None = None,
    by: User | None = None,
) -> Post:
    if grid is None and department is None:
        raise DomainError("岗位须绑定网格或部门")
    if kind not in PostKind.values:
        raise DomainError(f"未知岗位类型 {kind!r}", field="kind")
    return Post.objects.create(
        staff=staff,
        kind=kind,
        grid=grid,
        department=department,
        title=title,
        duties=duties,
        started_on=started_on,
    )


@transaction.atomic
def end_post(*, post: Post, on: dt.date, by: User | None = None) -> Post:
    if post.ended_on is not None:
        raise DomainError("该岗位已离任")
    post.ended_on = on
    post.save(update_fields=["ended_on"])
    return post


@transaction.atomic
def add_liaison(
    *,
    staff: Staff,
    kind: str,
    grid: Grid | None = None,
    region: Region | None = None,
    note: str = "",
    by: User | None = None,
) -> Liaison:
    if grid is None and region is None:
        raise DomainError("分包联系须指定网格或区划")
    return Liaison.objects.create(staff=staff, kind=kind, grid=grid, region=region, note=note)


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str,
    staff: Staff | None = None,
    is_staff: bool = False,
    by: User | None = None,
) -> User:
    User = get_user_model()  # noqa: N806
    if User.objects.filter(username=username).exists():
        raise DomainError(f"用户名 {username} 已存在", field="username")
    user = User.objects.create_user(username=username, password=password, is_staff=is_staff)
    if staff is not None:
        staff.user = user
        staff.save(update_fields=["user"])
    return user  # type: ignore[no-any-return]


@transaction.atomic
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
    if role not in Role.values:
        raise DomainError(f"未知角色 {role!r}", field="role")
    if role != Role.ADMIN and grid is None and region is None and department is None:
        raise DomainError("授权须指定网格、区划或部门范围")
    if role == Role.HANDLER and department is None:
        raise DomainError("部门处置人员须指定部门", field="department")
    grant = Jurisdiction.objects.create(
        user=user,
        role=role,
        grid=grid,
        region=region,
        department=department,
        granted_by=by,
    )
    group, _created = Group.objects.get_or_create(name=role)
    user.groups.add(group)  # type: ignore[attr-defined]
    forget_scope(user)
    return grant


@transaction.atomic
def revoke_role(*, grant: Jurisdiction, by: User | None = None) -> None:
    grant.active = False
    grant.save(update_fields=["active"])
    user = grant.user
    if not user.jurisdictions.filter(role=grant.role, active=True).exists():  # type: ignore[attr-defined]
        user.groups.remove(*Group.objects.filter(name=grant.role))
    forget_scope(user)
