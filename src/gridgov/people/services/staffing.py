"""Departments, staff, posts and liaisons (定人、定岗、定责, seed 002)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role
from gridgov.core.plausible import check_plausible_date
from gridgov.grids.audit import audited
from gridgov.grids.models import Grid, Region
from gridgov.people.models import (
    DEPARTMENT_POST_KINDS,
    GRID_POST_KINDS,
    Department,
    DepartmentKind,
    DepartmentLevel,
    Liaison,
    LiaisonKind,
    Post,
    PostKind,
    Staff,
)
from gridgov.people.permissions import is_platform_admin, require
from gridgov.people.services.common import check_dates, normalise_phone, today
from gridgov.people.services.roles import create_grant, deactivate_grant

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEPARTMENT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


# --- departments ------------------------------------------------------------------------------


def _check_department_fields(*, name: str, kind: str, level: str) -> None:
    if not name.strip():
        raise DomainError(_("部门名称不能为空"), field="name")
    if kind not in DepartmentKind.values:
        raise DomainError(_("未知部门类别 %(kind)r") % {"kind": kind}, field="kind")
    if level not in DepartmentLevel.values:
        raise DomainError(_("未知部门层级 %(level)r") % {"level": level}, field="level")


@transaction.atomic
@audited
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
    code = code.strip()
    if not DEPARTMENT_CODE_RE.match(code):
        raise DomainError(
            _("部门编码 %(code)r 须为 1–32 位字母、数字、点、横线或下划线") % {"code": code},
            field="code",
        )
    _check_department_fields(name=name, kind=kind, level=level)
    department = Department(
        code=code,
        name=name.strip(),
        kind=kind,
        level=level,
        region=region,
        phone=normalise_phone(phone),
        duties=duties,
    )
    require(by, "people.manage_department", department)
    if Department.objects.filter(code=code).exists():
        raise DomainError(_("部门编码 %(code)s 已存在") % {"code": code}, field="code")
    department.save()
    return department


@transaction.atomic
@audited
def update_department(
    department: Department,
    *,
    by: User | None,
    name: str | None = None,
    kind: str | None = None,
    phone: str | None = None,
    duties: str | None = None,
    is_active: bool | None = None,
) -> Department:
    """Change a department's details; `None` leaves a field as it is."""
    require(by, "people.manage_department", department)
    _check_department_fields(
        name=department.name if name is None else name,
        kind=department.kind if kind is None else kind,
        level=department.level,
    )
    if name is not None:
        department.name = name.strip()
    if kind is not None:
        department.kind = kind
    if phone is not None:
        department.phone = normalise_phone(phone)
    if duties is not None:
        department.duties = duties
    if is_active is not None:
        department.is_active = is_active
    department.save()
    return department


# --- staff ------------------------------------------------------------------------------------


def _check_staff_fields(*, name: str, gender: str) -> None:
    if not name.strip():
        raise DomainError(_("姓名不能为空"), field="name")
    if gender and gender not in Staff.Gender.values:
        raise DomainError(_("性别须为 m 或 f"), field="gender")


@dataclass(frozen=True)
class PostSpec:
    """The first post of a person created in the same step (see `create_staff`)."""

    kind: str
    grid: Grid | None = None
    department: Department | None = None
    title: str = ""
    duties: str = ""
    is_public: bool = True
    started_on: dt.date | None = None


