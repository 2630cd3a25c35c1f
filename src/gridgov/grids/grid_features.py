"""Reading the features of a grid GeoJSON file: the document, each feature's properties and
geometry, checked one by one (the tree-wide checks are in grid_import).

A feature is named in messages as `要素 #N(code)`, N counting from 0 as in `features[N]`, so
`jq '.features[N]'` opens it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from gridgov.core.errors import ImportRejectedError, ImportRowError
from gridgov.grids.geometry import GeometryError, repair, to_geojson, to_shape, validity_problem
from gridgov.grids.textfiles import decode_json_text

MAX_CODE_LENGTH = 32
MAX_REPORTED_PROBLEMS = 200
KEEP = object()  # a property that is absent or null: keep the stored value


@dataclass
class FeatureIn:
    """One checked feature of the file."""

    index: int
    code: str
    name: Any = KEEP
    level: Any = KEEP  # raw property value until resolved
    parent_code: Any = KEEP  # str, None (top grid) or KEEP
    region_code: Any = KEEP
    households: Any = KEEP
    population: Any = KEEP
    tier: Any = KEEP
    boundary: dict[str, Any] | None | object = KEEP  # normalised GeoJSON
    geometry: BaseGeometry | None = None
    repaired: bool = False
    geometry_null: bool = False

    def where(self) -> str:
        return _("要素 #%(index)d(%(code)s)") % {"index": self.index, "code": self.code}


# A problem that more features share than this is reported once, with its count and the first
# few features: a first import into an empty deployment must not print 200 identical lines.
REPEATS_LISTED = 3
DETAILS_LISTED = 5


class Problems:
    """Every problem of a file, kept in feature order; raised together at the end.

    Problems with the same `group` (by default, the same message) are folded into one line when
    more than REPEATS_LISTED features have them; each problem's `detail` (the missing region
    code, say) is listed on that line too."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[tuple[int, str, str, ImportRowError]] = []

    def add(
        self,
        feature: FeatureIn | None,
        message: str,
        *,
        index: int | None = None,
        group: str | None = None,
        detail: str = "",
    ) -> None:
        location = (
            feature.where()
            if feature is not None
            else (_("要素 #%(index)d") % {"index": index} if index is not None else "")
        )
        order = feature.index if feature is not None else (index if index is not None else -1)
        problem = ImportRowError(message, source=self.source, location=location)
        self.items.append((order, group or message, detail, problem))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        ordered = sorted(self.items, key=lambda item: item[0])
        members: dict[str, list[tuple[str, ImportRowError]]] = {}
        for _order, key, detail, problem in ordered:
            members.setdefault(key, []).append((detail, problem))
        shown: list[ImportRowError] = []
        for _order, key, _detail, problem in ordered:
            same = members[key]
            if len(same) <= REPEATS_LISTED:
                shown.append(problem)
            elif same[0][1] is problem:
                shown.append(self._summary(key, same))
        extra = len(shown) - MAX_REPORTED_PROBLEMS
        shown = shown[:MAX_REPORTED_PROBLEMS]
        if extra > 0:
            shown.append(ImportRowError(_("另有 %(n)d 处问题未列出") % {"n": extra}))
        raise ImportRejectedError(shown)

    def _summary(self, key: str, same: list[tuple[str, ImportRowError]]) -> ImportRowError:
        where = "、".join(p.location for _d, p in same[:REPEATS_LISTED] if p.location)
        message = _("%(problem)s:共 %(n)d 个要素,如 %(where)s 等") % {
            "problem": key,
            "n": len(same),
            "where": where,
        }
        details = list(dict.fromkeys(d for d, _p in same if d))
        if details:
            listed = "、".join(details[:DETAILS_LISTED])
            if len(details) > DETAILS_LISTED:
                listed = _("%(listed)s 等 %(n)d 个") % {"listed": listed, "n": len(details)}
            message += _(";涉及 %(details)s") % {"details": listed}
        return ImportRowError(message, source=self.source)


