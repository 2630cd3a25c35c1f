"""Ledgers (台账) in Excel as a town keeps them (seed 003 "整理台账记录"): templates, all-or-nothing
imports with row-numbered errors, and exports masked unless the exporter may and says why.

Rows are numbered as Excel shows them (the header is row 1). Files: .xlsx and .xls (calamine),
CSV in UTF-8 with or without BOM, or GBK. Re-import updates by the natural key (ID number,
household number). Writes go in bulk inside one transaction so 100,000 persons stay fast.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.crypto import blind_index
from gridgov.core.errors import DomainError, ImportRejectedError
from gridgov.core.inputguard import read_csv_rows, reject_nul_rows
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
from gridgov.registry import permissions
from gridgov.registry.models import (
    AccessAction,
    CodeItem,
    Household,
    HouseholdKind,
    HouseholdTag,
    KeyHouseholdKind,
    Person,
    PopulationType,
)
from gridgov.registry.services import ID_PROBLEMS, log_access

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser | None

KINDS = ("persons", "households")

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
COLUMNS = {"persons": PERSON_COLUMNS, "households": HOUSEHOLD_COLUMNS}
REQUIRED = {"persons": PERSON_REQUIRED, "households": HOUSEHOLD_REQUIRED}
GENDER_NAMES = {"男": "1", "女": "2", "1": "1", "2": "2"}
GENDER_LABELS = {"1": "男", "2": "女"}
POPULATION_NAMES = {label: value for value, label in PopulationType.choices} | {
    value: value for value in PopulationType.values
}
KEY_KIND_NAMES = {str(label): value for value, label in KeyHouseholdKind.choices}
HOUSEHOLD_KIND_NAMES = {str(label): value for value, label in HouseholdKind.choices}


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("第%(row)d行 %(column)s:%(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class LedgerResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    households_created: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)


class LedgerRejectedError(DomainError):
    """A ledger with bad rows: nothing of it was written."""

    def __init__(self, result: LedgerResult) -> None:
        super().__init__(_("台账有 %(n)d 处错误,未写入任何数据") % {"n": len(result.errors)})
        self.result = result


class LedgerFileError(DomainError):
    """The file cannot be read at all (format, encoding, header)."""


# --- reading ---------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date()
    if value is None:
        return ""
    return value if isinstance(value, dt.date) else str(value).strip()


def read_rows(path: Path, content: bytes | None = None) -> tuple[list[str], list[list[Any]]]:
    """(header, data rows) of the first sheet or the CSV file."""
    suffix = path.suffix.lower()
    data = content if content is not None else path.read_bytes()
    rows: list[list[Any]]
    if suffix in {".xlsx", ".xls", ".xlsm", ".ods"}:
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            rows = [list(r) for r in book.get_sheet_by_index(0).to_python(skip_empty_area=False)]
        except Exception as exc:  # calamine raises its own error types for damaged files
            raise LedgerFileError(_("无法读取表格文件:%(e)s") % {"e": exc}) from None
    elif suffix in {".csv", ".txt"}:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise LedgerFileError(_("CSV 文件编码无法识别(支持 UTF-8 与 GBK)"))
        try:
            rows = read_csv_rows(text, source=path.name)
        except ImportRejectedError as exc:
            raise LedgerFileError(exc.report()) from None
    else:
        raise LedgerFileError(_("不支持的文件类型 %(s)s(支持 .xlsx .xls .csv)") % {"s": suffix})
    try:
        # Spreadsheet cells may hold a NUL too (_x0000_); no importer stores one (issue 9).
        reject_nul_rows(rows, source=path.name, header=rows[0] if rows else ())
    except ImportRejectedError as exc:
        raise LedgerFileError(exc.report()) from None
    if not rows:
        raise LedgerFileError(_("文件为空"))
    header = [str(h).strip() for h in rows[0]]
    body = [[_cell(v) for v in r] for r in rows[1:]]
    return header, body


def _records(kind: str, header: list[str], body: list[list[Any]]) -> list[tuple[int, dict]]:
    missing = [c for c in REQUIRED[kind] if c not in header]
    if missing:
        raise LedgerFileError(_("表头缺少列:%(c)s") % {"c": "、".join(missing)})
    index = {name: i for i, name in enumerate(header) if name in COLUMNS[kind]}
    records = []
    for offset, raw in enumerate(body):
        if not any(str(v).strip() for v in raw if v is not None):
            continue
        rec = {name: (raw[i] if i < len(raw) else "") for name, i in index.items()}
        records.append((offset + 2, rec))
    return records


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError(text)


class _Codes:
    def __init__(self) -> None:
        self.by_table: dict[str, dict[str, str]] = {}
        for table, code, name in CodeItem.objects.values_list("table", "code", "name"):
            names = self.by_table.setdefault(table, {})
            names[code] = code
            names[name] = code

    def get(self, table: str, value: str) -> str | None:
        return self.by_table.get(table, {}).get(value.strip())


def _grids(by: AnyUser) -> dict[str, Grid]:
    qs = Grid.objects.all() if by is None else Grid.objects.visible_to(by)  # type: ignore[attr-defined]
    return {g.code: g for g in qs.only("id", "code", "path", "region_id")}


# --- persons ---------------------------------------------------------------------------------


def import_persons(records: list[tuple[int, dict]], *, by: AnyUser, dry_run: bool) -> LedgerResult:
    result = LedgerResult(kind="persons", rows=len(records), dry_run=dry_run)
    errors = result.errors
    grids = _grids(by)
    codes = _Codes()
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

    for row, rec in records:
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
            index = blind_index(number)
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
                    if _date(given) != born:
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
    with transaction.atomic():
        Household.objects.bulk_create(new_households.values(), batch_size=2000)
        households.update({h.number: h.pk for h in new_households.values()})
        creates: list[Person] = []
        updates: list[Person] = []
        for values in parsed:
            person = Person(
                grid=values["grid"],
                household_id=households.get(values["household"]),
                name=values["name"],
                id_number=values["id_number"],
                id_number_index=values["index"],
                gender=values["gender"],
                birth_date=values["birth_date"],
                phone=values["phone"],
                population_type=values["population_type"],
                ethnicity=values["ethnicity"],
                relation_to_head=values["relation_to_head"],
                political_status=values["political_status"],
                marital_status=values["marital_status"],
                education=values["education"],
                registered_place=values["registered_place"],
                residence_address=values["residence_address"],
                occupation=values["occupation"],
                workplace=values["workplace"],
            )
            pk = existing.get(values["index"])
            if pk is None:
                creates.append(person)
            else:
                person.pk = pk
                person.updated_at = timezone.now()
                person.phone_index = Person.phone_index_for(values["phone"])  # type: ignore[assignment]
                updates.append(person)
        Person.objects.bulk_create(creates, batch_size=2000)
        if updates:
            Person.objects.bulk_update(
                updates,
                [
                    "grid",
                    "household",
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
                    "updated_at",
                ],
                batch_size=1000,
            )
        _set_heads([*creates, *updates])
    return result


def _set_heads(persons: Iterable[Person]) -> None:
    """The member whose relation is 户主 (02) becomes the head of their household."""
    heads = {p.household_id: p.pk for p in persons if p.household_id and p.relation_to_head == "02"}
    ids = list(heads)
    # Chunks: SQLite allows at most 32,766 parameters in one statement.
    for start in range(0, len(ids), 5000):
        changed = [Household(pk=pk, head_id=heads[pk]) for pk in ids[start : start + 5000]]
        Household.objects.bulk_update(changed, ["head"], batch_size=1000)


# --- households ------------------------------------------------------------------------------


def import_households(
    records: list[tuple[int, dict]], *, by: AnyUser, dry_run: bool
) -> LedgerResult:
    result = LedgerResult(kind="households", rows=len(records), dry_run=dry_run)
    errors = result.errors
    grids = _grids(by)
    existing = {h.number: h for h in Household.objects.all()}
    persons = dict(Person.objects.values_list("id_number_index", "pk"))
    staff_by_name: dict[str, list[int]] = {}
    for pk, name in Staff.objects.filter(is_active=True).values_list("pk", "name"):
        staff_by_name.setdefault(name, []).append(pk)
    seen: dict[str, int] = {}
    parsed: list[dict[str, Any]] = []
    for row, rec in records:
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
    with transaction.atomic():
        creates: list[Household] = []
        updates: list[Household] = []
        for v in parsed:
            household = existing.get(v["number"]) or Household(number=v["number"])
            household.grid = v["grid"]
            household.address = v["address"]
            household.kind = v["kind"]
            household.head_id = v["head_id"] or household.head_id
            household.contact_worker_id = v["worker_id"]
            (updates if household.pk else creates).append(household)
        Household.objects.bulk_create(creates, batch_size=2000)
        Household.objects.bulk_update(
            updates, ["grid", "address", "kind", "head", "contact_worker"], batch_size=1000
        )
        by_number = {h.number: h for h in [*creates, *updates]}
        open_tags = {}
        for tag in HouseholdTag.objects.filter(
            household__in=[h.pk for h in updates], until__isnull=True
        ):
            open_tags[(tag.household_id, tag.kind)] = tag
        wanted = {(by_number[v["number"]].pk, k) for v in parsed for k in v["kinds"]}
        closing = [t for key, t in open_tags.items() if key not in wanted]
        for tag in closing:
            tag.until = today
        HouseholdTag.objects.bulk_update(closing, ["until"])
        HouseholdTag.objects.bulk_create(
            [
                HouseholdTag(household_id=hid, kind=kind, since=today)
                for hid, kind in wanted
                if (hid, kind) not in open_tags
            ]
        )
    return result


IMPORTERS: dict[str, Callable[..., LedgerResult]] = {
    "persons": import_persons,
    "households": import_households,
}


def import_ledger(
    kind: str, path: Path, *, by: AnyUser, dry_run: bool = False, content: bytes | None = None
) -> LedgerResult:
    """All or nothing: raises LedgerRejectedError (with every bad row) and writes nothing."""
    if kind not in IMPORTERS:
        raise LedgerFileError(_("未知的台账类型 %(k)s") % {"k": kind})
    header, body = read_rows(path, content)
    return IMPORTERS[kind](_records(kind, header, body), by=by, dry_run=dry_run)


# --- templates and exports -------------------------------------------------------------------


def write_xlsx(target: Path | io.BytesIO, header: list[str], rows: Iterable[list[Any]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(target)


def write_template(kind: str, target: Path | io.BytesIO) -> None:
    if kind not in COLUMNS:
        raise LedgerFileError(_("未知的台账类型 %(k)s") % {"k": kind})
    write_xlsx(target, COLUMNS[kind], [])


def export_ledger(
    kind: str,
    target: Path | io.BytesIO,
    *,
    by: AnyUser,
    grid: Grid | None = None,
    clear_reason: str = "",
) -> int:
    """Write the ledger of `grid`'s subtree (everything visible when None). Values are masked
    unless `clear_reason` is given by a user who may export clear values; that is logged."""
    if kind not in COLUMNS:
        raise LedgerFileError(_("未知的台账类型 %(k)s") % {"k": kind})
    clear = bool(clear_reason.strip())
    if clear and by is not None and not permissions.can_export_clear(by):
        raise DomainError(_("您的角色不能导出明文"), field="reason")
    rows: list[list[Any]] = []
    if kind == "persons":
        qs: Any = Person.objects.current().select_related("grid", "household")
        if by is not None:
            qs = qs.visible_to(by)
        if grid is not None:
            qs = qs.within(grid)
        names = {
            t: {c: n for n, c in codes.items() if n != c} for t, codes in _Codes().by_table.items()
        }
        for p in qs.order_by("grid__code", "household__number", "pk").iterator(chunk_size=2000):
            rows.append(
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
            )
    else:
        hqs: Any = Household.objects.filter(closed_on__isnull=True).select_related(
            "grid", "head", "contact_worker"
        )
        if by is not None:
            hqs = hqs.visible_to(by)
        if grid is not None:
            hqs = hqs.within(grid)
        tags: dict[int, list[str]] = {}
        for hid, kind_value in HouseholdTag.objects.filter(
            household__in=hqs, until__isnull=True
        ).values_list("household_id", "kind"):
            tags.setdefault(hid, []).append(str(KeyHouseholdKind(kind_value).label))
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
    write_xlsx(target, COLUMNS[kind], rows)
    if clear:
        log_access(
            by=by,
            action=AccessAction.EXPORT,
            target=f"ledger:{kind}",
            object_id=grid.code if grid else "",
            rows=len(rows),
            reason=clear_reason.strip(),
        )
    return len(rows)
