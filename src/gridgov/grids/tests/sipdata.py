"""The real Suzhou Industrial Park grids (realdata/cn_grid_sip_suzhou, lon/lat versions) turned
into our import format, the way an office would prepare them:

    苏州工业园区 (code SIP, level depth 0)
      └ 179 communities (level depth 1, code = 12-digit community code)
          └ 826 comprehensive grids (level depth 2, 15-digit code), parent by 所属社区

Levels are given by depth, so the file fits any deployment with three configured levels.

The file is messy on purpose (its SOURCE.md): two communities share one code (兴浦社区 and
金胜社区, 320506010009), five grids of 市镇社区 carry codes of a community that does not exist
(320591010001…), three communities and two grids have self-intersecting rings. The park has no
published outline; the union of its communities stands in for it. `build_files`
keeps all of that unless `fix_duplicate` gives 金胜社区 a provisional code of its own, which is
what an office must do before the file can be imported at all.
"""

from __future__ import annotations

import json
from typing import Any

import shapely
from shapely.geometry import mapping, shape

from gridgov.core.testing import realdata_path

SIP_DIR = "cn_grid_sip_suzhou"
ROOT_CODE = "SIP"
DUPLICATE_CODE = "320506010009"
PROVISIONAL_CODE = "320506010009J"  # 金胜社区's stand-in until the code is corrected
MISMATCHED_PREFIX = "320591010001"  # five grids of 市镇社区 (320506010001) carry it


def _load(name: str) -> list[dict[str, Any]]:
    path = realdata_path(SIP_DIR, name)
    features: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["features"]
    return features


def available() -> bool:
    return realdata_path(SIP_DIR, "communities_lonlat.geojson").exists()


def regions_csv() -> bytes:
    """The 2019-era divisions the grids use: Jiangsu → Suzhou → two counties → five streets →
    178 communities (one code is shared by two communities; the region keeps the first name)."""
    communities = _load("communities_lonlat.geojson")
    lines = ["code,name,parent_code", "32,江苏省,", "3205,苏州市,32"]
    counties = {}
    streets = {}
    villages: dict[str, str] = {}
    for feature in communities:
        code = str(feature["properties"]["社区编码_12位数字"])
        counties.setdefault(code[:6], f"县级 {code[:6]}")
        streets.setdefault(code[:9], f"街道 {code[:9]}")
        villages.setdefault(code, feature["properties"]["社区名称"])
    lines += [f"{c},{n},3205" for c, n in sorted(counties.items())]
    lines += [f"{c},{n},{c[:6]}" for c, n in sorted(streets.items())]
    lines += [f"{c},{n},{c[:9]}" for c, n in sorted(villages.items())]
    return ("\n".join(lines) + "\n").encode()


def build_collection(*, fix_duplicate: bool) -> dict[str, Any]:
    communities = _load("communities_lonlat.geojson")
    grids = _load("grids_zonghe_comprehensive_lonlat.geojson")
    # No outline of the park is published: take the union of its communities.
    outline = shapely.union_all([shapely.make_valid(shape(f["geometry"])) for f in communities])
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "properties": {
                "code": ROOT_CODE,
                "name": "苏州工业园区",
                "level": 0,
                "parent_code": None,
                "region_code": "3205",
            },
            "geometry": json.loads(json.dumps(mapping(outline))),
        }
    ]
    code_of_name: dict[str, str] = {}
    for feature in communities:
        props = feature["properties"]
        code = str(props["社区编码_12位数字"])
        if fix_duplicate and code == DUPLICATE_CODE and props["社区名称"] == "金胜社区":
            code = PROVISIONAL_CODE
        code_of_name[props["社区名称"]] = code
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": props["社区名称"],
                    "level": 1,
                    "parent_code": ROOT_CODE,
                    "region_code": code[:12],
                },
                "geometry": feature["geometry"],
            }
        )
    for feature in grids:
        props = feature["properties"]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": props["网格编码_15位数字"],
                    "name": props["网格全称"],
                    "level": 2,
                    "parent_code": code_of_name[props["所属社区"]],
                },
                "geometry": feature["geometry"],
            }
        )
    return {"type": "FeatureCollection", "features": features}


def as_bytes(collection: dict[str, Any]) -> bytes:
    return json.dumps(collection, ensure_ascii=False).encode()
