"""Answers to a catalogue item's extra questions (MatterAttribute): checked against the item's
attributes at intake, whoever files the case (the report forms, the API, Open311), and stored
on the case by attribute code. A list answer keeps its option keys; a datetime its ISO form."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.cases.models import AttributeDatatype, MatterAttribute, MatterItem
from gridgov.core.errors import DomainError

STRING_MAX = 200
TEXT_MAX = 4000

D = AttributeDatatype


def answers_from_json(text: str) -> dict[str, Any]:
    """The API's `attributes` form field: a JSON object from attribute code to an answer (a
    list for multivaluelist); empty means no answers. DomainError naming the field otherwise."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(v, str | int | float | list) for v in value.values()
    ):
        raise DomainError(
            _('附加信息须为 JSON 对象,如 {"code": "值"} 或 {"code": ["值"]}'),
            field="attributes",
        )
    return value


def _field(code: str) -> str:
    # Open311 names the form field attribute[code]; the other doors use the same name.
    return f"attribute[{code}]"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    return [text] if text else []


def _answer(attribute: MatterAttribute, values: list[str]) -> Any:
    code = attribute.code
    if attribute.datatype == D.MULTI:
        unknown = [v for v in values if v not in attribute.value_keys]
        if unknown:
            raise DomainError(
                _("附加信息 %(code)s 的选项 %(value)s 不存在")
                % {"code": code, "value": unknown[0]},
                field=_field(code),
            )
        return list(dict.fromkeys(values))
    if len(values) > 1:
        raise DomainError(_("附加信息 %(code)s 只能填一个值") % {"code": code}, field=_field(code))
    value = values[0]
    if attribute.datatype == D.SINGLE:
        if value not in attribute.value_keys:
            raise DomainError(
                _("附加信息 %(code)s 的选项 %(value)s 不存在") % {"code": code, "value": value},
                field=_field(code),
            )
        return value
    if attribute.datatype == D.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not math.isfinite(number):
            raise DomainError(_("附加信息 %(code)s 须为数字") % {"code": code}, field=_field(code))
        return float(number) if number != number.to_integral_value() else int(number)
    if attribute.datatype == D.DATETIME:
        parsed = parse_datetime(value)
        if parsed is None:
            raise DomainError(
                _("附加信息 %(code)s 须为日期时间(示例 2026-06-08T09:00:00+08:00)")
                % {"code": code},
                field=_field(code),
            )
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed.isoformat()
    limit = TEXT_MAX if attribute.datatype == D.TEXT else STRING_MAX
    if len(value) > limit:
        raise DomainError(
            _("附加信息 %(code)s 不能超过 %(n)s 个字") % {"code": code, "n": limit},
            field=_field(code),
        )
    return value


def answers_in(data: Any, item: MatterItem | None) -> dict[str, list[str]]:
    """The answers to `item`'s questions in a submitted form (inputs named attribute[code],
    repeated for multiple choice); other inputs are ignored."""
    if item is None or not hasattr(data, "getlist"):
        return {}
    return {
        a.code: [v for v in data.getlist(f"attribute[{a.code}]") if str(v).strip()]
        for a in item.attributes.all()
        if a.variable
    }


def check_answers(item: MatterItem | None, answers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The answers to store on a case of `item`, keyed by attribute code; DomainError naming the
    attribute when one is unknown, missing while required, or of the wrong kind."""
    given = {str(k).strip(): _as_list(v) for k, v in (answers or {}).items()}
    given = {k: v for k, v in given.items() if v}
    if item is None:
        if given:
            raise DomainError(_("未选择事项分类,不能填写附加信息"), field="attributes")
        return {}
    attributes = [a for a in item.attributes.all() if a.variable]
    known = {a.code for a in attributes}
    unknown = sorted(set(given) - known)
    if unknown:
        raise DomainError(
            _("事项 %(item)s 没有附加信息 %(code)s") % {"item": item.code, "code": unknown[0]},
            field=_field(unknown[0]),
        )
    stored: dict[str, Any] = {}
    for attribute in attributes:
        values = given.get(attribute.code, [])
        if not values:
            if attribute.required:
                raise DomainError(
                    _("请填写附加信息:%(question)s") % {"question": attribute.description},
                    field=_field(attribute.code),
                )
            continue
        stored[attribute.code] = _answer(attribute, values)
    return stored
