"""Every write of the registry that matters, with the actor passed explicitly (STYLE), and the one
path that reads a clear personal value (`reveal_value`, which writes an access-log row)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.core.errors import DomainError
from gridgov.core.hooks import FacilityRef
from gridgov.core.jurisdiction import scope_of
from gridgov.core.masking import (
    id_birth_date,
    id_gender,
    id_number_problem,
    normalise_id_number,
    normalise_phone,
)
from gridgov.grids.audit import audited
from gridgov.grids.models import Grid
from gridgov.registry import permissions
from gridgov.registry.models import (
    SPECIAL_GROUP_MODELS,
    AccessAction,
    AccessLog,
    Building,
    CloseReason,
    CodeItem,
    Household,
    HouseholdKind,
    HouseholdTag,
    KeyHouseholdKind,
    OnSiteEntry,
    Person,
    SpecialGroupRecord,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser | None

ID_PROBLEMS = {
    "format": gettext_noop("公民身份号码应为18位(末位可为X)"),
    "birth_date": gettext_noop("公民身份号码中的出生日期无效"),
    "checksum": gettext_noop("公民身份号码校验位错误"),
}

PERSON_CODE_FIELDS = {
    "ethnicity": "ethnicity",
    "marital_status": "marital",
    "political_status": "political",
    "education": "education",
    "religion": "religion",
    "relation_to_head": "relation",
    "nationality": "nationality",
}


def id_number_error(value: str) -> str | None:
    problem = id_number_problem(value)
    return _(ID_PROBLEMS[problem]) if problem else None


def code_value(table: str, value: str) -> str | None:
    """A code-table value given by code or by name → its code; None when unknown."""
    value = value.strip()
    if not value:
        return ""
    item = CodeItem.objects.filter(Q(code=value) | Q(name=value), table=table).first()
    return item.code if item else None


def log_access(
    *,
    by: AnyUser,
    action: str,
    target: str,
    object_id: Any = "",
    field: str = "",
    rows: int = 1,
    reason: str,
    grid: Grid | None = None,
) -> AccessLog:
    """One access-log row; `grid` is where the data read lives, so the discipline office of
    that territory reads the row (None: only the platform admin)."""
    return AccessLog.objects.create(
        grid=grid,
        user_id=by.pk if by is not None and by.is_authenticated else None,
        username=getattr(by, "username", "") or "system",
        at=timezone.now(),
        action=action,
        target=target,
        object_id=str(object_id),
        field=field,
        rows=rows,
        reason=reason,
    )


def territory_grid(user: AnyUser) -> Grid | None:
    """The top grid of a user's territory when it is one subtree (None for the admin, the
    system or a scope of several subtrees): where an export of "everything visible" lives."""
    if user is None or scope_of(user).is_admin:
        return None
    visible = Grid.objects.visible_to(user)  # type: ignore[attr-defined]
    top = visible.order_by("path").only("id", "path").first()
    if top is None or visible.exclude(path__startswith=top.path).exists():
        return None
    return top  # type: ignore[no-any-return]


@transaction.atomic
def reveal_value(obj: Any, field: str, *, by: AnyUser, reason: str) -> str:
    """The clear value of one encrypted field of one visible row, for a reason that is logged.

    The caller fetched `obj` through `visible_to(by)`; the role decides whether the field may be
    revealed at all (403 otherwise)."""
    reason = reason.strip()
    if not permissions.can_reveal(by, field):
        raise PermissionDenied(_("您的角色不能查看该字段明文"))
    if len(reason) < 2:
        raise DomainError(_("请填写查看事由"), field="reason")
    value = getattr(obj, field, None)
    if not isinstance(value, str):
        raise DomainError(_("该字段不能查看明文"), field="field")
    log_access(
        by=by,
        action=AccessAction.REVEAL,
        target=permissions.object_label(obj),
        object_id=obj.pk,
        field=field,
        reason=reason,
        grid=getattr(obj, "grid", None),
    )
    return value


def read_special_record(
    model: type[SpecialGroupRecord], pk: int, *, by: AnyUser, reason: str = ""
) -> SpecialGroupRecord:
    """A special-group record for its officer (综治专干) in scope; every read is logged."""
    from django.shortcuts import get_object_or_404

    record = get_object_or_404(model.objects.visible_to(by), pk=pk)  # type: ignore[attr-defined]
    log_access(
        by=by,
        action=AccessAction.SPECIAL_READ,
        target=model._meta.label_lower,
        object_id=pk,
        reason=reason or _("查阅"),
        grid=record.person.grid,
    )
    return record  # type: ignore[no-any-return]


@dataclass(frozen=True)
class VisitDuty:
    """What a grid worker may know of a special-group person: the name and that a visit is due."""

    person_id: int
    name: str


def visit_duties(worker_grid: Grid) -> list[VisitDuty]:
    ids: set[int] = set()
    for model in SPECIAL_GROUP_MODELS:
        ids.update(
            model.objects.filter(  # type: ignore[misc]
                ended_on__isnull=True, person__grid__path__startswith=worker_grid.path
            ).values_list("person_id", flat=True)
        )
    return [
        VisitDuty(person_id=p.pk, name=p.name)
        for p in Person.objects.filter(pk__in=ids).current().order_by("name")
    ]


def clean_person_fields(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Normalise person fields as services and ledgers both need: (clean values, field errors)."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in data.items():
        clean[key] = value.strip() if isinstance(value, str) else value
    if "name" in clean and not clean["name"]:
        errors["name"] = _("姓名必填")
    number = clean.get("id_number")
    if number:
        problem = id_number_error(number)
        if problem:
            errors["id_number"] = problem
        else:
            number = normalise_id_number(number)
            clean["id_number"] = number
            born = id_birth_date(number)
            if clean.get("birth_date") and clean["birth_date"] != born:
                errors["birth_date"] = _("出生日期与公民身份号码不符")
            clean["birth_date"] = born
            gender = id_gender(number)
            if clean.get("gender") and clean["gender"] not in {gender, "0", "9"}:
                errors["gender"] = _("性别与公民身份号码不符")
            clean["gender"] = gender
    phone = clean.get("phone")
    if phone:
        try:
            clean["phone"] = normalise_phone(phone)
        except ValueError:
            errors["phone"] = _("联系电话无效")
    for field, table in PERSON_CODE_FIELDS.items():
        if clean.get(field):
            code = code_value(table, clean[field])
            if code is None:
                errors[field] = _("代码表中没有该值:%(value)s") % {"value": clean[field]}
            else:
                clean[field] = code
    return clean, errors


def _raise_first(errors: dict[str, str]) -> None:
    if errors:
        field, message = next(iter(errors.items()))
        raise DomainError(message, field=field)


def _require_edit(by: AnyUser, grid: Grid) -> None:
    if not permissions.can_edit_registry(by):
        raise PermissionDenied(_("您的角色不能修改基础信息"))
    if not Grid.objects.visible_to(by).filter(pk=grid.pk).exists():  # type: ignore[attr-defined]
        raise DomainError(_("网格不在您的辖区"), field="grid")


@transaction.atomic
def create_person(*, by: AnyUser, grid: Grid, name: str, **fields: Any) -> Person:
    """Register a resident. A person is unique by ID number: one already registered (in any
    grid) is refused with the grid that holds them, never created twice."""
    _require_edit(by, grid)
    clean, errors = clean_person_fields({"name": name, **fields})
    _raise_first(errors)
    if clean.get("id_number"):
        existing = Person.objects.by_id_number(clean["id_number"]).select_related("grid").first()
        if existing is not None:
            raise DomainError(
                _("该公民身份号码已在网格 %(grid)s 登记") % {"grid": existing.grid.code},
                field="id_number",
            )
    try:
        with transaction.atomic():
            return Person.objects.create(grid=grid, **clean)
    except IntegrityError:
        raise DomainError(_("该公民身份号码已登记"), field="id_number") from None


@transaction.atomic
def update_person(person: Person, *, by: AnyUser, **changes: Any) -> Person:
    """Correct a resident's record (fields given are replaced)."""
    _require_edit(by, person.grid)
    clean, errors = clean_person_fields(changes)
    _raise_first(errors)
    if clean.get("id_number"):
        clash = Person.objects.by_id_number(clean["id_number"]).exclude(pk=person.pk).first()
        if clash is not None:
            raise DomainError(_("该公民身份号码已登记"), field="id_number")
    for key, value in clean.items():
        setattr(person, key, value)
    person.save()
    return person


