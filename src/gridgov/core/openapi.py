"""The OpenAPI document says every answer an operation can give (issue 9).

The error answers do not come from the handlers but from the platform around them: the NUL
guard (400) and the house exception handlers (400 rule, 401, 403, 404, 409, 413, 422, 429). They
are added here to every operation by one rule each, instead of being restated in sixty
decorators; a decorator still declares what is particular to its operation (a 409 body with
`state` and `allowed`, a 400 import report), and that declaration wins.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import REF_TEMPLATE
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import BaseModel

ERROR = "Error"
VALIDATION_ERROR = "ValidationError"
UNSAFE = {"post", "put", "patch", "delete"}

COMPONENTS: dict[str, dict[str, Any]] = {
    ERROR: {
        "title": ERROR,
        "type": "object",
        "description": "Every error: a translated sentence, and the field at fault when one is.",
        "properties": {
            "detail": {"type": "string"},
            "field": {"type": ["string", "null"]},
        },
        "required": ["detail"],
    },
    VALIDATION_ERROR: {
        "title": VALIDATION_ERROR,
        "type": "object",
        "description": "Invalid fields: `errors` names each (the first ten), `count` all.",
        "properties": {
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    "required": ["field", "message"],
                },
            },
            "count": {"type": "integer"},
        },
        "required": ["detail", "errors", "count"],
    },
}

DESCRIPTIONS = {
    "400": "A rule does not hold (or a NUL character in any input); `field` names it",
    "401": "Not logged in",
    "403": "Not allowed (a missing role or permission, or a failed CSRF check)",
    "404": "Missing, or outside the caller's jurisdiction (the same answer for both)",
    "409": "The object changed or conflicts with the current state",
    "413": "The body is over the upload limit",
    "422": "Invalid fields, each named in `errors`",
    "429": "Too many requests from this address; see Retry-After",
}

PAGINATION_RULE = (
    "Pages: give `page`/`page_size` or `limit`/`offset`, not both (422); `page_size` and "
    "`limit` are at most 500."
)


def _ref(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def error_statuses(method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses the platform may answer for this operation, by one rule each."""
    has_input = bool(operation.get("parameters") or operation.get("requestBody"))
    secured = operation.get("security") is not None and operation.get("security") != []
    statuses = ["400"]  # the NUL guard answers any request, whatever the operation takes
    if secured:
        statuses += ["401", "403"]
    if has_input:
        # a path id, a query filter or a body field naming a row outside the scope
        statuses += ["404", "422"]
    if method in UNSAFE:
        statuses.append("409")
    if operation.get("requestBody"):
        statuses.append("413")
    if not secured:
        statuses.append("429")  # public operations are throttled per address
    return statuses


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the standard error answers and the server's rules to every operation of `schema`."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, component in COMPONENTS.items():
        components.setdefault(name, component)
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(method, operation):
                if status in responses or int(status) in responses:
                    continue
                body = VALIDATION_ERROR if status == "422" else ERROR
                responses[status] = {"description": DESCRIPTIONS[status], **_ref(body)}
            names = {p.get("name") for p in operation.get("parameters", [])}
            if {"page", "limit"} <= names and PAGINATION_RULE not in operation.get(
                "description", ""
            ):
                operation["description"] = (
                    operation.get("description", "") + "\n\n" + PAGINATION_RULE
                ).strip()
    return schema


# Operations that read their JSON body themselves (issue 11: 5,000 fixes read as columns) but
# check it against a pydantic model document that model as their body, as ninja would.
BODY_MODELS: dict[str, type[BaseModel]] = {}


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for an operation reading `request.body` itself against `model`: the
    document shows the same request body as a `payload: model` parameter would."""
    BODY_MODELS[model.__name__] = model
    return {
        "requestBody": {**_ref(model.__name__), "required": True},
    }


def document_bodies(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, model in BODY_MODELS.items():
        body = model.model_json_schema(
            ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode="validation"
        )
        components.update(body.pop("$defs", {}))
        components[name] = body
    return schema


class DocumentedAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document carries the platform's error answers (document_errors)."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = document_bodies(super().get_openapi_schema(**kwargs))
        return document_json_forms(document_errors(schema))


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _form_as_json(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON twin of a form's schema: the same fields without the files (None if only
    files)."""
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    properties = {
        name: prop
        for name, prop in schema.get("properties", {}).items()
        if prop.get("format") != "binary" and prop.get("items", {}).get("format") != "binary"
    }
    if not properties:
        return None
    required = [name for name in schema.get("required", []) if name in properties]
    twin: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        twin["required"] = required
    return twin


def document_json_forms(schema: dict[str, Any]) -> dict[str, Any]:
    """Operations that read a form also read the same fields as JSON (JsonFormMiddleware): say
    so, so a client generated from the document can send either."""
    components = schema.get("components", {}).get("schemas", {})
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                continue
            form = next((content[t] for t in FORM_TYPES if t in content), None)
            if form is None:
                continue
            twin = _form_as_json(form.get("schema", {}), components)
            if twin is not None:
                content["application/json"] = {"schema": twin}
    return schema


class JsonFormMiddleware:
    """Under /api/, a JSON object sent to an operation that reads a form fills the form:
    `comment` and `feedback` take photos as multipart, but the fields alone may come as JSON
    like every other verb's body. JSON bodies stay readable as JSON for the other operations."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if (
            request.path_info.startswith("/api/")
            and request.method in {"POST", "PUT", "PATCH"}
            and request.content_type == "application/json"
        ):
            self._fill_form(request)
        return self.get_response(request)

    @staticmethod
    def _fill_form(request: Any) -> None:
        import json

        from django.http import QueryDict

        try:
            data = json.loads(request.body or b"null")
        except (ValueError, RecursionError):
            return
        # An operation reading a large body itself takes this parse instead of parsing again.
        request.parsed_json_body = data
        if not isinstance(data, dict):
            return
        form = QueryDict(mutable=True)
        for key, value in data.items():
            values = value if isinstance(value, list) else [value]
            for one in values:
                if one is None or isinstance(one, dict | list):
                    continue
                form.appendlist(str(key), json.dumps(one) if isinstance(one, bool) else str(one))
        form._mutable = False
        request.POST = form


def parsed_json_body(request: Any) -> Any:
    """The request's JSON body as JsonFormMiddleware parsed it (parsed here when it did not);
    ValueError when it is not JSON."""
    import json

    if hasattr(request, "parsed_json_body"):
        return request.parsed_json_body
    return json.loads(request.body)
