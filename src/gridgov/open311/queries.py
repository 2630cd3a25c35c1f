"""What Open311 shows of the platform, built as residents see it on the public tracking page
(cases.queues.tracking_view): the state, the public steps, the result once closed; never a
contact, a staff name, an internal note or a comment.

Listed cases: those a platform has accepted (not rejected, merged or kept as information only),
and every case filed through Open311 from the moment it exists, so the app that filed it can
follow it to the end. The free text, the exact address and the photo are shown only for cases
whose reporter published them through Open311; for the others (patrol, hotline, residents'
own reports) the item name stands for the text, the grid for the address, and the point is
rounded to about 100 m, since a home address or a neighbour's name may be in them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.models import (
    CLOSED_STATES,
    OPEN_STATES,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseQuerySet,
    CaseState,
    Channel,
    ClosureType,
    EventKind,
    MatterItem,
)
from gridgov.cases.queues import PUBLIC_KINDS
from gridgov.grids.models import Region

S = CaseState
HIDDEN_STATES = (S.REPORTED, S.REJECTED, S.MERGED, S.RECORDED)
ROUNDING = 3  # decimal places of a degree: about 100 m

# FixMyStreet's update statuses (servicerequestupdates): ours grouped into theirs.
UPDATE_STATUS = {
    S.REPORTED: "open",
    S.ACCEPTED: "investigating",
    S.REGISTERED: "investigating",
    S.DISPATCHED: "action_scheduled",
    S.RETURNED: "action_scheduled",
    S.HANDLING: "in_progress",
    S.FED_BACK: "in_progress",
    S.VERIFIED: "in_progress",
    S.CLOSED: "fixed",
    S.CALLED_BACK: "fixed",
    S.REJECTED: "no_further_action",
    S.MERGED: "duplicate",
    S.RECORDED: "closed",
}


def jurisdiction_ids() -> set[str]:
    """The jurisdiction ids this deployment answers to: GRIDGOV_OPEN311_JURISDICTION when set,
    else the codes of the top regions."""
    configured = str(getattr(settings, "GRIDGOV_OPEN311_JURISDICTION", "") or "").strip()
    if configured:
        return {configured}
    return set(Region.objects.filter(parent__isnull=True).values_list("code", flat=True))


def services(code: str | None = None) -> list[MatterItem]:
    """Active catalogue items with their questions (one item when `code` is given)."""
    qs = MatterItem.objects.active().select_related("matter_class").prefetch_related("attributes")
    if code is not None:
        qs = qs.filter(code=code)
    return list(qs.order_by("matter_class__order", "order", "code"))


def listed() -> CaseQuerySet:
    """Cases Open311 lists, with what a row shows."""
    return (
        Case.objects.filter(Q(channel=Channel.OPEN311) | ~Q(state__in=HIDDEN_STATES))
        .select_related("item", "department", "level_region", "grid")
        .prefetch_related(
            Prefetch("events", queryset=CaseEvent.objects.order_by("at", "pk")),
            Prefetch(
                "attachments",
                queryset=CaseAttachment.objects.filter(purpose=CaseAttachment.Purpose.REPORT),
            ),
        )
    )


def first_photo(case: Case) -> CaseAttachment | None:
    """The photo media_url points at, or None when the case does not publish one."""
    if not _published(case):
        return None
    return next(iter(case.attachments.all()), None)


def _pk_of(number: str) -> int | None:
    number = (number or "").strip()
    if not number.isdigit() or len(number) < 9 or len(number) > 24:
        return None
    return int(number[8:])


def by_numbers(numbers: list[str]) -> list[Case]:
    """Listed cases by their numbers (report date + row id, cases.models.Case.number), in the
    order asked, in one query; unknown numbers are left out."""
    wanted = {pk: n.strip() for n in numbers if (pk := _pk_of(n)) is not None}
    found = {c.pk: c for c in listed().filter(pk__in=list(wanted)) if c.number == wanted[c.pk]}
    return [found[pk] for pk in wanted if pk in found]


def by_number(number: str) -> Case | None:
    """A listed case by its number."""
    cases = by_numbers([number])
    return cases[0] if cases else None


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset, in the deployment's zone (Asia/Shanghai)."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def status_of(case: Case) -> str:
    return "open" if case.state in OPEN_STATES else "closed"


def _published(case: Case) -> bool:
    return case.channel == Channel.OPEN311


def status_notes(case: Case) -> str:
    """The public progress: the state as the tracking page names it, with the result once
    closed (for cases published through Open311)."""
    note = str(CaseState(case.state).label)
    if case.state in CLOSED_STATES and case.result and _published(case):
        note = f"{note}:{case.result}"
    return note


def media_url(case: Case, base_url: str) -> str | None:
    """The first report photo, for cases published through Open311 (served by the media view;
    the platform's own /media/ is not public)."""
    if not _published(case) or not list(case.attachments.all()):
        return None
    return base_url + reverse("open311-media", kwargs={"number": case.number})


def service_notice(item: MatterItem | None) -> str | None:
    if item is None:
        return None
    return _("一般事项 %(days)s 个工作日内办结") % {"days": item.limit_days}


def request_out(case: Case, base_url: str) -> dict[str, Any]:
    """One request, in the spec's field order (as in its XML examples)."""
    published = _published(case)
    lat, lon = case.lat, case.lon
    if not published and lat is not None and lon is not None:
        lat, lon = round(lat, ROUNDING), round(lon, ROUNDING)
    agency = case.department.name if case.department else case.level_region.name
    closed = case.state not in OPEN_STATES
    return {
        "service_request_id": case.number,
        "status": status_of(case),
        "status_notes": status_notes(case),
        "service_name": case.item.name if case.item else None,
        "service_code": case.item.code if case.item else "",
        "description": case.description if published else (case.item.name if case.item else None),
        "agency_responsible": agency,
        "service_notice": service_notice(case.item),
        "requested_datetime": iso(case.created_at),
        "updated_datetime": iso((case.closed_at or case.updated_at) if closed else case.updated_at),
        "expected_datetime": iso(case.due_at) if case.is_open else None,
        "address": (case.address or case.grid.name) if published else case.grid.name,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": media_url(case, base_url),
    }


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime


def updates_since(window: Window) -> list[tuple[CaseEvent, Case]]:
    """Public steps of listed cases within the window (FixMyStreet's servicerequestupdates)."""
    events = (
        CaseEvent.objects.filter(
            kind__in=sorted(PUBLIC_KINDS), at__gte=window.start, at__lte=window.end
        )
        .filter(Q(case__channel=Channel.OPEN311) | ~Q(case__state__in=HIDDEN_STATES))
        .select_related("case")
        .order_by("at", "pk")[:1000]
    )
    return [(e, e.case) for e in events]


def update_out(event: CaseEvent, case: Case) -> dict[str, Any]:
    state = event.to_state or case.state
    status = UPDATE_STATUS.get(CaseState(state), "open") if state in S.values else "open"
    if status == "fixed" and case.closure_type == ClosureType.ERRONEOUS:
        status = "closed"
    return {
        "update_id": str(event.pk),
        "service_request_id": case.number,
        "status": status,
        "updated_datetime": iso(event.at),
        "description": str(EventKind(event.kind).label),
        "media_url": None,
        "external_status_code": state,
    }