@transaction.atomic
@audited
def create_staff(
    *,
    name: str,
    phone: str = "",
    gender: str = "",
    title: str = "",
    department: Department | None = None,
    user: User | None = None,
    post: PostSpec | None = None,
    by: User | None = None,
) -> Staff:
    """A new person, placed at once in a department the actor manages and/or in a first post:
    a person with neither would be invisible to every operator but the admins."""
    _check_staff_fields(name=name, gender=gender)
    if department is not None:
        require(by, "people.manage_department", department)
    elif post is None:
        require(by, "people.manage_staff", None)
        if by is not None and not is_platform_admin(by):
            raise DomainError(
                _("请指定所在单位或首个岗位,否则新人员不在您的管辖范围内"), field="post"
            )
    if user is not None and Staff.objects.filter(user=user).exists():
        raise DomainError(_("该登录账号已属于另一名工作人员"), field="user")
    staff = Staff.objects.create(
        name=name.strip(),
        phone=normalise_phone(phone),
        gender=gender,
        title=title.strip(),
        department=department,
        user=user,
    )
    if post is not None:
        assign_post(
            staff=staff,
            kind=post.kind,
            grid=post.grid,
            department=post.department,
            title=post.title,
            duties=post.duties,
            is_public=post.is_public,
            started_on=post.started_on,
            by=by,
        )
    return staff


def check_staff_department(staff: Staff, department: Department | None) -> None:
    """A person cannot leave the department whose posts they still hold (or stand for as an
    embedded officer)."""
    if staff.pk is None or (department is not None and department.pk == staff.department_id):
        return
    if staff.posts.filter(
        ended_on__isnull=True, kind__in=[*DEPARTMENT_POST_KINDS, PostKind.EMBEDDED_OFFICER]
    ).exists():
        raise DomainError(
            _("该人员仍在原部门岗位或下沉岗位上,请先免去这些岗位"), field="department"
        )


@transaction.atomic
@audited
def update_staff(
    staff: Staff,
    *,
    by: User | None,
    name: str | None = None,
    phone: str | None = None,
    gender: str | None = None,
    title: str | None = None,
    department: Department | None = None,
    clear_department: bool = False,
) -> Staff:
    """Change a person's details; `None` leaves a field as it is."""
    require(by, "people.manage_staff", staff)
    _check_staff_fields(
        name=staff.name if name is None else name,
        gender=staff.gender if gender is None else gender,
    )
    if department is not None:
        require(by, "people.manage_department", department)
    if department is not None or clear_department:
        check_staff_department(staff, department)
        staff.department = department
    if name is not None:
        staff.name = name.strip()
    if phone is not None:
        staff.phone = normalise_phone(phone)
    if gender is not None:
        staff.gender = gender
    if title is not None:
        staff.title = title.strip()
    staff.save()
    return staff


@transaction.atomic
@audited
def deactivate_staff(staff: Staff, *, on: dt.date | None = None, by: User | None) -> Staff:
    """A person leaves: their posts and liaisons end, and their log-in loses every role."""
    require(by, "people.manage_staff", staff)
    if not staff.is_active:
        raise DomainError(_("该人员已离岗"))
    on = on or today()
    open_rows: list[Post | Liaison] = [
        *staff.posts.filter(ended_on__isnull=True),
        *staff.liaisons.filter(ended_on__isnull=True),
    ]
    for row in open_rows:
        check_dates(row.started_on, on)
        row.ended_on = on
        row.save(update_fields=["ended_on"])
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    if staff.user is not None:
        for grant in staff.user.jurisdictions.filter(active=True):  # type: ignore[attr-defined]
            deactivate_grant(grant)
    return staff


# --- posts ------------------------------------------------------------------------------------


