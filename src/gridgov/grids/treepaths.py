"""Materialised paths ("/41/4101/…/"): a subtree is one indexed prefix match (STYLE)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Value
from django.db.models.functions import Concat, Substr


def replace_path_prefix(queryset: QuerySet[Any], old: str, new: str) -> int:
    """Move a subtree: every row whose path starts with `old` gets `new` in its place, in one
    UPDATE (works the same on SQLite and PostgreSQL)."""
    if old == new:
        return 0
    return queryset.filter(path__startswith=old).update(
        path=Concat(Value(new), Substr("path", len(old) + 1))
    )
