"""The two wire formats of GeoReport v2: XML (required by the spec) and JSON (the published JSON
Schemas). Both are built from the same Python values: dicts, lists, strings, numbers, booleans
and None. Booleans are JSON booleans but the text "true"/"false" in XML (STANDARDS: the schemas
and the spec's XML differ there); None is null in JSON and an empty element in XML."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# In XML a list is a wrapper element whose children take the singular name.
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "service_request_updates": "request_update",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _add(element, key, child)
    elif value is not None:
        element.text = _text(value)


def _add(parent: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, list):
        wrapper = ET.SubElement(parent, name)
        for entry in value:
            _fill(ET.SubElement(wrapper, SINGULAR.get(name, "item")), entry)
        return
    _fill(ET.SubElement(parent, name), value)


def to_xml(root: str, value: Any) -> bytes:
    """`root` wraps `value`: a list gives one singular child per entry, a dict its fields."""
    element = ET.Element(root)
    if isinstance(value, list):
        for entry in value:
            _fill(ET.SubElement(element, SINGULAR.get(root, "item")), entry)
    else:
        _fill(element, value)
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return body.replace(
        b"<?xml version='1.0' encoding='utf-8'?>", b'<?xml version="1.0" encoding="utf-8"?>'
    )


def respond(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """The answer in the requested format; JSON is the value itself, XML wraps it in `root`."""
    body = json.dumps(value, ensure_ascii=False).encode() if fmt == "json" else to_xml(root, value)
    return HttpResponse(body, status=status, content_type=FORMATS.get(fmt, FORMATS["xml"]))


def errors(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error list, [{code, description}], with the HTTP status as the code."""
    return respond(fmt, "errors", [{"code": status, "description": description}], status=status)
