"""Reading and checking region CSV files (统计用区划代码) before anything is written.

Two layouts are accepted, told apart by the header:
- `code,name,parent_code` (also `代码,名称,上级代码`);
- the modood layout published with the NBS tables: `code,name[,provinceCode][,cityCode]
  [,areaCode][,streetCode]`, where the parent is the most specific parent column present.
Codes may be given short (2/4/6/9 digits, one length per level) or padded to 12 digits.

Only a province (2 significant digits) is a root. A lower row without a parent (an empty
`parent_code`, or a modood file without parent columns) hangs from the nearest ancestor its code
names that is in the run or already stored (a village 370402104226 from its town 370402104, else
its county 370402, …); the run says so in a warning. With no such ancestor the row is an
"unknown parent" problem, located by file and row. A file with a header and no rows is a problem
too ("no rows"): an empty export should not pass for a successful import.

Several files are read as one run, in any order (provinces, cities, areas, streets, villages),
because a parent is looked up among all rows of the run and the regions already stored. Every
row is checked first; if any is bad, the whole run is rejected with every problem located by
file and row, and nothing is written (the issue's "nothing half-imported").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from django.utils.translation import gettext as _

from gridgov.core.errors import ImportRejectedError, ImportRowError
from gridgov.core.inputguard import read_csv_rows
from gridgov.grids.models import SIGNIFICANT_DIGITS, Region, RegionLevel
from gridgov.grids.textfiles import decode_csv
from gridgov.grids.treepaths import replace_path_prefix

DIGITS_TO_LEVEL = {digits: int(level) for level, digits in SIGNIFICANT_DIGITS.items()}
LEVEL_BOUNDS = [0, *SIGNIFICANT_DIGITS.values()]  # segment k of a code is [bounds[k-1], bounds[k])

HEADER_ALIASES = {
    "code": "code",
    "代码": "code",
    "区划代码": "code",
    "name": "name",
    "名称": "name",
    "parent_code": "parent_code",
    "parentcode": "parent_code",
    "parent": "parent_code",
    "上级代码": "parent_code",
    "provincecode": "provinceCode",
    "citycode": "cityCode",
    "areacode": "areaCode",
    "streetcode": "streetCode",
}
# Most specific first: the parent of a modood row is the first of these present and non-empty.
MODOOD_PARENT_COLUMNS = ("streetCode", "areaCode", "cityCode", "provinceCode")
MAX_REPORTED_PROBLEMS = 200


@dataclass(frozen=True)
class RegionRow:
    source: str
    line: int
    short: str  # significant digits: "41", "4101", …, "410182100201"
    level: int
    name: str
    parent_short: str | None
    # The row repeats its parent one level down under the same code (see short_code): it is
    # not stored separately, and rows below it hang from the parent.
    alias: bool = False

    @property
    def code(self) -> str:
        return self.short.ljust(12, "0")

    def where(self) -> str:
        return _("第 %(line)d 行") % {"line": self.line}


@dataclass
class RegionImportPlan:
    """What a run would do; `apply_region_plan` writes it."""

    rows: list[RegionRow]
    existing: dict[str, tuple[int, str, int | None, str]]  # short -> (id, name, parent_id, path)
    notes: list[str] = field(default_factory=list)
    created: list[RegionRow] = field(default_factory=list)
    renamed: list[RegionRow] = field(default_factory=list)
    moved: list[RegionRow] = field(default_factory=list)
    unchanged: int = 0
    aliases: list[RegionRow] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)  # short -> final path of run rows
    warnings: list[str] = field(default_factory=list)


def short_code(raw: str) -> tuple[str, int]:
    """(significant digits, level) of a 2/4/6/9/12-digit code, or ValueError with a message.

    Trailing all-zero segments are not significant: NBS tables repeat a division one level down
    under the same code when that level does not exist there (东莞市 4419 is also "county"
    441900; 金门县 350527 is also "town" 350527000), and the 12-digit code of both is the same."""
    code = raw.strip()
    if not code.isdigit() or not code.isascii():
        raise ValueError(_("区划代码 %(code)r 须全为数字") % {"code": raw})
    level = 12 if len(code) == 12 else DIGITS_TO_LEVEL.get(len(code), 0)
    if not level:
        raise ValueError(
            _("区划代码 %(code)s 的位数为 %(n)d,须为 2、4、6、9 或 12 位")
            % {"code": code, "n": len(code)}
        )
    level = int(RegionLevel.VILLAGE) if level == 12 else level
    while level > 0 and not code[LEVEL_BOUNDS[level - 1] : LEVEL_BOUNDS[level]].strip("0"):
        level -= 1
    if not level:
        raise ValueError(_("区划代码 %(code)s 全为零") % {"code": code})
    return code[: LEVEL_BOUNDS[level]], level


def _read_file(
    source: str, data: bytes, problems: list[ImportRowError], notes: list[str]
) -> list[RegionRow]:
    decoded = decode_csv(data, source=source)
    if decoded.note:
        notes.append(decoded.note)
    records = read_csv_rows(decoded.text, source=source)
    if not records:
        problems.append(ImportRowError(_("文件为空"), source=source))
        return []
    header = records[0]
    columns = [HEADER_ALIASES.get(h.strip().lstrip("\ufeff").lower(), h.strip()) for h in header]
    if "code" not in columns or "name" not in columns:
        problems.append(
            ImportRowError(
                _(
                    "表头须包含 code 和 name 列(code,name,parent_code 或 "
                    "code,name,provinceCode,cityCode,areaCode,streetCode),实际为:%(h)s"
                )
                % {"h": ",".join(header)},
                source=source,
                location=_("第 1 行"),
            )
        )
        return []
    index = {name: i for i, name in enumerate(columns)}
    parent_columns = (
        ["parent_code"]
        if "parent_code" in index
        else [c for c in MODOOD_PARENT_COLUMNS if c in index]
    )
    rows: list[RegionRow] = []
    data_rows = 0
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        data_rows += 1
        row = _parse_row(source, line, record, index, parent_columns, problems)
        if row is not None:
            rows.append(row)
    if not data_rows:
        problems.append(ImportRowError(_("只有表头,没有数据行"), source=source))
    return rows


def _parse_row(
    source: str,
    line: int,
    record: list[str],
    index: dict[str, int],
    parent_columns: list[str],
    problems: list[ImportRowError],
) -> RegionRow | None:
    where = _("第 %(line)d 行") % {"line": line}

    def cell(column: str) -> str:
        i = index[column]
        return record[i].strip() if i < len(record) else ""

    def bad(message: str) -> None:
        problems.append(ImportRowError(message, source=source, location=where))

    raw_code = cell("code")
    try:
        short, level = short_code(raw_code)
    except ValueError as exc:
        bad(str(exc))
        return None
    alias = len(raw_code) != 12 and len(short) != len(raw_code)
    name = cell("name")
    if not name:
        bad(_("名称为空"))
        return None
    if len(name) > 100:
        bad(_("名称超过 100 个字符"))
        return None
    parent_short: str | None = None
    for column in parent_columns:
        raw = cell(column)
        if not raw:
            continue
        try:
            candidate, parent_level = short_code(raw)
        except ValueError as exc:
            bad(_("%(column)s 列:%(e)s") % {"column": column, "e": exc})
            return None
        if alias and candidate == short:
            continue
        if parent_level >= level or not short.startswith(candidate):
            bad(
                _("区划代码 %(code)s 不以上级代码 %(parent)s 开头(%(column)s 列),不是其下级")
                % {"code": short, "parent": candidate, "column": column}
            )
            return None
        if parent_short is None:
            parent_short = candidate
    return RegionRow(source, line, short, level, name, parent_short, alias)


def read_region_files(files: Sequence[tuple[str, bytes]]) -> RegionImportPlan:
    """Parse and check every file of a run against the stored regions; raises
    ImportRejectedError listing every problem when anything is wrong."""
    problems: list[ImportRowError] = []
    notes: list[str] = []
    rows: list[RegionRow] = []
    for source, data in files:
        try:
            rows.extend(_read_file(source, data, problems, notes))
        except ImportRejectedError as exc:
            problems.extend(exc.problems)
    existing = {
        code[: SIGNIFICANT_DIGITS[RegionLevel(level)]]: (pk, name, parent_id, path)
        for code, level, pk, name, parent_id, path in Region.objects.values_list(
            "code", "level", "id", "name", "parent_id", "path"
        ).iterator(chunk_size=5000)
    }
    plan = RegionImportPlan(rows=rows, existing=existing, notes=notes)
    _check_rows(plan, problems)
    if problems:
        problems.sort(key=lambda p: (p.source, _line_key(p.location)))
        raise ImportRejectedError(problems[:MAX_REPORTED_PROBLEMS] + _more(problems))
    return plan


def _line_key(location: str) -> int:
    digits = "".join(ch for ch in location if ch.isdigit())
    return int(digits) if digits else 0


def _more(problems: list[ImportRowError]) -> list[ImportRowError]:
    extra = len(problems) - MAX_REPORTED_PROBLEMS
    if extra <= 0:
        return []
    return [ImportRowError(_("另有 %(n)d 处问题未列出") % {"n": extra})]


def _check_rows(plan: RegionImportPlan, problems: list[ImportRowError]) -> None:
    seen: dict[str, RegionRow] = {}
    aliases = [row for row in plan.rows if row.alias]
    for row in plan.rows:
        if row.alias:
            continue
        first = seen.get(row.short)
        if first is not None:
            problems.append(
                ImportRowError(
                    _("区划代码 %(code)s 重复(与 %(source)s 第 %(line)d 行相同)")
                    % {"code": row.short, "source": first.source, "line": first.line},
                    source=row.source,
                    location=row.where(),
                )
            )
            continue
        seen[row.short] = row
    orphans = _infer_parents(plan, seen, problems)
    # Parents first: a parent's significant code is always shorter than its child's.
    ordered = sorted(seen.values(), key=lambda r: (r.level, r.short))
    existing_paths = {short: v[3] for short, v in plan.existing.items()}
    for row in ordered:
        if row.short in orphans:
            continue  # reported; its children are skipped below as rows under a bad parent
        if row.parent_short is None:
            parent_path = "/"
        elif row.parent_short in plan.paths:
            parent_path = plan.paths[row.parent_short]
        elif row.parent_short in existing_paths:
            parent_path = existing_paths[row.parent_short]
        else:
            if row.parent_short not in seen:
                problems.append(
                    ImportRowError(
                        _("上级区划 %(parent)s 不存在(既不在本次导入的文件中,也不在数据库中)")
                        % {"parent": row.parent_short},
                        source=row.source,
                        location=row.where(),
                    )
                )
            continue
        path = f"{parent_path}{row.short}/"
        if len(path) > 80:
            problems.append(
                ImportRowError(_("区划层级过深"), source=row.source, location=row.where())
            )
            continue
        plan.paths[row.short] = path
        stored = plan.existing.get(row.short)
        if stored is None:
            plan.created.append(row)
            continue
        _id, name, _parent_id, old_path = stored
        if old_path != path:
            plan.moved.append(row)
        elif name != row.name:
            plan.renamed.append(row)
        else:
            plan.unchanged += 1
    for row in aliases:
        if row.short not in seen and row.short not in plan.existing:
            problems.append(
                ImportRowError(
                    _("代码末段为零,表示与区划 %(short)s 为同一区划,但 %(short)s 不存在")
                    % {"short": row.short},
                    source=row.source,
                    location=row.where(),
                )
            )
            continue
        plan.aliases.append(row)
    if plan.aliases:
        example = plan.aliases[0]
        plan.notes.append(
            _(
                "%(n)d 行的代码末段为零,与上级是同一区划(如 %(source)s 第 %(line)d 行 %(name)s),"
                "未单独建立,其下级直接挂在该区划下"
            )
            % {
                "n": len(plan.aliases),
                "source": example.source,
                "line": example.line,
                "name": example.name,
            }
        )


def ancestor_codes(short: str, level: int) -> list[str]:
    """Significant codes of the divisions above a code, nearest first. A segment of zeros names
    no division (441900 is 东莞市 4419 itself), so it is skipped."""
    codes = []
    for k in range(level - 1, 0, -1):
        prefix = short[: LEVEL_BOUNDS[k]]
        if prefix[LEVEL_BOUNDS[k - 1] :].strip("0"):
            codes.append(prefix)
    return codes


def _infer_parents(
    plan: RegionImportPlan, seen: dict[str, RegionRow], problems: list[ImportRowError]
) -> set[str]:
    """Give every row below province level without a parent its nearest ancestor in the run or
    the database (in `seen`, in place); returns the codes of rows that have none (reported)."""
    inferred: list[tuple[RegionRow, str]] = []
    orphans: set[str] = set()
    for short, row in list(seen.items()):
        if row.parent_short is not None or row.level == RegionLevel.PROVINCE:
            continue
        above = ancestor_codes(row.short, row.level)
        parent = next((c for c in above if c in seen or c in plan.existing), None)
        if parent is None:
            orphans.add(short)
            problems.append(
                ImportRowError(
                    _(
                        "上级区划不存在:区划 %(code)s 未填上级代码,本次导入的文件和数据库中也没有"
                        "它的任何上级(%(above)s);只有省级区划可以没有上级"
                    )
                    % {"code": row.short, "above": "、".join(above)},
                    source=row.source,
                    location=row.where(),
                )
            )
            continue
        seen[short] = replace(row, parent_short=parent)
        inferred.append((row, parent))
    if inferred:
        row, parent = inferred[0]
        plan.warnings.append(
            _(
                "%(n)d 行未填上级代码,已按代码前缀挂在最近的上级区划下"
                "(如 %(source)s 第 %(line)d 行 %(code)s → %(parent)s)"
            )
            % {
                "n": len(inferred),
                "source": row.source,
                "line": row.line,
                "code": row.short,
                "parent": parent,
            }
        )
    return orphans


def apply_region_plan(plan: RegionImportPlan) -> None:
    """Write a checked plan with bulk statements (the caller holds the transaction)."""
    ids = {short: v[0] for short, v in plan.existing.items()}
    by_level: dict[int, list[RegionRow]] = {}
    for row in plan.created:
        by_level.setdefault(row.level, []).append(row)
    for level in sorted(by_level):
        batch = [
            Region(
                code=row.code,
                name=row.name,
                level=row.level,
                parent_id=ids[row.parent_short] if row.parent_short else None,
                path=plan.paths[row.short],
            )
            for row in by_level[level]
        ]
        Region.objects.bulk_create(batch, batch_size=2000)
        if any(region.pk is None for region in batch):
            ids.update(
                (code[: SIGNIFICANT_DIGITS[RegionLevel(level)]], pk)
                for code, pk in Region.objects.filter(code__in=[r.code for r in batch]).values_list(
                    "code", "id"
                )
            )
        else:
            ids.update(
                (row.short, region.pk) for row, region in zip(by_level[level], batch, strict=True)
            )
    if plan.renamed:
        Region.objects.bulk_update(
            [Region(pk=ids[row.short], name=row.name) for row in plan.renamed],
            ["name"],
            batch_size=2000,
        )
    # A moved region takes its subtree along: rewrite the path prefix of every descendant.
    for row in sorted(plan.moved, key=lambda r: r.level):
        old_path = Region.objects.filter(pk=ids[row.short]).values_list("path", flat=True).get()
        new_path = plan.paths[row.short]
        Region.objects.filter(pk=ids[row.short]).update(
            name=row.name, parent_id=ids[row.parent_short] if row.parent_short else None
        )
        replace_path_prefix(Region.objects.all(), old_path, new_path)
