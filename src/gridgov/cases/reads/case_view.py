"""The case page: the timeline of every event with its photos, sub-tasks and pending
extension requests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from gridgov.cases.models import Case, CaseState


@dataclass(frozen=True)
class Photo:
    pk: int
    purpose: str
    name: str


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    label: str
    at: dt.datetime
    actor: str
    department: str
    from_state: str
    to_state: str
    note: str
    due_at: dt.datetime | None
    photos: list[Photo]


@dataclass(frozen=True)
class CaseView:
    """What the case page shows beside the case row itself."""

    timeline: list[TimelineEntry]
    photos: list[Photo]
    tasks: list[Any]
    pending_extensions: list[Any]
    can_see_contact: bool
    reporter_name: str
    boundary: dict[str, Any] | None


def staff_names(user_ids: set[int]) -> dict[int, str]:
    """Display names of users: their staff record's name, else the log-in name."""
    from django.contrib.auth import get_user_model

    from gridgov.people.models import Staff

    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    names.update(dict(Staff.objects.filter(user_id__in=user_ids).values_list("user_id", "name")))
    return names


def case_view(user: Any, case: Case) -> CaseView:
    """Timeline (who, when, what, note) with the photos of each step, the sub-tasks of joint
    handling and the pending extension requests; the case comes from cases.queues's
    detail_queryset, so everything here is already prefetched."""
    import rules

    from gridgov.cases.models import CaseEvent, EventKind, ExtensionState

    events: list[CaseEvent] = list(case.events.all())
    ids = {e.actor_id for e in events if e.actor_id}
    if case.reporter_id:
        ids.add(case.reporter_id)
    names = staff_names(ids)
    labels = dict(CaseState.choices)
    timeline = [
        TimelineEntry(
            kind=e.kind,
            label=str(EventKind(e.kind).label) if e.kind in EventKind.values else e.kind,
            at=e.at,
            actor=names.get(e.actor_id, "") if e.actor_id else _unattended(e.kind),
            department=e.department.name if e.department is not None else "",
            from_state=str(labels.get(e.from_state, "")),
            to_state=str(labels.get(e.to_state, "")) if e.to_state != e.from_state else "",
            note=e.note,
            due_at=e.due_at,
            photos=[
                Photo(pk=a.pk, purpose=a.purpose, name=a.original_name) for a in e.attachments.all()
            ],
        )
        for e in events
    ]
    photos = [
        Photo(pk=a.pk, purpose=a.purpose, name=a.original_name) for a in case.attachments.all()
    ]
    return CaseView(
        timeline=timeline,
        photos=photos,
        tasks=list(case.tasks.all()),
        pending_extensions=[e for e in case.extensions.all() if e.state == ExtensionState.PENDING],
        can_see_contact=rules.has_perm("cases.view_contact", user, case),
        reporter_name=names.get(case.reporter_id, "") if case.reporter_id else "",
        boundary=case.grid.boundary,
    )


def _unattended(kind: str) -> Any:
    """Who stands behind an event without a user: a resident reporting or calling back from
    the public pages, otherwise the platform itself (deadline sweeps, recomputed deadlines)."""
    from gridgov.cases.models import EventKind

    return _("居民") if kind in {EventKind.REPORT, EventKind.CALLBACK} else _("系统")
