"""Reading and checking a grid GeoJSON file before anything is written; then writing it.

The file is a FeatureCollection of Polygon/MultiPolygon features (WGS84) whose properties are
`code`, `name`, `level`, `parent_code`, `households`, `population`, `tier` and optionally
`region_code` (what `export-grids` writes). A code already stored updates that grid: boundary
files get corrected and re-imported.

Rules, chosen so a re-import never loses data by accident:
- `code` is required. `name` and `level` are required for a new grid; for an existing grid a
  missing property (or null) keeps the stored value. The same holds for `households`,
  `population`, `tier`, `region_code`, and for a `null` geometry. A `parent_code` that is
  present but empty makes the grid a top grid; an absent one keeps the stored parent.
- `level` is a configured GridLevel's name or its depth (0 = top). A first import into an empty
  deployment passes `create_levels=True` (`--create-levels`): every unknown level name becomes a
  new level at the depth where the file places it (one below its grids' parents, 0 for top
  grids). All grids of a level must then sit at the same depth; a child is always deeper than
  its parent.
- The region of a grid is its `region_code`; else the region whose 12-digit code equals the
  grid's code (town and village grids are their regions); else the parent grid's region (unit
  grids lie inside their community); else the region of the code's first 12 digits.
- Unit-grid codes are the community's 12 digits plus a 3-digit serial (STANDARDS.md). A code
  with anything but digits, a numeric code that does not start with the code of its parent's
  region, or one whose length does not fit its level's `code_digits`, is reported as a warning
  and imported as it is: real data has such codes (the Suzhou Industrial Park file has a park
  coded "SIP" and an office's stand-in code for a community whose code is taken) and only the
  office can say which side is wrong. Warnings, not errors: refusing the file would block the
  whole import over a code the office may not be able to correct yet.
- A problem shared by many features (every grid of a first import naming a region not imported
  yet) is listed once, with its count, the first features and the codes involved.
- Invalid polygons (self-intersections and the like) reject the file, located by feature index
  and code; `repair=True` (`--repair`) applies shapely's make_valid to them instead and says so.
Every problem of the file is listed at once; nothing is written unless there are none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import ImportRowError
from gridgov.core.inputguard import reject_nul_items
from gridgov.grids.geometry import apply_boundary
from gridgov.grids.grid_features import (
    KEEP,
    FeatureIn,
    Problems,
    parse_feature_collection,
    read_feature,
)
from gridgov.grids.models import SIGNIFICANT_DIGITS, Grid, GridLevel, Region, RegionLevel

MAX_PATH_LENGTH = 255
BOUNDARY_FIELDS = (
    "boundary",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "label_lon",
    "label_lat",
    "area_m2",
    "boundary_hash",
)

Action = Literal["create", "update", "unchanged"]


@dataclass
class StoredGrid:
    pk: int
    code: str
    name: str
    level_id: int
    parent_id: int | None
    region_id: int
    households: int
    population: int
    tier: int
    path: str


@dataclass
class GridChange:
    code: str
    name: str
    action: Action
    index: int
    fields: list[str] = field(default_factory=list)


@dataclass
class NewLevel:
    depth: int
    name: str
    code_digits: int


@dataclass
class GridImportPlan:
    """What an import would do (`--dry-run` prints it); `apply_grid_plan` writes it."""

    source: str
    changes: list[GridChange] = field(default_factory=list)
    warnings: list[ImportRowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    new_levels: list[NewLevel] = field(default_factory=list)
    # internals for apply
    features: list[FeatureIn] = field(default_factory=list)
    level_of: dict[str, int | str] = field(default_factory=dict)  # code -> level id or new name
    region_of: dict[str, int] = field(default_factory=dict)
    parent_of: dict[str, str | None] = field(default_factory=dict)  # final, for every grid
    stored: dict[str, StoredGrid] = field(default_factory=dict)
    final_paths: dict[str, str] = field(default_factory=dict)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)


# --- planning -----------------------------------------------------------------------------------


def plan_grid_import(
    data: bytes, *, source: str, create_levels: bool = False, repair_invalid: bool = False
) -> GridImportPlan:
    """Check the whole file against the database and work out every change; raises
    ImportRejectedError with every problem found (nothing is written here)."""
    problems = Problems(source)
    plan = GridImportPlan(source=source)
    raw_features = parse_feature_collection(data, source=source)
    if not raw_features:
        problems.add(None, _("FeatureCollection 中没有要素"))
        problems.raise_if_any()
    reject_nul_items(raw_features, source=source, where=_feature_name)
    by_code: dict[str, FeatureIn] = {}
    for index, raw in enumerate(raw_features):
        feature = read_feature(
            index, raw, repair_invalid=repair_invalid, problems=problems, notes=plan.notes
        )
        if feature is None:
            continue
        first = by_code.get(feature.code)
        if first is not None:
            problems.add(
                feature,
                _("网格编码 %(code)s 重复(与要素 #%(first)d 相同)")
                % {"code": feature.code, "first": first.index},
            )
            continue
        by_code[feature.code] = feature
        plan.features.append(feature)

    plan.stored = _load_stored(by_code)
    for code, feature in by_code.items():
        # A grid without a boundary cannot be located, drawn or checked for coverage.
        if code not in plan.stored and feature.geometry_null:
            problems.add(feature, _("新网格须有边界(geometry 不能为 null)"))
    _resolve_parents(plan, by_code, problems)
    # The tree checks below walk parent links, so they need a tree without cycles; they still
    # run when single features had problems, so one pass lists as much as possible.
    if not _find_cycles(plan, by_code, problems):
        _resolve_levels(plan, by_code, problems, create_levels=create_levels)
        _resolve_regions(plan, by_code, problems)
        _compute_paths(plan, problems)
    problems.raise_if_any()
    _check_codes(plan, by_code)
    _diff(plan)
    return plan


def _feature_name(index: int, raw: Any) -> str:
    props = raw.get("properties") if isinstance(raw, dict) else None
    code = props.get("code") if isinstance(props, dict) else None
    if isinstance(code, str) and "\x00" not in code:
        return _("要素 #%(index)d(%(code)s)") % {"index": index, "code": code}
    return _("要素 #%(index)d") % {"index": index}


def _load_stored(by_code: dict[str, FeatureIn]) -> dict[str, StoredGrid]:
    """Every stored grid (code, parent, path …): needed to place moved subtrees and find cycles.
    A few thousand narrow rows; boundaries are not loaded here."""
    codes_by_pk: dict[int, str] = {}
    rows = []
    for row in Grid.objects.values_list(
        "pk",
        "code",
        "name",
        "level_id",
        "parent_id",
        "region_id",
        "households",
        "population",
        "tier",
        "path",
    ).iterator(chunk_size=5000):
        codes_by_pk[row[0]] = row[1]
        rows.append(StoredGrid(*row))
    return {row.code: row for row in rows}


def _resolve_parents(
    plan: GridImportPlan, by_code: dict[str, FeatureIn], problems: Problems
) -> None:
    codes_by_pk = {g.pk: g.code for g in plan.stored.values()}
    for code, stored in plan.stored.items():
        plan.parent_of[code] = codes_by_pk.get(stored.parent_id) if stored.parent_id else None
    for code, feature in by_code.items():
        if feature.parent_code is KEEP:
            if code not in plan.stored:
                plan.parent_of[code] = None
            continue
        parent = feature.parent_code
        if parent is not None and parent not in by_code and parent not in plan.stored:
            problems.add(
                feature,
                _("上级网格 %(parent)s 不存在(既不在本文件中,也不在数据库中)") % {"parent": parent},
                group=_("上级网格不存在(既不在本文件中,也不在数据库中)"),
                detail=parent,
            )
            continue
        if parent == code:
            problems.add(feature, _("上级网格不能是它自己"))
            continue
        plan.parent_of[code] = parent


def _find_cycles(plan: GridImportPlan, by_code: dict[str, FeatureIn], problems: Problems) -> bool:
    """Report every cycle of parent links once; True when there is any."""
    reported: set[str] = set()
    for start in by_code:
        seen: list[str] = []
        code: str | None = start
        while code is not None and code not in seen:
            seen.append(code)
            code = plan.parent_of.get(code)
        if code is None:
            continue
        cycle = seen[seen.index(code) :]
        if reported.intersection(cycle):
            continue
        reported.update(cycle)
        first = min((by_code[c] for c in cycle if c in by_code), key=lambda f: f.index)
        problems.add(
            first,
            _("上级关系成环:%(cycle)s") % {"cycle": " → ".join([*cycle, cycle[0]])},
        )
    return bool(reported)


def _ordered_codes(plan: GridImportPlan, codes: Iterable[str]) -> list[str]:
    """Codes ordered parents first (by depth in the final tree, then code)."""
    depth_cache: dict[str, int] = {}

    def depth(code: str) -> int:
        chain = []
        current: str | None = code
        while current is not None and current not in depth_cache:
            chain.append(current)
            current = plan.parent_of.get(current)
        base = depth_cache[current] if current is not None else -1
        for c in reversed(chain):
            base += 1
            depth_cache[c] = base
        return depth_cache[code]

    return sorted(codes, key=lambda c: (depth(c), c))


def _resolve_levels(
    plan: GridImportPlan, by_code: dict[str, FeatureIn], problems: Problems, *, create_levels: bool
) -> None:
    levels = list(GridLevel.objects.all())
    by_name = {level.name: level for level in levels}
    by_depth = {level.depth: level for level in levels}
    depth_of_level_id = {level.pk: level.depth for level in levels}
    new_depth: dict[str, int] = {}  # name of a level to create -> depth
    unknown: dict[str, list[FeatureIn]] = {}
    misplaced: dict[str, list[FeatureIn]] = {}
    depth_of: dict[str, int] = {}  # grid code -> level depth, for grids seen so far
    for code in _ordered_codes(plan, plan.parent_of):
        feature = by_code.get(code)
        stored = plan.stored.get(code)
        parent = plan.parent_of.get(code)
        parent_depth = depth_of.get(parent) if parent is not None else -1
        if feature is None or feature.level is KEEP:
            if stored is None:
                if feature is not None:
                    problems.add(feature, _("新网格须给出层级(properties.level)"))
                continue
            depth = depth_of_level_id[stored.level_id]
            if feature is not None:
                plan.level_of[code] = stored.level_id
        else:
            resolved = _match_level(feature.level, by_name, by_depth)
            if resolved is not None:
                depth = resolved.depth
                plan.level_of[code] = resolved.pk
            else:
                name = str(feature.level).strip()
                if not create_levels or not name or name.isdigit():
                    unknown.setdefault(str(feature.level), []).append(feature)
                    continue
                wanted = (parent_depth if parent_depth is not None else -1) + 1
                depth = new_depth.setdefault(name, wanted)
                if depth != wanted:
                    misplaced.setdefault(name, []).append(feature)
                plan.level_of[code] = name
                depth_of[code] = depth
                continue
        depth_of[code] = depth
        if parent is not None and parent_depth is not None and depth <= parent_depth:
            where = feature or by_code.get(parent)
            problems.add(
                where,
                _("网格 %(code)s 的层级须低于其上级网格 %(parent)s 的层级")
                % {"code": code, "parent": parent},
            )
    for level_name, features in unknown.items():
        problems.add(
            features[0],
            _(
                "层级 %(level)r 未配置(已有:%(known)s),共 %(n)d 个要素使用它;"
                "请先在管理后台配置网格层级,或在首次导入时加 --create-levels"
            )
            % {"level": level_name, "known": _("、").join(by_name) or _("无"), "n": len(features)},
        )
    for level_name, features in misplaced.items():
        problems.add(
            features[0],
            _("新层级 %(name)s 的网格须在同一深度(深度 %(depth)d),有 %(n)d 个要素不在此深度")
            % {"name": level_name, "depth": new_depth[level_name], "n": len(features)},
        )
    taken: dict[int, str] = {}
    for name, depth in sorted(new_depth.items(), key=lambda item: item[1]):
        if depth in by_depth:
            first = next(f for f in by_code.values() if plan.level_of.get(f.code) == name)
            problems.add(
                first,
                _(
                    "深度 %(depth)d 已配置为层级 %(other)s,不能再建层级 %(name)s(可改用已有层级名或深度)"
                )
                % {"depth": depth, "other": by_depth[depth].name, "name": name},
            )
            continue
        if depth in taken:
            problems.add(
                None,
                _("新层级 %(a)s 和 %(b)s 处于同一深度 %(depth)d")
                % {"a": taken[depth], "b": name, "depth": depth},
            )
            continue
        taken[depth] = name
        codes = [c for c, lv in plan.level_of.items() if lv == name]
        lengths = {len(c) for c in codes}
        digits = 0
        if len(lengths) == 1 and all(c.isdigit() for c in codes):
            length = lengths.pop()
            digits = length - 12 if length > 12 else 0
        plan.new_levels.append(NewLevel(depth=depth, name=name, code_digits=digits))


def _match_level(
    value: Any, by_name: dict[str, GridLevel], by_depth: dict[int, GridLevel]
) -> GridLevel | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and float(value).is_integer():
        return by_depth.get(int(value))
    text = str(value).strip()
    if text in by_name:
        return by_name[text]
    if text.isdigit():
        return by_depth.get(int(text))
    return None


def _resolve_regions(
    plan: GridImportPlan, by_code: dict[str, FeatureIn], problems: Problems
) -> None:
    wanted: set[str] = set()
    for code, feature in by_code.items():
        if feature.region_code is not KEEP:
            wanted.add(_padded(feature.region_code))
        if code.isdigit() and len(code) >= 12:
            wanted.add(code[:12])
    regions = {
        r.code: r for r in Region.objects.filter(code__in=wanted).only("pk", "code", "level")
    }
    for code in _ordered_codes(plan, by_code):
        feature = by_code[code]
        stored = plan.stored.get(code)
        if feature.region_code is not KEEP:
            region = regions.get(_padded(feature.region_code))
            if region is None:
                problems.add(
                    feature,
                    _("区划 %(code)s 不存在;请先用 import-regions 导入区划")
                    % {"code": feature.region_code},
                    group=_("区划不存在;请先用 import-regions 导入区划"),
                    detail=str(feature.region_code),
                )
                continue
            plan.region_of[code] = region.pk
            continue
        if stored is not None:
            plan.region_of[code] = stored.region_id
            continue
        parent = plan.parent_of.get(code)
        if code.isdigit() and len(code) == 12 and code in regions:
            plan.region_of[code] = regions[code].pk
        elif parent is not None:
            if parent in plan.region_of:
                plan.region_of[code] = plan.region_of[parent]
            elif parent in plan.stored:
                plan.region_of[code] = plan.stored[parent].region_id
            # else: the parent's own problem is reported already
        elif code.isdigit() and len(code) > 12 and code[:12] in regions:
            plan.region_of[code] = regions[code[:12]].pk
        else:
            problems.add(
                feature,
                _("无法确定所属区划:请给出 region_code,或先导入编码为 %(code)s 的区划")
                % {"code": code[:12]},
                group=_("无法确定所属区划:请给出 region_code,或先用 import-regions 导入区划"),
                detail=code[:12],
            )


def _padded(code: str) -> str:
    return code.ljust(12, "0") if code.isdigit() and len(code) < 12 else code


def _compute_paths(plan: GridImportPlan, problems: Problems) -> None:
    for code in _ordered_codes(plan, plan.parent_of):
        parent = plan.parent_of[code]
        if parent is not None and parent not in plan.final_paths:
            continue  # below a grid with a problem of its own
        path = (plan.final_paths[parent] if parent else "/") + code + "/"
        if len(path) > MAX_PATH_LENGTH:
            problems.add(None, _("网格 %(code)s 层级过深,路径超过 255 个字符") % {"code": code})
        plan.final_paths[code] = path


def _check_codes(plan: GridImportPlan, by_code: dict[str, FeatureIn]) -> None:
    """Warnings (not errors) for codes that break the unit-grid convention (STANDARDS.md)."""
    region_ids = set(plan.region_of.values()) | {g.region_id for g in plan.stored.values()}
    regions = {
        pk: code[: SIGNIFICANT_DIGITS[RegionLevel(level)]]
        for pk, code, level in Region.objects.filter(pk__in=region_ids).values_list(
            "pk", "code", "level"
        )
    }
    digits = dict(GridLevel.objects.values_list("pk", "code_digits"))
    for feature in plan.features:
        code = feature.code
        level = plan.level_of.get(code)
        serial = digits.get(level, 0) if isinstance(level, int) else 0
        if not (code.isdigit() and code.isascii()):
            plan.warnings.append(
                ImportRowError(
                    _(
                        "编码 %(code)s 不全是数字,不符合编码规则(已按原样导入):该层级的编码应为 "
                        "%(n)d 位数字(12 位社区代码 + %(s)d 位序号)"
                    )
                    % {"code": code, "n": 12 + serial, "s": serial}
                    if serial
                    else _(
                        "编码 %(code)s 不全是数字,不符合编码规则(已按原样导入):网格编码由区划代码"
                        "构成,单元网格为 12 位社区代码 + 3 位序号,共 15 位"
                    )
                    % {"code": code},
                    source=plan.source,
                    location=feature.where(),
                )
            )
            continue
        parent = plan.parent_of.get(code)
        if parent is not None:
            parent_region = (
                plan.region_of[parent]
                if parent in plan.region_of
                else plan.stored[parent].region_id
            )
            prefix = regions.get(parent_region, "")
            if prefix and not code.startswith(prefix):
                plan.warnings.append(
                    ImportRowError(
                        _(
                            "编码 %(code)s 与上级网格 %(parent)s 所属区划代码 %(prefix)s 不符(未自动更正)"
                        )
                        % {"code": code, "parent": parent, "prefix": prefix},
                        source=plan.source,
                        location=feature.where(),
                    )
                )
        if serial and len(code) != 12 + serial:
            plan.warnings.append(
                ImportRowError(
                    _("该层级的编码应为 %(n)d 位(12 位社区代码 + %(s)d 位序号),实际 %(got)d 位")
                    % {"n": 12 + serial, "s": serial, "got": len(code)},
                    source=plan.source,
                    location=feature.where(),
                )
            )


def _diff(plan: GridImportPlan) -> None:
    stored_boundaries = dict(
        Grid.objects.filter(code__in=[f.code for f in plan.features if f.code in plan.stored])
        .values_list("code", "boundary")
        .iterator(chunk_size=2000)
    )
    pk_of_code = {code: g.pk for code, g in plan.stored.items()}
    for feature in plan.features:
        stored = plan.stored.get(feature.code)
        name = feature.name if feature.name is not KEEP else (stored.name if stored else "")
        if stored is None:
            plan.changes.append(GridChange(feature.code, str(name), "create", feature.index))
            continue
        changed = []
        if feature.name is not KEEP and feature.name != stored.name:
            changed.append("name")
        if plan.level_of.get(feature.code) != stored.level_id:
            changed.append("level")
        parent = plan.parent_of.get(feature.code)
        if parent is None:
            parent_moved = stored.parent_id is not None
        else:
            parent_moved = parent not in pk_of_code or pk_of_code[parent] != stored.parent_id
        if parent_moved:
            changed.append("parent")
        if plan.region_of[feature.code] != stored.region_id:
            changed.append("region")
        for key in ("households", "population", "tier"):
            value = getattr(feature, key)
            if value is not KEEP and value != getattr(stored, key):
                changed.append(key)
        if feature.boundary is not KEEP and feature.boundary != stored_boundaries.get(feature.code):
            changed.append("boundary")
        action: Action = "update" if changed else "unchanged"
        plan.changes.append(GridChange(feature.code, str(name), action, feature.index, changed))


# --- writing ------------------------------------------------------------------------------------


def apply_grid_plan(plan: GridImportPlan) -> None:
    """Write a checked plan (the caller holds the transaction and bumps the revision)."""
    level_ids: dict[str | int, int] = {}
    for new in plan.new_levels:
        level_ids[new.name] = GridLevel.objects.create(
            depth=new.depth, name=new.name, code_digits=new.code_digits
        ).pk
    pk_of = {code: g.pk for code, g in plan.stored.items()}
    by_code = {f.code: f for f in plan.features}
    actions = {c.code: c for c in plan.changes}

    def level_pk(code: str) -> int:
        level = plan.level_of[code]
        return level_ids[level] if isinstance(level, str) else level

    created_order = _ordered_codes(plan, [c.code for c in plan.changes if c.action == "create"])
    # Parents first, a batch per depth, so each child can point to its parent's new pk.
    batches: dict[int, list[str]] = {}
    for code in created_order:
        batches.setdefault(plan.final_paths[code].count("/"), []).append(code)
    for depth in sorted(batches):
        rows = []
        for code in batches[depth]:
            feature = by_code[code]
            parent = plan.parent_of[code]
            grid = Grid(
                code=code,
                name=feature.name,
                level_id=level_pk(code),
                region_id=plan.region_of[code],
                parent_id=pk_of[parent] if parent else None,
                path=plan.final_paths[code],
                households=feature.households if feature.households is not KEEP else 0,
                population=feature.population if feature.population is not KEEP else 0,
                tier=feature.tier if feature.tier is not KEEP else 2,
            )
            apply_boundary(grid, feature.geometry)
            rows.append(grid)
        Grid.objects.bulk_create(rows, batch_size=500)
        if any(g.pk is None for g in rows):
            pk_of.update(Grid.objects.filter(code__in=batches[depth]).values_list("code", "pk"))
        else:
            pk_of.update((g.code, g.pk) for g in rows)

    updated_codes = [code for code, change in actions.items() if change.action == "update"]
    updates = list(Grid.objects.filter(code__in=updated_codes)) if updated_codes else []
    update_fields: set[str] = set()
    for grid in updates:
        feature = by_code[grid.code]
        for name in actions[grid.code].fields:
            if name == "boundary":
                apply_boundary(grid, feature.geometry)
                update_fields.update(BOUNDARY_FIELDS)
            elif name == "level":
                grid.level_id = level_pk(grid.code)
                update_fields.add("level")
            elif name == "parent":
                parent = plan.parent_of[grid.code]
                grid.parent_id = pk_of[parent] if parent else None
                update_fields.add("parent")
            elif name == "region":
                grid.region_id = plan.region_of[grid.code]
                update_fields.add("region")
            else:
                setattr(grid, name, getattr(feature, name))
                update_fields.add(name)
    now = timezone.now()
    for grid in updates:
        grid.updated_at = now
    if updates:
        Grid.objects.bulk_update(updates, sorted(update_fields | {"updated_at"}), batch_size=500)

    # Paths last: a moved grid takes every descendant along, in the file or not.
    moved = [
        Grid(pk=pk_of[code], path=path)
        for code, path in plan.final_paths.items()
        if code in plan.stored and plan.stored[code].path != path
    ]
    if moved:
        Grid.objects.bulk_update(moved, ["path"], batch_size=1000)
