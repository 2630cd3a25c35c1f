"""The staff roster (花名册): one row per person and post. Import creates or updates the person
(natural key: log-in name, else the phone's blind index) and their post through `people`'s
services, so every rule and permission of appointing holds; a row with 离任日期 ends the post.
All or nothing: every row runs in the file's transaction and a bad row rolls all of it back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.core.masking import mask_phone, national_phone
from gridgov.grids.models import Grid
from gridgov.people import services as people
from gridgov.people.models import Post, PostKind, Staff
from gridgov.registry.ledgers.base import (
    NO_PROGRESS,
    LedgerKind,
    LedgerRejectedError,
    LedgerResult,
    Progress,
    Records,
    Row,
    labels,
    scoped,
    visible_grids,
)
from gridgov.registry.ledgers.places import department_cell, departments_lookup

if TYPE_CHECKING:
    from gridgov.registry.ledgers.base import AnyUser

STAFF_COLUMNS = [
    "姓名",
    "性别",
    "联系电话",
    "登录账号",
    "所在单位",
    "职务",
    "岗位类型",
    "岗位名称",
    "所属网格",
    "任职日期",
    "离任日期",
]
GENDERS = labels(Staff.Gender.choices)
POST_KINDS = labels(PostKind.choices)
# A service's DomainError names a field; the report names the ledger's column.
FIELD_COLUMNS = {
    "name": "姓名",
    "gender": "性别",
    "phone": "联系电话",
    "user": "登录账号",
    "department": "所在单位",
    "kind": "岗位类型",
    "grid": "所属网格",
    "post": "岗位类型",
    "staff": "姓名",
    "started_on": "任职日期",
    "ended_on": "离任日期",
}


def _find_staff(username: str, phone: str) -> Staff | None:
    if username:
        return Staff.objects.filter(user__username=username).first()
    index = Staff._meta.get_field("phone_index").index_for(phone)  # type: ignore[union-attr]
    matches = list(Staff.objects.filter(phone_index=index)[:2]) if index else []
    return matches[0] if len(matches) == 1 else None


def _apply(row: Row, values: dict[str, Any], by: Any) -> str:
    """Create or update the person and their post; returns "created" or "updated"."""
    staff = _find_staff(values["username"], values["phone"])
    outcome = "updated" if staff is not None else "created"
    if staff is None:
        user = None
        if values["username"]:
            user = get_user_model().objects.filter(username=values["username"]).first()
            if user is None:
                row.bad("登录账号", _("登录账号不存在,请先创建账号"))
                return outcome
        staff = people.create_staff(
            name=values["name"],
            phone=values["phone"],
            gender=values["gender"],
            title=values["title"],
            department=values["department"],
            user=user,
            post=None
            if not values["kind"] or values["ended_on"]
            else people.PostSpec(
                kind=values["kind"],
                grid=values["grid"],
                department=values["department"] if not values["grid"] else None,
                title=values["post_title"],
                started_on=values["started_on"],
            ),
            by=by,
        )
        if not values["ended_on"]:
            return outcome
    else:
        people.update_staff(
            staff,
            by=by,
            name=values["name"],
            phone=values["phone"] or None,
            gender=values["gender"] or None,
            title=values["title"] or None,
            department=values["department"],
        )
    if not values["kind"]:
        return outcome
    post = Post.objects.filter(
        staff=staff,
        kind=values["kind"],
        grid=values["grid"],
        ended_on__isnull=True,
        **({} if values["grid"] else {"department": values["department"]}),
    ).first()
    if post is None:
        post = people.assign_post(
            staff=staff,
            kind=values["kind"],
            grid=values["grid"],
            department=None if values["grid"] else values["department"],
            title=values["post_title"],
            started_on=values["started_on"],
            by=by,
        )
    elif values["post_title"] and values["post_title"] != post.title:
        people.update_post(post, by=by, title=values["post_title"])
    if values["ended_on"]:
        people.end_post(post, on=values["ended_on"], by=by)
    return outcome


def import_staff(
    records: Records, *, by: AnyUser, dry_run: bool, progress: Progress = NO_PROGRESS
) -> LedgerResult:
    result = LedgerResult(kind="staff", rows=len(records), dry_run=dry_run)
    grids = visible_grids(by)
    departments = departments_lookup(by)
    parsed: list[tuple[Row, dict[str, Any]]] = []
    for line, rec in progress.rows(records):
        row = Row(line, rec, result.errors)
        values = {
            "name": row.text("姓名", 50, required=True),
            "gender": row.choice("性别", GENDERS),
            "phone": row.text("联系电话", 20),
            "username": row.text("登录账号", 150),
            "department": department_cell(row, "所在单位", departments),
            "title": row.text("职务", 60),
            "kind": row.choice("岗位类型", POST_KINDS),
            "post_title": row.text("岗位名称", 60),
            "grid": row.grid("所属网格", grids, required=False),
            "started_on": row.date("任职日期"),
            "ended_on": row.date("离任日期"),
        }
        if not values["username"] and not values["phone"]:
            row.bad("联系电话", _("须填写登录账号或联系电话,用于识别同一人"))
        parsed.append((row, values))
    if result.errors:
        raise LedgerRejectedError(result)
    progress.stage("writing")
    # The services run row by row inside one transaction; a dry run rolls it back, so it
    # reports exactly what a real run would.
    with transaction.atomic():
        for row, values in parsed:
            try:
                with transaction.atomic():
                    outcome = _apply(row, values, by)
            except DomainError as exc:
                row.bad(FIELD_COLUMNS.get(exc.field or "", "姓名"), exc.message)
                continue
            except PermissionDenied:
                row.bad("所属网格", _("您无权管理该网格或部门的人员"))
                continue
            if outcome == "created":
                result.created += 1
            else:
                result.updated += 1
        if result.errors:
            transaction.set_rollback(True)
            raise LedgerRejectedError(result)
        if dry_run:
            transaction.set_rollback(True)
    return result


def _phone(phone: str, clear: bool) -> str:
    return national_phone(phone) if clear else mask_phone(phone)


def export_staff(*, by: AnyUser, grid: Grid | None, clear: bool) -> list[list[Any]]:
    posts = scoped(
        Post.objects.current().select_related("staff__user", "staff__department", "grid"),
        by,
        grid,
    )
    rows = []
    for post in posts.order_by("grid__code", "kind", "staff__name").iterator(chunk_size=2000):
        staff = post.staff
        rows.append(_staff_row(staff, clear) + _post_row(post))
    if grid is None:
        alone = scoped(Staff.objects.filter(is_active=True), by, None).exclude(
            posts__ended_on__isnull=True
        )
        for staff in alone.select_related("user", "department").order_by("name"):
            rows.append(_staff_row(staff, clear) + ["", "", "", "", ""])
    return rows


def _staff_row(staff: Staff, clear: bool) -> list[Any]:
    return [
        staff.name,
        staff.get_gender_display() if staff.gender else "",
        _phone(staff.phone, clear),
        staff.user.get_username() if staff.user else "",
        staff.department.code if staff.department else "",
        staff.title,
    ]


def _post_row(post: Post) -> list[Any]:
    return [
        post.get_kind_display(),
        post.title,
        post.grid.code if post.grid else "",
        post.started_on.isoformat() if post.started_on else "",
        "",
    ]


STAFF = LedgerKind("staff", STAFF_COLUMNS, ("姓名",), import_staff, export_staff)
