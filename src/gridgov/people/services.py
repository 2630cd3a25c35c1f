"""Writes to departments, staff, posts, liaisons and role grants (定人、定岗、定责, seed 002), and
the read that assembles a grid's public board (公示牌).

Every write takes the acting user as `by`; `by=None` is the system itself (the demo builder and
data migrations), which is not permission-checked. Visibility is the caller's job (a scoped
lookup, 404 outside the scope); these functions check what the actor may do (403) and what
must hold (DomainError, 400).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, forget_scope
from gridgov.grids.models import Grid, Region
from gridgov.people.models import (
    DEPARTMENT_POST_KINDS,
    GRID_POST_KINDS,
    POST_ORDER,
    Department,
    DepartmentKind,
    DepartmentLevel,
    Jurisdiction,
    Liaison,
    LiaisonKind,
    Post,
    PostDuty,
    PostKind,
    Staff,
)
from gridgov.people.permissions import is_platform_admin, require

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEPARTMENT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


# --- phones -----------------------------------------------------------------------------------


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """E.164 for mobiles and landlines of China by default; '' stays ''."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise DomainError(_("电话号码 %(raw)r 无法识别") % {"raw": raw}, field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError(_("电话号码 %(raw)r 无效") % {"raw": raw}, field=field)
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


def _today() -> dt.date:
    return timezone.localdate()


def _check_dates(started_on: dt.date | None, ended_on: dt.date | None) -> None:
    if started_on and ended_on and ended_on < started_on:
        raise DomainError(_("结束日期不能早于开始日期"), field="ended_on")


# --- departments ------------------------------------------------------------------------------