def check_post(
    *,
    staff: Staff,
    kind: str,
    grid: Grid | None,
    department: Department | None,
) -> Department | None:
    """The rules a post must satisfy (定岗), as a pure check shared by `assign_post` and bulk
    builders. Returns the department the post belongs to (an embedded officer's own)."""
    if kind not in PostKind.values:
        raise DomainError(_("未知岗位类型 %(kind)r") % {"kind": kind}, field="kind")
    if not staff.is_active:
        raise DomainError(_("%(name)s 已离岗,不能任职") % {"name": staff.name}, field="staff")
    if kind in GRID_POST_KINDS:
        if grid is None:
            raise DomainError(_("该岗位须绑定网格"), field="grid")
        if department is not None:
            raise DomainError(
                _("网格岗位不属于部门;部门人员下沉请用“下沉人员”岗位"), field="department"
            )
    elif kind == PostKind.EMBEDDED_OFFICER:
        # seed 002: 下沉人员 are a department's staff assigned down into a grid.
        if grid is None:
            raise DomainError(_("下沉人员须指定下沉的网格"), field="grid")
        if staff.department_id is None:
            raise DomainError(_("下沉人员须是某个部门的工作人员"), field="staff")
        if department is not None and department.pk != staff.department_id:
            raise DomainError(_("下沉人员只能代表其所在部门"), field="department")
        department = staff.department
    else:
        if department is None:
            raise DomainError(_("部门岗位须指定部门"), field="department")
        if grid is not None:
            raise DomainError(_("部门岗位不绑定网格"), field="grid")
        if staff.department_id != department.pk:
            raise DomainError(
                _("%(name)s 不是 %(department)s 的工作人员")
                % {"name": staff.name, "department": department.name},
                field="department",
            )
    if grid is not None and not grid.is_active:
        raise DomainError(_("网格 %(code)s 已停用") % {"code": grid.code}, field="grid")
    if department is not None and not department.is_active:
        raise DomainError(_("部门 %(name)s 已停用") % {"name": department.name}, field="department")
    return department


def check_post_is_free(
    *, staff: Staff, kind: str, grid: Grid | None, department: Department | None
) -> None:
    current = Post.objects.filter(ended_on__isnull=True)
    if grid is not None:
        if current.filter(staff=staff, kind=kind, grid=grid).exists():
            raise DomainError(
                _("%(name)s 已在网格 %(grid)s 担任此岗位")
                % {"name": staff.name, "grid": grid.name},
                field="kind",
            )
        if kind == PostKind.GRID_LEADER:
            holder = (
                current.filter(grid=grid, kind=PostKind.GRID_LEADER).select_related("staff").first()
            )
            if holder is not None:
                raise DomainError(
                    _("网格 %(grid)s 已有网格长 %(name)s,请先免去其职务")
                    % {"grid": grid.name, "name": holder.staff.name},
                    field="kind",
                )
    elif current.filter(staff=staff, kind=kind, department=department, grid__isnull=True).exists():
        raise DomainError(_("%(name)s 已在该部门担任此岗位") % {"name": staff.name}, field="kind")


@transaction.atomic
@audited
def assign_post(
    *,
    staff: Staff,
    kind: str,
    grid: Grid | None = None,
    department: Department | None = None,
    title: str = "",
    duties: str = "",
    is_public: bool = True,
    started_on: dt.date | None = None,
    by: User | None = None,
) -> Post:
    """Bind a person to a post in a grid or a department (定岗)."""
    check_plausible_date(started_on, field="started_on")
    department = check_post(staff=staff, kind=kind, grid=grid, department=department)
    post = Post(
        staff=staff,
        kind=kind,
        grid=grid,
        department=department,
        title=title.strip(),
        duties=duties,
        is_public=is_public,
        started_on=started_on or today(),
    )
    require(by, "people.manage_post", post)
    check_post_is_free(staff=staff, kind=kind, grid=grid, department=department)
    try:
        with transaction.atomic():
            post.save()
    except IntegrityError:
        # A concurrent appointment won the race for the same post (the partial unique index).
        raise DomainError(_("该岗位刚被另一操作占用,请刷新后重试")) from None
    return post


@transaction.atomic
@audited
def update_post(
    post: Post,
    *,
    by: User | None,
    title: str | None = None,
    duties: str | None = None,
    is_public: bool | None = None,
) -> Post:
    """Change a post's local title, duties or public flag; the person and place stay."""
    require(by, "people.manage_post", post)
    if title is not None:
        post.title = title.strip()
    if duties is not None:
        post.duties = duties
    if is_public is not None:
        post.is_public = is_public
    post.save(update_fields=["title", "duties", "is_public"])
    return post