@transaction.atomic
def close_person(
    person: Person, *, by: AnyUser, on: dt.date, reason: str = CloseReason.MOVED_OUT
) -> Person:
    """Close a record when the resident moves out or dies: it leaves the lists, stays in history."""
    _require_edit(by, person.grid)
    if reason not in CloseReason.values:
        raise DomainError(_("注销原因无效"), field="reason")
    if person.closed_on is not None:
        raise DomainError(_("该人员已注销"), field="closed_on")
    if person.birth_date and on < person.birth_date:
        raise DomainError(_("注销日期早于出生日期"), field="on")
    if on > timezone.localdate():
        raise DomainError(_("注销日期不能晚于今天"), field="on")
    person.closed_on = on
    person.closed_reason = reason
    person.save(update_fields=["closed_on", "closed_reason", "updated_at"])
    return person


@transaction.atomic
def create_building(
    *,
    by: AnyUser,
    grid: Grid,
    address: str,
    use: str,
    floors: int = 1,
    lon: float | None = None,
    lat: float | None = None,
) -> Building:
    """A new building gets the next number of its community (DB6101/T 3185-2024: 00001–99999,
    appended in time order)."""
    _require_edit(by, grid)
    community = grid.region
    last = (
        Building.objects.select_for_update()
        .filter(community=community)
        .aggregate(m=Max("number"))["m"]
    )
    number = int(last or 0) + 1
    if number > 99999:
        raise DomainError(_("该社区楼栋编号已用尽(00001–99999)"), field="number")
    return Building.objects.create(
        grid=grid,
        community=community,
        number=f"{number:05d}",
        address=address,
        use=use,
        floors=floors,
        lon=lon,
        lat=lat,
    )


