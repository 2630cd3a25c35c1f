"""One guard against hostile text, shared by every door into the database.

PostgreSQL refuses NUL (U+0000) in text ("A string literal cannot contain NUL characters") and
SQLite stores it silently, so a NUL that reaches a query is a 500 on one database and a
poisoned row on the other. No legitimate input of ours contains one. Requests are checked once,
in `RejectNulMiddleware` (path, query string, headers, form fields, cookies and JSON bodies),
and every importer passes its rows or features through `reject_nul_rows` / `reject_nul_items`
(CSV files through `read_csv_rows`, which also locates cells over the csv module's limit), so
each refuses the whole file naming the row or feature.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gridgov.core.errors import ImportRejectedError, ImportRowError

NUL = "\x00"
# The csv module refuses longer cells with `_csv.Error: field larger than field limit`.
MAX_CSV_CELL = 131_072
# An import file with thousands of NULs names the first few rows, then counts the rest.
SHOWN_PROBLEMS = 20


def nul_field(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string holding a NUL inside `value` (keys included; list
    items by index), "" for `value` itself, None when there is none."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and NUL in key:
                return here
            found = nul_field(item, here)
            if found is not None:
                return found
        return None
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = nul_field(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def _nul_message(field: str) -> str:
    return _("“%(field)s”含有空字符(\\x00),不能保存") % {"field": field}


def _finish(problems: list[ImportRowError]) -> None:
    if not problems:
        return
    extra = len(problems) - SHOWN_PROBLEMS
    if extra > 0:
        problems = [
            *problems[:SHOWN_PROBLEMS],
            ImportRowError(_("另有 %(n)d 处问题未列出") % {"n": extra}),
        ]
    raise ImportRejectedError(problems)


def reject_nul_rows(
    rows: Iterable[Sequence[Any]],
    *,
    source: str,
    header: Sequence[Any] = (),
    first_row: int = 1,
) -> None:
    """Refuse a table (CSV or spreadsheet rows, numbered from `first_row`) in which any cell
    holds a NUL, naming each such row and its column."""
    names = [str(h) for h in header]
    problems: list[ImportRowError] = []
    for number, row in enumerate(rows, start=first_row):
        for i, cell in enumerate(row):
            if isinstance(cell, str) and NUL in cell:
                column = names[i] if i < len(names) and NUL not in names[i] else str(i + 1)
                problems.append(
                    ImportRowError(
                        _nul_message(column),
                        source=source,
                        location=_("第 %(row)d 行") % {"row": number},
                    )
                )
                break
    _finish(problems)


def reject_nul_items(
    items: Iterable[Any], *, source: str, where: Callable[[int, Any], str]
) -> None:
    """Refuse parsed JSON items (GeoJSON features) any string of which holds a NUL; `where`
    names the item (its position and code) for the message."""
    problems: list[ImportRowError] = []
    for i, item in enumerate(items):
        field = nul_field(item)
        if field is not None:
            problems.append(
                ImportRowError(_nul_message(field or "-"), source=source, location=where(i, item))
            )
    _finish(problems)


def read_csv_rows(text: str, *, source: str) -> list[list[str]]:
    """All records of a CSV text, header included, or an ImportRejectedError naming the row the
    csv module could not read (a cell over 131,072 characters, a stray quote) or the rows
    holding a NUL. Rows are numbered as a spreadsheet shows them (header = row 1)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    try:
        for record in reader:
            rows.append(record)
    except csv.Error as exc:
        message = str(exc)
        if "field limit" in message:
            message = _("单元格超过 %(n)d 个字符") % {"n": MAX_CSV_CELL}
        raise ImportRejectedError(
            [
                ImportRowError(
                    _("CSV 格式错误:%(e)s") % {"e": message},
                    source=source,
                    location=_("第 %(row)d 行") % {"row": len(rows) + 1},
                )
            ]
        ) from None
    if NUL in text:  # one scan of the text; the rows are searched only to name them
        reject_nul_rows(rows, source=source, header=rows[0] if rows else ())
    return rows


def _request_nul_field(request: HttpRequest) -> str | None:
    """The name of the first part of the request holding a NUL, None when it is clean."""
    if NUL in request.path_info:
        return "path"
    # Headers are stored too (Idempotency-Key); a server may pass a NUL through.
    for name, value in request.headers.items():
        if NUL in value:
            return str(name)
    for source in (request.GET, request.COOKIES):
        found = nul_field(dict(source.lists()) if hasattr(source, "lists") else dict(source))
        if found is not None:
            return found.split(".")[0]
    content_type = request.content_type or ""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return None
    if content_type in {"multipart/form-data", "application/x-www-form-urlencoded"}:
        found = nul_field(dict(request.POST.lists()))
        if found is not None:
            return found.split(".")[0]
        # File names need no check: Django's multipart parser drops non-printable characters.
        return None
    body = request.body
    if not body:
        return None
    if b"\x00" not in body and b"\\u0000" not in body:
        # A JSON string holds a NUL only as the escape \u0000 (a raw NUL byte is not JSON at
        # all): without either, nothing to find, and a large upload is not parsed twice.
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        # Not JSON: the route's own parser answers for it; a raw NUL byte is still refused.
        return "body" if b"\x00" in body else None
    try:
        found = nul_field(parsed)
    except RecursionError:
        return "body" if b"\\u0000" in body else None
    if found is None:
        return None
    return found or "body"


class RejectNulMiddleware:
    """Answer 400 naming the field to any request carrying a NUL, before a view or a query
    sees it: `{"detail", "field"}` under /api/, the 400 page elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _request_nul_field(request)
        if field is None:
            return self.get_response(request)
        message = _nul_message(field)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message, "field": field}, status=400)
        return render(request, "400.html", {"message": message, "field": field}, status=400)