@transaction.atomic
@audited
def end_post(post: Post, *, on: dt.date | None = None, by: User | None) -> Post:
    """Relieve a person of a post (离任) from a date; the row stays for the record."""
    require(by, "people.manage_post", post)
    if post.ended_on is not None:
        raise DomainError(_("该岗位已离任"))
    on = on or today()
    check_dates(post.started_on, on)
    post.ended_on = on
    post.save(update_fields=["ended_on"])
    return post


@transaction.atomic
@audited
def move_post(post: Post, *, to_grid: Grid, on: dt.date | None = None, by: User | None) -> Post:
    """Move a person's grid post to another grid (调整网格): the old post ends, a new one starts
    the same day, and a worker's or operator's log-in scope follows them."""
    if post.grid_id is None:
        raise DomainError(_("只有网格岗位可以调整网格"), field="grid")
    if post.ended_on is not None:
        raise DomainError(_("该岗位已离任"))
    if to_grid.pk == post.grid_id:
        raise DomainError(_("目标网格与原网格相同"), field="grid")
    old_grid = post.grid
    assert old_grid is not None  # noqa: S101 (checked above; for the type checker)
    require(by, "people.manage_post", post)
    require(by, "people.manage_grid_people", to_grid)
    on = on or today()
    end_post(post, on=on, by=None)
    new_post = assign_post(
        staff=post.staff,
        kind=post.kind,
        grid=to_grid,
        title=post.title,
        is_public=post.is_public,
        started_on=on,
        by=None,
    )
    user = post.staff.user
    if user is not None:
        for grant in user.jurisdictions.filter(  # type: ignore[attr-defined]
            active=True, grid=old_grid, role__in=[Role.WORKER, Role.OFFICE]
        ):
            deactivate_grant(grant)
            create_grant(user=user, role=grant.role, grid=to_grid, by=by)
    return new_post


# --- liaisons ---------------------------------------------------------------------------------


def check_liaison(*, staff: Staff, kind: str, grid: Grid | None, region: Region | None) -> None:
    if kind not in LiaisonKind.values:
        raise DomainError(_("未知分包类型 %(kind)r") % {"kind": kind}, field="kind")
    if (grid is None) == (region is None):
        raise DomainError(_("分包联系须指定网格或区划之一"), field="grid")
    if not staff.is_active:
        raise DomainError(_("%(name)s 已离岗") % {"name": staff.name}, field="staff")
    if grid is not None and not grid.is_active:
        raise DomainError(_("网格 %(code)s 已停用") % {"code": grid.code}, field="grid")
    current = Liaison.objects.filter(staff=staff, ended_on__isnull=True)
    if (grid is not None and current.filter(grid=grid).exists()) or (
        region is not None and current.filter(region=region, grid__isnull=True).exists()
    ):
        raise DomainError(_("%(name)s 已分包该单位") % {"name": staff.name}, field="staff")


@transaction.atomic
@audited
def add_liaison(
    *,
    staff: Staff,
    kind: str,
    grid: Grid | None = None,
    region: Region | None = None,
    note: str = "",
    is_public: bool = True,
    started_on: dt.date | None = None,
    by: User | None = None,
) -> Liaison:
    """Make a leader or officer answerable for a lower unit (分包, seed 002: 五级联动)."""
    check_plausible_date(started_on, field="started_on")
    check_liaison(staff=staff, kind=kind, grid=grid, region=region)
    liaison = Liaison(
        staff=staff,
        kind=kind,
        grid=grid,
        region=region,
        note=note.strip(),
        is_public=is_public,
        started_on=started_on or today(),
    )
    require(by, "people.manage_liaison", liaison)
    liaison.save()
    return liaison


@transaction.atomic
@audited
def end_liaison(liaison: Liaison, *, on: dt.date | None = None, by: User | None) -> Liaison:
    require(by, "people.manage_liaison", liaison)
    if liaison.ended_on is not None:
        raise DomainError(_("该分包联系已结束"))
    on = on or today()
    check_dates(liaison.started_on, on)
    liaison.ended_on = on
    liaison.save(update_fields=["ended_on"])
    return liaison