@transaction.atomic
def set_household_tags(
    household: Household, *, by: AnyUser, kinds: set[str], on: dt.date | None = None
) -> Household:
    """Make the household's key-household kinds exactly `kinds` from `on`: new kinds open a tag,
    dropped kinds close theirs (history kept with since/until)."""
    _require_edit(by, household.grid)
    on = on or timezone.localdate()
    unknown = kinds - set(KeyHouseholdKind.values)
    if unknown:
        raise DomainError(_("重点户类型无效"), field="kinds")
    open_tags = {t.kind: t for t in household.tags.filter(until__isnull=True)}
    for kind, tag in open_tags.items():
        if kind not in kinds:
            tag.until = on
            tag.save(update_fields=["until"])
    for kind in kinds - set(open_tags):
        HouseholdTag.objects.create(household=household, kind=kind, since=on)
    return household


# --- the worker's phone: correct and add on site (issue 10) -----------------------------------


def next_household_number(grid: Grid) -> str:
    """The next household number of a unit grid: its code and a four-digit serial."""
    numbers = Household.objects.filter(number__startswith=grid.code).values_list(
        "number", flat=True
    )
    serials = [int(n[len(grid.code) :]) for n in numbers if n[len(grid.code) :].isdigit()]
    return f"{grid.code}{max(serials, default=0) + 1:04d}"


