"""Work items other apps put in a user's inbox beside the notifications (a registry: the inbox
page lives in `web`, the apps with work items lie below it and register a source in their
`AppConfig.ready`). A source answers the items the user may act on now, each with its
deadline and, when it can be answered in place, the URL to post the answer to and its verbs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class InboxTask:
    key: str  # unique per item, e.g. "backtrace:12"
    kind_label: str | Promise
    title: str
    body: str
    due_at: dt.datetime | None
    late: bool
    url: str  # the item's own page
    # Answering in the inbox: POST `answer` and `verb` (one of `verbs`) to `answer_url`.
    answer_url: str = ""
    verbs: tuple[tuple[str, str | Promise], ...] = ()
    answer_label: str | Promise = ""
    answer_required: bool = True
    state_label: str | Promise = ""
    extra: dict[str, Any] = field(default_factory=dict)


InboxSource = Callable[[Any], list[InboxTask]]
SOURCES: dict[str, InboxSource] = {}


def register_source(name: str, source: InboxSource) -> None:
    """Register (or replace) a source of inbox work items under a name."""
    SOURCES[name] = source


def tasks_for(user: Any) -> list[InboxTask]:
    """Every registered source's items for the user, soonest deadline first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    items = [item for source in SOURCES.values() for item in source(user)]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(items, key=lambda i: (i.due_at or far, i.key))
