"""The demo's Open311 side: extra questions on a few catalogue items (one of each datatype) and
a key for an outside app whose value is published, like the demo password. Idempotent."""

from __future__ import annotations

from typing import Any

from gridgov.cases.models import AttributeDatatype as D
from gridgov.cases.models import MatterAttribute, MatterItem
from gridgov.open311.models import ApiKey
from gridgov.open311.services import hash_key

DEMO_KEY_NAME = "demo-app"
# Published in the README like the demo password: never use the demo in production.
DEMO_KEY = "o311_demo-gridgov-2026"

# item code → (code, datatype, question, required, order, values)
DEMO_ATTRIBUTES: dict[str, list[tuple[str, str, str, bool, int, list[dict[str, str]]]]] = {
    "0401": [
        (
            "smell",
            D.SINGLE,
            "气味程度",
            True,
            1,
            [
                {"key": "slight", "name": "轻微"},
                {"key": "strong", "name": "明显"},
                {"key": "pungent", "name": "刺鼻"},
            ],
        ),
        ("first_seen", D.DATETIME, "最早发现时间", False, 2, []),
        ("source", D.STRING, "疑似排放单位", False, 3, []),
    ],
    "0505": [
        ("area_m2", D.NUMBER, "破损面积(平方米)", True, 1, []),
        (
            "hazards",
            D.MULTI,
            "存在的危险",
            False,
            2,
            [
                {"key": "traffic", "name": "影响车辆通行"},
                {"key": "walkers", "name": "影响行人"},
                {"key": "night", "name": "夜间无照明"},
            ],
        ),
        ("details", D.TEXT, "补充说明", False, 3, []),
    ],
}


def build_demo_attributes() -> list[MatterAttribute]:
    """The demo's extra questions (also used by the tests: one cast for both)."""
    made = []
    for item_code, rows in DEMO_ATTRIBUTES.items():
        item = MatterItem.objects.filter(code=item_code).first()
        if item is None:
            continue
        for code, datatype, question, required, order, values in rows:
            defaults: dict[str, Any] = {
                "datatype": datatype,
                "description": question,
                "required": required,
                "order": order,
                "values": values,
            }
            attribute, _created = MatterAttribute.objects.update_or_create(
                item=item, code=code, defaults=defaults
            )
            made.append(attribute)
    return made


def clear_demo_attributes() -> None:
    """Remove the demo's extra questions before a demo reset: the catalogue stays, but the demo
    cases are replayed before the questions are added, and a required question (气味程度) left
    from the previous build would refuse them."""
    for item_code, rows in DEMO_ATTRIBUTES.items():
        MatterAttribute.objects.filter(
            item__code=item_code, code__in=[row[0] for row in rows]
        ).delete()


def build_demo_key() -> str:
    """The demo app's key (created once); returns its published value."""
    ApiKey.objects.update_or_create(
        name=DEMO_KEY_NAME,
        defaults={"prefix": DEMO_KEY[:12], "key_hash": hash_key(DEMO_KEY), "revoked_at": None},
    )
    return DEMO_KEY