@transaction.atomic
@audited
def update_household(
    household: Household, *, by: AnyUser, address: str | None = None, kind: str | None = None
) -> Household:
    """Correct a household's address or kind (户别); `None` leaves a field as it is."""
    _require_edit(by, household.grid)
    if address is not None:
        household.address = address.strip()[:200]
    if kind is not None:
        if kind not in HouseholdKind.values:
            raise DomainError(_("户别无效"), field="kind")
        household.kind = kind
    household.save()
    return household


@transaction.atomic
@audited
def correct_person(person: Person, *, by: AnyUser, **changes: Any) -> Person:
    """A worker's correction of a resident on site (fields given are replaced)."""
    return update_person(person, by=by, **changes)


@dataclass(frozen=True)
class OnSiteResult:
    person: Person
    household: Household
    created: bool  # False: the same key was sent before and this is its first answer


@transaction.atomic
@audited
def add_on_site(
    *,
    by: AnyUser,
    key: str,
    grid: Grid,
    household_number: str = "",
    address: str = "",
    name: str,
    **fields: Any,
) -> OnSiteResult:
    """A person added on site from the phone: to a household of the grid by its number, or to
    a new household (the person becomes its head). The phone's key makes a resend return the
    first answer: each entry arrives exactly once."""
    key = key.strip()[:100]
    if key:
        earlier = OnSiteEntry.objects.filter(key=key).select_related("person", "household").first()
        if earlier is not None:
            if earlier.user_id != getattr(by, "pk", None):
                raise DomainError(_("提交标识冲突,请重新提交"), field="idempotency_key")
            if earlier.person is None or earlier.household is None:
                raise DomainError(_("该记录已被删除"), field="idempotency_key")
            return OnSiteResult(person=earlier.person, household=earlier.household, created=False)
    _require_edit(by, grid)
    household_number = household_number.strip()
    created_household = False
    if household_number:
        household = (
            Household.objects.visible_to(by)  # type: ignore[attr-defined]
            .filter(number=household_number, closed_on__isnull=True)
            .first()
        )
        if household is None:
            raise DomainError(
                _("本网格没有户编号为 %(number)s 的户") % {"number": household_number},
                field="household_number",
            )
        grid = household.grid
    else:
        if not address.strip():
            raise DomainError(_("新建户须填写地址"), field="address")
        household = Household.objects.create(
            grid=grid, number=next_household_number(grid), address=address.strip()[:200]
        )
        created_household = True
        fields["relation_to_head"] = fields.get("relation_to_head") or "02"
    person = create_person(by=by, grid=grid, name=name, **fields)
    person.household = household
    person.save(update_fields=["household"])
    if created_household:
        household.head = person
        household.save(update_fields=["head"])
    if key:
        try:
            with transaction.atomic():
                OnSiteEntry.objects.create(
                    key=key,
                    user_id=getattr(by, "pk", None),
                    person=person,
                    household=household,
                    created_household=created_household,
                )
        except IntegrityError:
            # The same key raced in from a second tab: keep the first, undo this one.
            raise DomainError(_("该记录正在提交,请稍后刷新")) from None
    return OnSiteResult(person=person, household=household, created=True)


def households_of_contact(user: AnyUser) -> Any:
    """Seed 003 联系户: the open households whose contact worker is this user's staff record."""
    return (
        Household.objects.visible_to(user)  # type: ignore[attr-defined]
        .filter(contact_worker__user_id=getattr(user, "pk", None), closed_on__isnull=True)
        .select_related("head", "grid")
        .order_by("number")
    )


