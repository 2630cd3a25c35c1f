"""The residents' ledgers: persons (实有人口) and households (户).

Re-import updates by the natural key (ID number, household number); a persons ledger naming a
household number that does not exist yet creates the household in the person's grid. Writes go
in bulk inside one transaction so 100,000 persons stay fast (bench/bench_ledger.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.crypto import blind_index, blind_indexer
from gridgov.core.masking import (
    id_birth_date,
    id_gender,
    id_number_problem,
    mask_id_number,
    mask_phone,
    national_phone,
    normalise_id_number,
    normalise_phone,
)
from gridgov.grids.models import Grid
from gridgov.people.models import Staff
from gridgov.registry.ledgers.base import (
    NO_PROGRESS,
    ChunkedWrite,
    Codes,
    LedgerKind,
    LedgerRejectedError,
    LedgerResult,
    Progress,
    Records,
    RowError,
    fast_insert,
    fast_update,
    parse_date,
    scoped,
    update_objects,
    visible_grids,
)
from gridgov.registry.models import (
    Household,
    HouseholdKind,
    HouseholdTag,
    KeyHouseholdKind,
    Person,
    PopulationType,
)
from gridgov.registry.services import ID_PROBLEMS

if TYPE_CHECKING:
    from gridgov.registry.ledgers.base import AnyUser

PERSON_COLUMNS = [
    "姓名",
    "公民身份号码",
    "性别",
    "出生日期",
    "民族",
    "联系电话",
    "人口类型",
    "户籍地",
    "现住地址",
    "所属网格",
    "户编号",
    "与户主关系",
    "政治面貌",
    "婚姻状况",
    "学历",
    "职业",
    "服务处所",
]
PERSON_REQUIRED = ("姓名", "公民身份号码", "所属网格")
HOUSEHOLD_COLUMNS = [
    "户编号",
    "户主公民身份号码",
    "地址",
    "所属网格",
    "户别",
    "重点户类型",
    "联系网格员",
]
HOUSEHOLD_REQUIRED = ("户编号", "所属网格")
GENDER_NAMES = {"男": "1", "女": "2", "1": "1", "2": "2"}
GENDER_LABELS = {"1": "男", "2": "女"}
POPULATION_NAMES = {str(label): value for value, label in PopulationType.choices} | {
    value: value for value in PopulationType.values
}
KEY_KIND_NAMES = {str(label): value for value, label in KeyHouseholdKind.choices}
HOUSEHOLD_KIND_NAMES = {str(label): value for value, label in HouseholdKind.choices}
# --- persons ---------------------------------------------------------------------------------


def import_persons(
    records: Records, *, by: AnyUser, dry_run: bool, progress: Progress = NO_PROGRESS
) -> LedgerResult:
    result = LedgerResult(kind="persons", rows=len(records), dry_run=dry_run)
    index_of = blind_indexer()
    errors = result.errors
    grids = visible_grids(by)
    codes = Codes()
    existing = dict(Person.objects.values_list("id_number_index", "pk"))
    existing_grid = dict(
        Person.objects.filter(id_number_index__isnull=False).values_list(
            "id_number_index", "grid__code"
        )
    )
    households = dict(Household.objects.values_list("number", "pk"))
    seen: dict[str, int] = {}
    today = timezone.localdate()
    parsed: list[dict[str, Any]] = []

    def bad(row: int, column: str, message: str) -> None:
        errors.append(RowError(row, column, message))

    for row, rec in progress.rows(records):
        values: dict[str, Any] = {"row": row}
        name = str(rec.get("姓名", "")).strip()
        if not name:
            bad(row, "姓名", _("必填"))
        values["name"] = name[:50]
        number = normalise_id_number(str(rec.get("公民身份号码", "")))
        problem = id_number_problem(number, today=today) if number else "format"
        if problem:
            bad(row, "公民身份号码", _(ID_PROBLEMS[problem]))
        else:
            index = index_of(number)
            if index in seen:
                bad(row, "公民身份号码", _("与第%(r)d行重复") % {"r": seen[index]})
            seen[index] = row
            values.update(id_number=number, index=index)
            born = id_birth_date(number)
            values["birth_date"] = born
            values["gender"] = id_gender(number)
            given = rec.get("出生日期", "")
            if given not in ("", None):
                try:
                    if parse_date(given) != born:
                        bad(row, "出生日期", _("与公民身份号码不符"))
                except ValueError:
                    bad(row, "出生日期", _("日期格式应为 YYYY-MM-DD"))
            gender = str(rec.get("性别", "")).strip()
            if gender and GENDER_NAMES.get(gender) not in (None, values["gender"]):
                bad(row, "性别", _("与公民身份号码不符"))
            elif gender and gender not in GENDER_NAMES:
                bad(row, "性别", _("应为 男 或 女"))
        phone = str(rec.get("联系电话", "")).strip()
        values["phone"] = ""
        if phone:
            try:
                values["phone"] = normalise_phone(phone)
            except ValueError:
                bad(row, "联系电话", _("电话号码无效"))
        ptype = str(rec.get("人口类型", "")).strip() or PopulationType.REGISTERED
        if ptype not in POPULATION_NAMES:
            bad(row, "人口类型", _("应为 户籍人口、流动人口 或 境外人员"))
        values["population_type"] = POPULATION_NAMES.get(ptype, "")
        grid_code = str(rec.get("所属网格", "")).strip()
        grid = grids.get(grid_code)
        if grid is None:
            bad(row, "所属网格", _("网格 %(c)s 不存在或不在您的辖区") % {"c": grid_code})
        values["grid"] = grid
        for column, table, attr in (
            ("民族", "ethnicity", "ethnicity"),
            ("与户主关系", "relation", "relation_to_head"),
            ("政治面貌", "political", "political_status"),
            ("婚姻状况", "marital", "marital_status"),
            ("学历", "education", "education"),
        ):
            raw = str(rec.get(column, "")).strip()
            values[attr] = ""
            if raw:
                code = codes.get(table, raw)
                if code is None:
                    bad(row, column, _("代码表中没有该值:%(v)s") % {"v": raw})
                else:
                    values[attr] = code
        values["registered_place"] = str(rec.get("户籍地", "")).strip()[:100]
        values["residence_address"] = str(rec.get("现住地址", "")).strip()[:200]
        values["occupation"] = str(rec.get("职业", "")).strip()[:60]
        values["workplace"] = str(rec.get("服务处所", "")).strip()[:100]
        values["household"] = str(rec.get("户编号", "")).strip()[:32]
        if values.get("index") and values["index"] in existing and grid is not None:
            held = existing_grid.get(values["index"])
            if held and held != grid.code:
                # Duplicates across grids are reported, never created twice.
                bad(
                    row,
                    "公民身份号码",
                    _("该人员已在网格 %(g)s 登记,请先办理迁出或改为该网格") % {"g": held},
                )
        parsed.append(values)
    if errors:
        raise LedgerRejectedError(result)
    new_households: dict[str, Household] = {}
    for values in parsed:
        number = values["household"]
        if number and number not in households and number not in new_households:
            new_households[number] = Household(grid=values["grid"], number=number)
    result.households_created = len(new_households)
    result.updated = sum(1 for v in parsed if v["index"] in existing)
    result.created = len(parsed) - result.updated
    if dry_run:
        return result
    written = [*PERSON_FIELDS_FROM_LEDGER, "updated_at"]
    # Households first (persons point at them), then persons, then heads: each in chunks of
    # short transactions, undone together if a later chunk fails (base.ChunkedWrite).
    with ChunkedWrite(progress, len(parsed)) as write:
        for part in write.chunks(list(new_households.values())):
            with write.chunk() as undo:
                fast_insert(Household, [{"grid_id": h.grid_id, "number": h.number} for h in part])
                made = Household.objects.filter(number__in=[h.number for h in part])
                undo.created(Household, made.values_list("pk", flat=True))
        if new_households:
            households = dict(Household.objects.values_list("number", "pk"))
        for part in write.chunks(parsed):
            _write_persons(part, write, households=households, existing=existing, fields=written)
        numbers = sorted({v["household"] for v in parsed if v["relation_to_head"] == HEAD} - {""})
        for part in write.chunks(numbers):
            with write.chunk() as undo:
                heads = Household.objects.filter(number__in=part).values_list("pk", flat=True)
                undo.updating(Household, heads, ["head_id"])
                _set_heads(set(part))
    return result


def _write_persons(
    part: list[dict[str, Any]],
    write: ChunkedWrite,
    *,
    households: dict[str, int],
    existing: dict[str, int],
    fields: list[str],
) -> None:
    """One chunk of checked person rows: new ones inserted, known ones (by ID number) updated."""
    index_of = blind_indexer()
    creates: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for values in part:
        row = {
            "grid_id": values["grid"].pk,
            "household_id": households.get(values["household"]),
            "name": values["name"],
            "id_number": values["id_number"],
            "id_number_index": values["index"],
            "gender": values["gender"],
            "birth_date": values["birth_date"],
            "phone": values["phone"],
            # Already E.164: its blind index needs no second parse.
            "phone_index": index_of(values["phone"]) if values["phone"] else None,
            "population_type": values["population_type"],
            "ethnicity": values["ethnicity"],
            "relation_to_head": values["relation_to_head"],
            "political_status": values["political_status"],
            "marital_status": values["marital_status"],
            "education": values["education"],
            "registered_place": values["registered_place"],
            "residence_address": values["residence_address"],
            "occupation": values["occupation"],
            "workplace": values["workplace"],
        }
        pk = existing.get(values["index"])
        if pk is None:
            creates.append(row)
        else:
            updates.append({"id": pk, **row})
    with write.chunk(len(part)) as undo:
        undo.updating(Person, [u["id"] for u in updates], fields)
        fast_insert(Person, creates)
        made = Person.objects.filter(id_number_index__in=[c["id_number_index"] for c in creates])
        undo.created(Person, made.values_list("pk", flat=True))
        # updated_at is auto_now: fast_update stamps it.
        fast_update(Person, updates, fields)


HEAD = "02"  # GB/T 4761: 户主
# What a persons ledger sets on a person it finds by ID number (the rest is kept).
PERSON_FIELDS_FROM_LEDGER = [
    "grid_id",
    "household_id",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "phone",
    "phone_index",
    "population_type",
    "ethnicity",
    "relation_to_head",
    "political_status",
    "marital_status",
    "education",
    "registered_place",
    "residence_address",
    "occupation",
    "workplace",
]


def _set_heads(numbers: set[str]) -> None:
    """The current member whose relation is 户主 becomes the head of their household: one
    set-based UPDATE per chunk of households (SQLite allows 32,766 parameters a statement)."""
    head = (
        Person.objects.filter(
            household=OuterRef("pk"), relation_to_head=HEAD, closed_on__isnull=True
        )
        .order_by("-pk")
        .values("pk")[:1]
    )
    ordered = sorted(n for n in numbers if n)
    for start in range(0, len(ordered), 5000):
        Household.objects.filter(number__in=ordered[start : start + 5000]).update(
            head=Subquery(head)
        )


# --- households ------------------------------------------------------------------------------


def import_households(
    records: Records, *, by: AnyUser, dry_run: bool, progress: Progress = NO_PROGRESS
) -> LedgerResult:
    result = LedgerResult(kind="households", rows=len(records), dry_run=dry_run)
    errors = result.errors
    grids = visible_grids(by)
    existing = {h.number: h for h in Household.objects.all()}
    persons = dict(Person.objects.values_list("id_number_index", "pk"))
    staff_by_name: dict[str, list[int]] = {}
    for pk, name in Staff.objects.filter(is_active=True).values_list("pk", "name"):
        staff_by_name.setdefault(name, []).append(pk)
    seen: dict[str, int] = {}
    parsed: list[dict[str, Any]] = []
    for row, rec in progress.rows(records):
        number = str(rec.get("户编号", "")).strip()
        if not number:
            errors.append(RowError(row, "户编号", _("必填")))
        elif number in seen:
            errors.append(RowError(row, "户编号", _("与第%(r)d行重复") % {"r": seen[number]}))
        seen[number] = row
        grid = grids.get(str(rec.get("所属网格", "")).strip())
        if grid is None:
            errors.append(
                RowError(
                    row,
                    "所属网格",
                    _("网格 %(c)s 不存在或不在您的辖区") % {"c": rec.get("所属网格", "")},
                )
            )
        head_id = None
        head = normalise_id_number(str(rec.get("户主公民身份号码", "")))
        if head:
            problem = id_number_problem(head)
            if problem:
                errors.append(RowError(row, "户主公民身份号码", _(ID_PROBLEMS[problem])))
            else:
                head_id = persons.get(blind_index(head))
                if head_id is None:
                    errors.append(
                        RowError(row, "户主公民身份号码", _("户主未登记,请先导入人员台账"))
                    )
        kind_label = str(rec.get("户别", "")).strip() or str(HouseholdKind.FAMILY.label)
        if kind_label not in HOUSEHOLD_KIND_NAMES:
            errors.append(RowError(row, "户别", _("应为 家庭户 或 集体户")))
        kinds = set()
        for part in (
            str(rec.get("重点户类型", "")).replace(",", "、").replace(",", "、").split("、")
        ):
            part = part.strip()
            if not part:
                continue
            if part not in KEY_KIND_NAMES:
                errors.append(
                    RowError(row, "重点户类型", _("未知的重点户类型:%(v)s") % {"v": part})
                )
            else:
                kinds.add(KEY_KIND_NAMES[part])
        worker_id = None
        worker = str(rec.get("联系网格员", "")).strip()
        if worker:
            matches = staff_by_name.get(worker, [])
            if len(matches) != 1:
                errors.append(
                    RowError(
                        row,
                        "联系网格员",
                        _("找不到该网格员") if not matches else _("同名网格员不止一人"),
                    )
                )
            else:
                worker_id = matches[0]
        parsed.append(
            {
                "number": number,
                "grid": grid,
                "head_id": head_id,
                "address": str(rec.get("地址", "")).strip()[:200],
                "kind": HOUSEHOLD_KIND_NAMES.get(kind_label, ""),
                "kinds": kinds,
                "worker_id": worker_id,
            }
        )
    if errors:
        raise LedgerRejectedError(result)
    result.updated = sum(1 for v in parsed if v["number"] in existing)
    result.created = len(parsed) - result.updated
    if dry_run:
        return result
    today = timezone.localdate()
    with ChunkedWrite(progress, len(parsed)) as write:
        for rows in write.chunks(parsed):
            with write.chunk(len(rows)) as undo:
                _write_households(rows, existing, undo, today)
    return result


def _write_households(
    part: list[dict[str, Any]], existing: dict[str, Household], undo: Any, today: Any
) -> None:
    """One chunk of checked household rows, with their key-household tags (a tag no longer
    listed is closed today, a new one opened)."""
    creates: list[Household] = []
    updates: list[Household] = []
    for v in part:
        household = existing.get(v["number"]) or Household(number=v["number"])
        household.grid = v["grid"]
        household.address = v["address"]
        household.kind = v["kind"]
        household.head_id = v["head_id"] or household.head_id
        household.contact_worker_id = v["worker_id"]
        (updates if household.pk else creates).append(household)
    fields = ["grid", "address", "kind", "head", "contact_worker"]
    undo.updating(
        Household,
        [h.pk for h in updates],
        ["grid_id", "address", "kind", "head_id", "contact_worker_id"],
    )
    Household.objects.bulk_create(creates, batch_size=2000)
    undo.created(Household, [h.pk for h in creates])
    update_objects(Household, updates, fields)
    by_number = {h.number: h for h in [*creates, *updates]}
    open_tags = {}
    for tag in HouseholdTag.objects.filter(
        household__in=[h.pk for h in updates], until__isnull=True
    ):
        open_tags[(tag.household_id, tag.kind)] = tag
    wanted = {(by_number[v["number"]].pk, k) for v in part for k in v["kinds"]}
    closing = [t for key, t in open_tags.items() if key not in wanted]
    undo.updating(HouseholdTag, [t.pk for t in closing], ["until"])
    for tag in closing:
        tag.until = today
    HouseholdTag.objects.bulk_update(closing, ["until"])
    opened = HouseholdTag.objects.bulk_create(
        [
            HouseholdTag(household_id=hid, kind=kind, since=today)
            for hid, kind in wanted
            if (hid, kind) not in open_tags
        ]
    )
    # The created households' tags go with them on undo (deleted first: undo runs newest first).
    undo.created(HouseholdTag, [t.pk for t in opened])


def export_persons(*, by: AnyUser, grid: Grid | None, clear: bool) -> list[list[Any]]:
    qs = scoped(Person.objects.current().select_related("grid", "household"), by, grid)
    names = {t: {c: n for n, c in codes.items() if n != c} for t, codes in Codes().by_table.items()}
    return [
        [
            p.name,
            p.id_number if clear else mask_id_number(p.id_number),
            GENDER_LABELS.get(p.gender, ""),
            p.birth_date.isoformat() if p.birth_date and clear else "",
            names.get("ethnicity", {}).get(p.ethnicity, ""),
            national_phone(p.phone) if clear else mask_phone(p.phone),
            p.get_population_type_display(),
            p.registered_place,
            p.residence_address,
            p.grid.code,
            p.household.number if p.household else "",
            names.get("relation", {}).get(p.relation_to_head, ""),
            names.get("political", {}).get(p.political_status, ""),
            names.get("marital", {}).get(p.marital_status, ""),
            names.get("education", {}).get(p.education, ""),
            p.occupation,
            p.workplace,
        ]
        for p in qs.order_by("grid__code", "household__number", "pk").iterator(chunk_size=2000)
    ]


def export_households(*, by: AnyUser, grid: Grid | None, clear: bool) -> list[list[Any]]:
    hqs = scoped(
        Household.objects.filter(closed_on__isnull=True).select_related(
            "grid", "head", "contact_worker"
        ),
        by,
        grid,
    )
    tags: dict[int, list[str]] = {}
    for hid, kind_value in HouseholdTag.objects.filter(
        household__in=hqs, until__isnull=True
    ).values_list("household_id", "kind"):
        tags.setdefault(hid, []).append(str(KeyHouseholdKind(kind_value).label))
    rows = []
    for h in hqs.order_by("grid__code", "number").iterator(chunk_size=2000):
        head_id = h.head.id_number if h.head else ""
        rows.append(
            [
                h.number,
                head_id if clear else mask_id_number(head_id),
                h.address,
                h.grid.code,
                h.get_kind_display(),
                "、".join(sorted(tags.get(h.pk, []))),
                h.contact_worker.name if h.contact_worker else "",
            ]
        )
    return rows


PERSONS = LedgerKind("persons", PERSON_COLUMNS, PERSON_REQUIRED, import_persons, export_persons)
HOUSEHOLDS = LedgerKind(
    "households", HOUSEHOLD_COLUMNS, HOUSEHOLD_REQUIRED, import_households, export_households
)