def parse_feature_collection(data: bytes, *, source: str) -> list[Any]:
    """The features of a UTF-8 GeoJSON FeatureCollection, or a located ImportRejectedError."""
    text = decode_json_text(data, source=source).text
    try:
        document = json.loads(text)
    except RecursionError:
        raise ImportRejectedError(
            [ImportRowError(_("JSON 嵌套层数过多,不是 GeoJSON"), source=source)]
        ) from None
    except json.JSONDecodeError as exc:
        raise ImportRejectedError(
            [
                ImportRowError(
                    _("不是有效的 JSON:第 %(line)d 行第 %(col)d 列,%(msg)s")
                    % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
                    source=source,
                )
            ]
        ) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        found = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise ImportRejectedError(
            [
                ImportRowError(
                    _("须为 GeoJSON FeatureCollection,实际为 %(found)s") % {"found": found},
                    source=source,
                )
            ]
        )
    features = document.get("features")
    if not isinstance(features, list):
        raise ImportRejectedError(
            [ImportRowError(_("FeatureCollection 缺少 features 数组"), source=source)]
        )
    return features


def _text(value: Any) -> str | None:
    if value is None:
        return None
    # A list or an object is not a code: str() would store "['x']".
    if not isinstance(value, str | int | float):
        raise ValueError
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise ValueError
    if isinstance(value, float):
        value = int(value)
    return str(value).strip()


MAX_COUNT = 2_000_000_000


def _count(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    # A count fits the database's integer column; 1e30 households is a typing slip.
    if not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ValueError
    return value


def read_feature(
    index: int, raw: Any, *, repair_invalid: bool, problems: Problems, notes: list[str]
) -> FeatureIn | None:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        problems.add(None, _("不是 GeoJSON Feature 对象"), index=index)
        return None
    props = raw.get("properties")
    if not isinstance(props, dict):
        problems.add(None, _("缺少 properties"), index=index)
        return None
    try:
        code = _text(props.get("code"))
    except ValueError:
        problems.add(None, _("网格编码(properties.code)须为文字或数字"), index=index)
        return None
    if not code:
        problems.add(None, _("缺少网格编码(properties.code)"), index=index)
        return None
    feature = FeatureIn(index=index, code=code)
    if len(code) > MAX_CODE_LENGTH or "/" in code or any(ch.isspace() for ch in code):
        problems.add(feature, _("网格编码须为不含空格和“/”的 1–32 个字符"))
        return None
    if "name" in props and props["name"] is not None:
        name = str(props["name"]).strip() if isinstance(props["name"], str | int) else ""
        if not name or len(name) > 100:
            problems.add(feature, _("名称须为 1–100 个字符"))
        feature.name = name
    if props.get("level") is not None:
        feature.level = props["level"]
    if "parent_code" in props:
        try:
            feature.parent_code = _text(props["parent_code"]) or None
        except ValueError:
            problems.add(feature, _("上级网格编码(parent_code)格式错误"))
    if props.get("region_code") is not None:
        try:
            feature.region_code = _text(props["region_code"])
        except ValueError:
            problems.add(feature, _("区划代码(region_code)格式错误"))
    for key in ("households", "population"):
        if props.get(key) is not None:
            try:
                setattr(feature, key, _count(props[key]))
            except ValueError:
                problems.add(
                    feature,
                    _("%(key)s 须为 0 到 %(max)s 的整数") % {"key": key, "max": f"{MAX_COUNT:,}"},
                )
    if props.get("tier") is not None:
        try:
            tier = _count(props["tier"])
        except ValueError:
            tier = 0
        if tier not in (1, 2, 3):
            problems.add(feature, _("管理等级(tier)须为 1、2 或 3"))
        feature.tier = tier
    if "geometry" not in raw:
        problems.add(feature, _("缺少 geometry"))
        return feature
    if raw["geometry"] is None:
        feature.geometry_null = True
        return feature
    try:
        geom = to_shape(raw["geometry"])
    except GeometryError as exc:
        problems.add(feature, str(exc))
        return feature
    problem = validity_problem(geom)
    if problem:
        if not repair_invalid:
            problems.add(feature, problem + _(";可加 --repair 用 make_valid 修复"))
            return feature
        geom = repair(geom)
        if geom.is_empty:
            problems.add(feature, problem + _(";修复后面积为零,无法使用"))
            return feature
        feature.repaired = True
        notes.append(
            _("%(where)s 已修复:%(problem)s") % {"where": feature.where(), "problem": problem}
        )
    feature.geometry = geom
    feature.boundary = to_geojson(geom)
    return feature