def find_households(user: AnyUser, q: str) -> Any:
    """Households the user sees, by household number, address or head's name (contains), or
    by the exact ID number or phone of a member (blind index: no clear value is compared)."""
    q = q.strip()[:60]
    households = Household.objects.visible_to(user).filter(closed_on__isnull=True)  # type: ignore[attr-defined]
    if not q:
        return households.none()
    persons = Person.objects.visible_to(user).current()  # type: ignore[attr-defined]
    digits = q.replace("-", "").replace(" ", "").lstrip("+")
    if id_number_problem(q) is None:
        return households.filter(pk__in=persons.by_id_number(q).values("household_id"))
    if digits.isdigit() and 7 <= len(digits) <= 14 and Person.phone_index_for(q) is not None:
        by_phone = households.filter(pk__in=persons.by_phone(q).values("household_id"))
        if by_phone.exists():
            return by_phone
    return households.filter(
        Q(number__contains=q) | Q(address__contains=q) | Q(head__name__contains=q)
    )


def facility_ref(code: str) -> FacilityRef | None:
    """The registry's answer to `core.hooks.find_facility`: an open facility by its code."""
    from gridgov.registry.models import Facility

    facility = Facility.objects.filter(code=code, closed_on__isnull=True).first()
    if facility is None:
        return None
    return FacilityRef(
        code=facility.code,
        name=facility.name,
        lon=facility.lon,
        lat=facility.lat,
        owner_id=facility.owner_id,
    )


@dataclass(frozen=True)
class MapFeatures:
    """Buildings and facilities of a map view, each list cut at the limit (then `truncated`)."""

    buildings: list[Building]
    facilities: list[Any]
    truncated: bool


def map_features(
    user: AnyUser,
    *,
    west: float,
    south: float,
    east: float,
    north: float,
    limit: int = 2000,
    with_buildings: bool = True,
) -> MapFeatures:
    """The buildings and open facilities the user sees inside a box, for the registry map (and
    the facilities alone for the phone's report map, where a facility is picked)."""
    from gridgov.registry.models import Facility

    box = Q(lon__gte=west, lon__lte=east, lat__gte=south, lat__lte=north)
    buildings = (
        list(
            Building.objects.visible_to(user)  # type: ignore[attr-defined]
            .filter(box)
            .select_related("grid")
            .annotate(
                n_households=Count("households", filter=Q(households__closed_on__isnull=True))
            )
            .order_by("pk")[: limit + 1]
        )
        if with_buildings
        else []
    )
    facilities = list(
        Facility.objects.visible_to(user)  # type: ignore[attr-defined]
        .filter(box, closed_on__isnull=True)
        .select_related("grid", "owner", "maintainer")
        .order_by("pk")[: limit + 1]
    )
    truncated = len(buildings) > limit or len(facilities) > limit
    return MapFeatures(buildings[:limit], facilities[:limit], truncated)


@dataclass(frozen=True)
class Completion:
    """Households registered against the grid's declared households (seed 004 入户录入 90 %)."""

    grid: Grid
    declared: int
    registered: int

    @property
    def rate(self) -> float | None:
        return self.registered / self.declared if self.declared else None


def completion(grids: list[Grid]) -> list[Completion]:
    """For each grid: open households registered in its subtree against its declared count."""
    result = []
    for grid in grids:
        registered = Household.objects.filter(
            grid__path__startswith=grid.path, closed_on__isnull=True
        ).count()
        result.append(Completion(grid=grid, declared=grid.households, registered=registered))
    return result


def unit_grids_without_worker(root: Grid) -> list[Grid]:
    """一格一员 (seed 001): unit grids (leaves) of the subtree with no active worker post."""
    from gridgov.people.models import PostKind

    worker_kinds = [PostKind.WORKER_FULL, PostKind.WORKER_PART]
    leaves = Grid.objects.filter(path__startswith=root.path, is_active=True).annotate(
        n_children=Count("children")
    )
    return list(
        leaves.filter(n_children=0)
        .exclude(posts__kind__in=worker_kinds, posts__ended_on__isnull=True)
        .order_by("code")
    )


def households_without_contact(root: Grid) -> Any:
    """Seed 003: every household has a named contact worker; these have none."""
    return Household.objects.filter(
        grid__path__startswith=root.path, closed_on__isnull=True, contact_worker__isnull=True
    ).select_related("grid")
