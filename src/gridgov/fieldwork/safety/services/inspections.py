"""Inspection plans by risk grade and inspections with their checklist answers; a problem
becomes a hazard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.fieldwork.safety import permissions
from gridgov.fieldwork.safety.models import (
    Checklist,
    ChecklistPurpose,
    Hazard,
    HazardGrade,
    HazardSource,
    Inspection,
    InspectionAnswer,
    InspectionFrequency,
)
from gridgov.fieldwork.safety.services.hazards import (
    DEFAULT_DAYS,
    _text,
    fix_hazard_on_spot,
    order_rectification,
    report_hazard,
)
from gridgov.grids.models import Grid
from gridgov.registry.models import Organisation, OrganisationKind

KEY = "key"
# A phone's clock is not exact: an inspection time this far ahead of the server is accepted.
CLOCK_SKEW = dt.timedelta(minutes=10)


# --- inspection plans --------------------------------------------------------------------------


def frequencies() -> dict[str, int]:
    """Days between inspections per risk grade ("key" for the key-supervision list)."""
    return dict(InspectionFrequency.objects.values_list("risk_grade", "interval_days"))


def interval_for(org: Organisation, table: dict[str, int]) -> int | None:
    """The tightest interval that applies to a business, None when none does."""
    found = [table[g] for g in (org.risk_grade, KEY if org.key_supervision else "") if g in table]
    return min(found) if found else None


@dataclass(frozen=True)
class PlanRow:
    organisation: Organisation
    interval_days: int | None
    last_at: dt.datetime | None
    next_due: dt.date | None
    open_hazards: int

    @property
    def overdue(self) -> bool:
        return self.next_due is not None and self.next_due < timezone.localdate()


def businesses(viewer: Any) -> Any:
    return (
        Organisation.objects.visible_to(viewer)
        .filter(kind=OrganisationKind.BUSINESS, closed_on__isnull=True)
        .select_related("grid")
    )


def inspection_plan(
    viewer: Any, *, key_only: bool = False, grid: Grid | None = None
) -> list[PlanRow]:
    """The businesses the viewer sees with their interval by risk grade, last inspection and
    next date due (never inspected: due now), most urgent first (seed 003: 按规定频次检查)."""
    table = frequencies()
    orgs = businesses(viewer)
    if key_only:
        orgs = orgs.filter(key_supervision=True)
    if grid is not None:
        orgs = orgs.filter(grid__path__startswith=grid.path)
    last = dict(
        Inspection.objects.filter(organisation__in=orgs)
        .values("organisation_id")
        .annotate(last=Max("at"))
        .values_list("organisation_id", "last")
    )
    open_counts: dict[int, int] = {}
    for org_id in (
        Hazard.objects.open()
        .filter(organisation__in=orgs)
        .values_list("organisation_id", flat=True)
    ):
        open_counts[org_id] = open_counts.get(org_id, 0) + 1
    today = timezone.localdate()
    rows = []
    for org in orgs:
        interval = interval_for(org, table)
        last_at = last.get(org.pk)
        next_due = None
        if interval is not None:
            next_due = (
                today if last_at is None else timezone.localdate(last_at) + dt.timedelta(interval)
            )
        rows.append(PlanRow(org, interval, last_at, next_due, open_counts.get(org.pk, 0)))
    far = dt.date.max
    rows.sort(key=lambda r: (r.next_due or far, r.organisation.name))
    return rows


def checklist_for(industry: str) -> Checklist:
    """The active inspection checklist of the industry, else the general one."""
    lists = Checklist.objects.filter(purpose=ChecklistPurpose.INSPECTION, is_active=True)
    found = lists.filter(industry=industry).first() if industry else None
    found = found or lists.filter(industry="").first()
    if found is None:
        raise DomainError(_("没有可用的安全检查表"), field="checklist")
    return found


# --- inspections -------------------------------------------------------------------------------

ON_SPOT = "fix"
ORDER = "order"
MAJOR = "major"
HANDLINGS = (ON_SPOT, ORDER, MAJOR)


@dataclass(frozen=True)
class ItemAnswer:
    """One checklist item as the inspector answered it; a problem says how it is handled."""

    item_id: int
    ok: bool
    note: str = ""
    handling: str = ""
    days: int = DEFAULT_DAYS


@dataclass(frozen=True)
class InspectionResult:
    inspection: Inspection
    created: bool
    hazards: list[Hazard] = field(default_factory=list)


def _check_answers(checklist: Checklist, answers: Sequence[ItemAnswer]) -> dict[int, ItemAnswer]:
    items = set(checklist.items.values_list("pk", flat=True))
    given = {a.item_id: a for a in answers}
    if set(given) != items or len(given) != len(answers):
        raise DomainError(_("请逐项填写检查结果"), field="answers")
    for a in answers:
        if a.ok:
            continue
        if a.handling not in HANDLINGS:
            raise DomainError(_("请选择隐患处置方式"), field=f"handling_{a.item_id}")
        if a.handling == ON_SPOT and not a.note.strip():
            raise DomainError(_("当场整改须填写整改情况"), field=f"note_{a.item_id}")
    return given


@transaction.atomic
def record_inspection(
    *,
    by: Any,
    organisation: Organisation,
    answers: Sequence[ItemAnswer],
    note: str = "",
    lon: float | None = None,
    lat: float | None = None,
    idempotency_key: str | None = None,
    at: dt.datetime | None = None,
) -> InspectionResult:
    """An inspection with every checklist item answered; each problem becomes a hazard, fixed on
    the spot, ordered for rectification within its working days, or reported as major for the
    office to list (seed 003). A repeated key returns the first record. `at` is when the
    inspection was made (a phone sends it later from its outbox), never in the future."""
    if idempotency_key:
        first = Inspection.objects.filter(idempotency_key=idempotency_key).first()
        if first is not None:
            if first.inspector_id != by.pk:
                raise DomainError(_("提交编号已被使用"), field="idempotency_key")
            return InspectionResult(first, created=False, hazards=list(first.hazards.all()))
    if organisation.kind != OrganisationKind.BUSINESS:
        raise DomainError(_("只能检查生产经营单位"), field="organisation")
    grid = organisation.grid
    if not permissions.may_report_in(by, grid.path, grid.region.path):
        raise PermissionDenied(_("无权检查该单位"))
    checklist = checklist_for(organisation.industry)
    given = _check_answers(checklist, answers)
    now = timezone.now()
    if at is not None and at > now + CLOCK_SKEW:
        raise DomainError(_("检查时间不能晚于当前时间"), field="at")
    try:
        with transaction.atomic():
            inspection = Inspection.objects.create(
                organisation=organisation,
                grid=grid,
                checklist=checklist,
                inspector=by,
                at=at or now,
                lon=lon,
                lat=lat,
                note=_text(note, "note", required=False),
                idempotency_key=idempotency_key or None,
            )
    except IntegrityError:
        first = Inspection.objects.get(idempotency_key=idempotency_key)
        return InspectionResult(first, created=False, hazards=list(first.hazards.all()))
    items = {i.pk: i for i in checklist.items.all()}
    InspectionAnswer.objects.bulk_create(
        InspectionAnswer(inspection=inspection, item=items[pk], ok=a.ok, note=a.note[:200])
        for pk, a in given.items()
    )
    hazards = []
    for pk, a in sorted(given.items(), key=lambda kv: items[kv[0]].order):
        if a.ok:
            continue
        text = f"{items[pk].text}:{a.note.strip()}" if a.note.strip() else items[pk].text
        hazard = report_hazard(
            by=by,
            grid=grid,
            description=text,
            source=HazardSource.INSPECTION,
            grade=HazardGrade.MAJOR if a.handling == MAJOR else HazardGrade.ORDINARY,
            organisation=organisation,
            inspection=inspection,
            at=inspection.at,
        )
        if a.handling == ON_SPOT:
            hazard = fix_hazard_on_spot(hazard, by=by, note=a.note)
        elif a.handling == ORDER:
            hazard = order_rectification(hazard, by=by, days=a.days)
        hazards.append(hazard)
    return InspectionResult(inspection, created=True, hazards=hazards)