def _check_department_fields(*, name: str, kind: str, level: str) -> None:
    if not name.strip():
        raise DomainError(_("部门名称不能为空"), field="name")
    if kind not in DepartmentKind.values:
        raise DomainError(_("未知部门类别 %(kind)r") % {"kind": kind}, field="kind")
    if level not in DepartmentLevel.values:
        raise DomainError(_("未知部门层级 %(level)r") % {"level": level}, field="level")


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
def deactivate_staff(staff: Staff, *, on: dt.date | None = None, by: User | None) -> Staff:
    """A person leaves: their posts and liaisons end, and their log-in loses every role."""
    require(by, "people.manage_staff", staff)
    if not staff.is_active:
        raise DomainError(_("该人员已离岗"))
    on = on or _today()
    open_rows: list[Post | Liaison] = [
        *staff.posts.filter(ended_on__isnull=True),
        *staff.liaisons.filter(ended_on__isnull=True),
    ]
    for row in open_rows:
        _check_dates(row.started_on, on)
        row.ended_on = on
        row.save(update_fields=["ended_on"])
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    if staff.user is not None:
        for grant in staff.user.jurisdictions.filter(active=True):  # type: ignore[attr-defined]
            _deactivate_grant(grant)
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
    department = check_post(staff=staff, kind=kind, grid=grid, department=department)
    post = Post(
        staff=staff,
        kind=kind,
        grid=grid,
        department=department,
        title=title.strip(),
        duties=duties,
        is_public=is_public,
        started_on=started_on or _today(),
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
def end_post(post: Post, *, on: dt.date | None = None, by: User | None) -> Post:
    """Relieve a person of a post (离任) from a date; the row stays for the record."""
    require(by, "people.manage_post", post)
    if post.ended_on is not None:
        raise DomainError(_("该岗位已离任"))
    on = on or _today()
    _check_dates(post.started_on, on)
    post.ended_on = on
    post.save(update_fields=["ended_on"])
    return post


@transaction.atomic
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
    on = on or _today()
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
            _deactivate_grant(grant)
            _create_grant(user=user, role=grant.role, grid=to_grid, by=by)
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
    check_liaison(staff=staff, kind=kind, grid=grid, region=region)
    liaison = Liaison(
        staff=staff,
        kind=kind,
        grid=grid,
        region=region,
        note=note.strip(),
        is_public=is_public,
        started_on=started_on or _today(),
    )
    require(by, "people.manage_liaison", liaison)
    liaison.save()
    return liaison


@transaction.atomic
def end_liaison(liaison: Liaison, *, on: dt.date | None = None, by: User | None) -> Liaison:
    require(by, "people.manage_liaison", liaison)
    if liaison.ended_on is not None:
        raise DomainError(_("该分包联系已结束"))
    on = on or _today()
    _check_dates(liaison.started_on, on)
    liaison.ended_on = on
    liaison.save(update_fields=["ended_on"])
    return liaison


# --- users and roles --------------------------------------------------------------------------


@transaction.atomic
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


def _create_grant(
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


def _deactivate_grant(grant: Jurisdiction) -> None:
    grant.active = False
    grant.save(update_fields=["active"])
    user = grant.user
    if not user.jurisdictions.filter(role=grant.role, active=True).exists():  # type: ignore[attr-defined]
        user.groups.remove(*Group.objects.filter(name=grant.role))
    forget_scope(user)


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
    require(by, "people.grant_roles")
    check_grant(user=user, role=role, grid=grid, region=region, department=department)
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return _create_grant(
        user=user, role=role, grid=grid, region=region, department=department, by=by
    )


@transaction.atomic
def revoke_role(*, grant: Jurisdiction, by: User | None = None) -> None:
    require(by, "people.grant_roles")
    if not grant.active:
        raise DomainError(_("该授权已撤销"))
    _deactivate_grant(grant)


# --- the public board (公示牌) ------------------------------------------------------------------


@dataclass(frozen=True)
class BoardGrid:
    """One grid of the board's chain, top first, with its leader as posted."""

    code: str
    name: str
    level: str
    leader_name: str = ""
    leader_phone: str = ""


@dataclass(frozen=True)
class BoardPerson:
    """A responsible person as the board shows them: name, post, phone, duties; never a log-in."""

    name: str
    kind: str
    post: str
    phone: str
    duties: str
    department: str = ""
    photo_url: str = ""


@dataclass(frozen=True)
class BoardLiaison:
    name: str
    title: str
    kind: str
    note: str
    phone: str


@dataclass(frozen=True)
class GridBoard:
    """Everything a grid's public board (公示牌) shows (seed 002: 责任人、职务、职责、联系方式要在
    网格内显著位置向社会公示; seed 003: 网格区域管理图, 户数、人数, 举报电话)."""

    code: str
    name: str
    level: str
    chain: list[BoardGrid]
    households: int
    population: int
    area_m2: float | None
    boundary: dict[str, Any] | None
    people: list[BoardPerson]
    embedded_officers: list[BoardPerson]
    liaisons: list[BoardLiaison]
    children: list[BoardGrid]
    hotline: str
    supervision_unit: str
    supervision_phone: str
    duties: list[str] = field(default_factory=list)


def _duties_lookup() -> dict[tuple[str, int | None], str]:
    return {(d.kind, d.level_id): d.duties for d in PostDuty.objects.all()}


def _post_duties(
    post: Post, level_id: int | None, standard: dict[tuple[str, int | None], str]
) -> str:
    return post.duties or standard.get((post.kind, level_id)) or standard.get((post.kind, None), "")


def _board_person(
    post: Post, level_id: int | None, standard: dict[tuple[str, int | None], str]
) -> BoardPerson:
    staff = post.staff
    return BoardPerson(
        name=staff.name,
        kind=post.kind,
        post=post.display_title,
        phone=display_phone(staff.phone),
        duties=_post_duties(post, level_id, standard),
        department=post.department.name if post.department is not None else "",
        photo_url=staff.photo.url if staff.photo else "",
    )


def _leaders_by_grid(grid_ids: list[int]) -> dict[int, Staff]:
    posts = (
        Post.objects.public()
        .filter(grid_id__in=grid_ids, kind=PostKind.GRID_LEADER)
        .select_related("staff")
    )
    return {p.grid_id: p.staff for p in posts if p.grid_id is not None}


def supervision_department(region: Region) -> Department | None:
    """The grid office (网格办) nearest above a region: its phone is the board's supervision phone."""
    paths = []
    parts = [p for p in region.path.split("/") if p]
    for i in range(len(parts), 0, -1):
        paths.append("/" + "/".join(parts[:i]) + "/")
    candidates = {
        d.region.path: d
        for d in Department.objects.active()
        .filter(kind=DepartmentKind.OFFICE, region__path__in=paths)
        .exclude(phone="")
        .select_related("region")
        .order_by("-code")
    }
    for path in paths:
        if path in candidates:
            return candidates[path]
    return None


def grid_board(grid: Grid) -> GridBoard:
    """Assemble the public board of one grid. Shows only what a board shows: current public posts
    of active staff with their phones and duties, public liaisons, the hotline and the
    supervision phone; never user names, non-public posts or personal data of residents."""
    standard = _duties_lookup()
    ancestors = list(
        Grid.objects.filter(code__in=grid.ancestor_codes()[:-1])
        .select_related("level")
        .order_by("level__depth")
    )
    children = list(grid.children.filter(is_active=True).select_related("level").order_by("code"))
    leaders = _leaders_by_grid([g.pk for g in ancestors] + [c.pk for c in children])

    def ref(g: Grid) -> BoardGrid:
        leader = leaders.get(g.pk)
        return BoardGrid(
            code=g.code,
            name=g.name,
            level=g.level.name,
            leader_name=leader.name if leader else "",
            leader_phone=display_phone(leader.phone) if leader else "",
        )

    posts = (
        Post.objects.public()
        .filter(grid=grid)
        .select_related("staff", "department")
        .order_by("staff__name", "pk")
    )
    order = {kind: i for i, kind in enumerate(POST_ORDER)}
    posts_sorted = sorted(posts, key=lambda p: (order.get(p.kind, 99), p.staff.name, p.pk))
    people = [
        _board_person(p, grid.level_id, standard)
        for p in posts_sorted
        if p.kind != PostKind.EMBEDDED_OFFICER
    ]
    officers = [
        _board_person(p, grid.level_id, standard)
        for p in posts_sorted
        if p.kind == PostKind.EMBEDDED_OFFICER
    ]
    liaisons = [
        BoardLiaison(
            name=li.staff.name,
            title=li.staff.title,
            kind=str(li.get_kind_display()),
            note=li.note,
            phone=display_phone(li.staff.phone),
        )
        for li in Liaison.objects.current()
        .filter(is_public=True, grid=grid)
        .select_related("staff")
        .order_by("pk")
    ]
    supervisor = supervision_department(grid.region)
    duties = []
    for person in people:
        if person.duties and person.duties not in duties:
            duties.append(person.duties)
    return GridBoard(
        code=grid.code,
        name=grid.name,
        level=grid.level.name,
        chain=[ref(g) for g in ancestors],
        households=grid.households,
        population=grid.population,
        area_m2=grid.area_m2,
        boundary=grid.boundary,
        people=people,
        embedded_officers=officers,
        liaisons=liaisons,
        children=[ref(c) for c in children],
        hotline=str(settings.GRIDGOV["HOTLINE"]),
        supervision_unit=supervisor.name if supervisor else "",
        supervision_phone=display_phone(supervisor.phone) if supervisor else "",
        duties=duties,
    )
