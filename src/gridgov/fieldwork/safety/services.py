"""Business safety and campaigns: inspection plans, inspections, the hazard verbs and campaign
answers. Every write takes the actor as `by`, is atomic and writes its event row; the hazard
verbs follow the table in `safety/workflow.py` (guard, then act, then log)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import ConcurrentTransition, can_proceed

from gridgov.core import workdays
from gridgov.core.calendar import get_calendar
from gridgov.core.errors import ConflictError, DomainError, ReferenceNotFoundError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.core.notify import in_every_language, notify
from gridgov.fieldwork.safety import permissions
from gridgov.fieldwork.safety.models import (
    Campaign,
    CampaignAnswer,
    CampaignOutcome,
    Checklist,
    ChecklistItem,
    ChecklistPurpose,
    Hazard,
    HazardEvent,
    HazardEventKind,
    HazardGrade,
    HazardSource,
    HazardState,
    Inspection,
    InspectionAnswer,
    InspectionFrequency,
)
from gridgov.fieldwork.safety.workflow import VERBS, allowed_actions
from gridgov.grids.models import Grid
from gridgov.people.models import Jurisdiction
from gridgov.registry.models import Organisation, OrganisationKind

E = HazardEventKind
KEY = "key"
# Default rectification limit in working days, and the bounds of any limit typed in.
DEFAULT_DAYS = 7
MAX_DAYS = 90


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


# --- hazards -------------------------------------------------------------------------------------


def _working_days_due(start: dt.datetime, days: int, field_name: str = "days") -> dt.datetime:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise DomainError(
            _("整改期限须为 1–%(max)s 个工作日") % {"max": MAX_DAYS}, field=field_name
        )
    try:
        return workdays.add_workdays(get_calendar(), start, days).due_at
    except (ValueError, LookupError, OverflowError) as exc:
        raise DomainError(
            _("无法按工作日历计算期限:%(error)s") % {"error": exc}, field=field_name
        ) from None


def _record(
    hazard: Hazard,
    kind: str,
    *,
    by: Any,
    from_state: str = "",
    note: str = "",
    at: dt.datetime | None = None,
) -> HazardEvent:
    return HazardEvent.objects.create(
        hazard=hazard,
        kind=kind,
        from_state=from_state,
        to_state=hazard.state,
        actor=by if getattr(by, "is_authenticated", False) else None,
        at=at or timezone.now(),
        level_grid=hazard.level_grid,
        due_at=hazard.due_at,
        note=note,
    )


def _lock(hazard: Hazard) -> Hazard:
    if not Hazard.objects.select_for_update().filter(pk=hazard.pk).values_list("pk", flat=True):
        raise Http404
    fresh: Hazard = Hazard.objects.select_related(
        "grid__region", "level_grid__region", "organisation"
    ).get(pk=hazard.pk)
    return fresh


def _guard(hazard: Hazard, by: Any, verb: str) -> Hazard:
    """403 unless the role part holds; 409 (with what is allowed now) when the state or the
    "now" part does not admit the verb."""
    row = VERBS[verb]
    fresh = _lock(hazard)
    permissions.require(by, row.perm, fresh)
    if fresh.state not in row.states or not permissions.holds_now(by, row.perm, fresh):
        raise ConflictError(
            _("隐患当前状态为“%(state)s”,不能执行“%(action)s”")
            % {"state": HazardState(fresh.state).label, "action": row.label},
            state=fresh.state,
            allowed=allowed_actions(fresh, by),
        )
    return fresh


def _save(hazard: Hazard, by: Any) -> None:
    try:
        hazard.save()
    except ConcurrentTransition:
        raise ConflictError(_("隐患已被他人处理,请刷新后重试"), state=hazard.state) from None


def _text(value: str, field_name: str, *, required: bool = True, limit: int = 2000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("请填写此项"), field=field_name)
    if len(value) > limit:
        raise DomainError(_("内容过长(最多 %(n)s 字)") % {"n": limit}, field=field_name)
    return value


def _office_level_above(grid: Grid) -> Grid | None:
    """The nearest grid above `grid` with a grid office (an operator's platform); the parent
    when no level above has one, None at the top."""
    codes = grid.ancestor_codes()[:-1]
    if not codes:
        return None
    with_office = set(
        Jurisdiction.objects.filter(
            active=True, role=Role.OFFICE, grid__code__in=codes
        ).values_list("grid__code", flat=True)
    )
    for code in reversed(codes):
        if code in with_office:
            return Grid.objects.get(code=code)
    return grid.parent


def _first_level(grid: Grid) -> Grid:
    """The level whose office answers for a new hazard: the nearest level above the unit grid
    with a grid office (its village's work station)."""
    return _office_level_above(grid) or grid


@transaction.atomic
def report_hazard(
    *,
    by: Any,
    grid: Grid,
    description: str,
    source: str,
    grade: str = HazardGrade.ORDINARY,
    organisation: Organisation | None = None,
    inspection: Inspection | None = None,
    at: dt.datetime | None = None,
) -> Hazard:
    """Record a hazard found in an inspection, a visit, a patrol or a campaign (state 待处置)."""
    if not permissions.may_report_in(by, grid.path, grid.region.path):
        raise PermissionDenied(_("无权在该网格上报隐患"))
    if source not in HazardSource.values:
        raise DomainError(_("来源无效"), field="source")
    if grade not in HazardGrade.values:
        raise DomainError(_("隐患等级无效"), field="grade")
    if organisation is not None and organisation.grid_id != grid.pk:
        raise DomainError(_("该单位不在此网格"), field="organisation")
    hazard = Hazard.objects.create(
        number=f"tmp-{timezone.now().timestamp():.6f}"[:20],
        grid=grid,
        level_grid=_first_level(grid),
        organisation=organisation,
        source=source,
        inspection=inspection,
        grade=grade,
        description=_text(description, "description"),
        found_by=by,
        found_at=at or timezone.now(),
    )
    hazard.number = f"YH{timezone.localdate(hazard.found_at):%Y}{hazard.pk:07d}"
    Hazard.objects.filter(pk=hazard.pk).update(number=hazard.number)
    _record(hazard, E.REPORT, by=by, at=hazard.found_at)
    return hazard


@transaction.atomic
def fix_hazard_on_spot(hazard: Hazard, *, by: Any, note: str) -> Hazard:
    """当场整改: rectified while the inspector is there; closed at once."""
    hazard = _guard(hazard, by, "fix_on_spot")
    note = _text(note, "note")
    from_state = hazard.state
    hazard.fix_on_spot(note)
    _save(hazard, by)
    _record(hazard, E.FIX_ON_SPOT, by=by, from_state=from_state, note=note)
    return hazard


@transaction.atomic
def order_rectification(
    hazard: Hazard, *, by: Any, days: int = DEFAULT_DAYS, note: str = ""
) -> Hazard:
    """限期整改: the business rectifies within `days` working days."""
    hazard = _guard(hazard, by, "order")
    from_state = hazard.state
    hazard.order(_working_days_due(timezone.now(), days))
    _save(hazard, by)
    _record(hazard, E.ORDER, by=by, from_state=from_state, note=_text(note, "note", required=False))
    return hazard


@transaction.atomic
def list_hazard(hazard: Hazard, *, by: Any, days: int, measures: str, note: str = "") -> Hazard:
    """挂牌整改 of a major hazard, with the interim safety measures (seed 003: 在限期整改过程中,
    要制定相应安全防范措施)."""
    hazard = _guard(hazard, by, "list")
    measures = _text(measures, "measures")
    from_state = hazard.state
    hazard.list_(_working_days_due(timezone.now(), days), measures)
    _save(hazard, by)
    _record(hazard, E.LIST, by=by, from_state=from_state, note=_text(note, "note", required=False))
    return hazard


@transaction.atomic
def complete_rectification(hazard: Hazard, *, by: Any, note: str) -> Hazard:
    """The business reports the rectification done: it waits for re-inspection (复查)."""
    hazard = _guard(hazard, by, "complete")
    note = _text(note, "note")
    from_state = hazard.state
    hazard.complete(note)
    _save(hazard, by)
    _record(hazard, E.COMPLETE, by=by, from_state=from_state, note=note)
    return hazard


@transaction.atomic
def review_hazard(
    hazard: Hazard, *, by: Any, passed: bool, days: int = DEFAULT_DAYS, note: str = ""
) -> Hazard:
    """复查: passed closes the hazard (销号); failed sends it back with a new deadline, a listed
    hazard to listed rectification, any other to rectification within the deadline."""
    hazard = _guard(hazard, by, "review")
    from_state = hazard.state
    note = _text(note, "note", required=not passed)
    if passed:
        hazard.pass_review()
        kind = E.REVIEW_PASS
    else:
        due = _working_days_due(timezone.now(), days)
        if can_proceed(hazard.fail_listed_review):
            hazard.fail_listed_review(due)
        else:
            hazard.fail_review(due)
        kind = E.REVIEW_FAIL
    _save(hazard, by)
    _record(hazard, kind, by=by, from_state=from_state, note=note)
    return hazard


@transaction.atomic
def urge_hazard(hazard: Hazard, *, by: Any, note: str = "") -> Hazard:
    """催办 an overdue hazard: an event only."""
    hazard = _guard(hazard, by, "urge")
    _record(
        hazard, E.URGE, by=by, from_state=hazard.state, note=_text(note, "note", required=False)
    )
    return hazard


@transaction.atomic
def escalate_hazard(hazard: Hazard, *, by: Any, note: str = "") -> Hazard:
    """上报上级: an overdue hazard goes up one level, to the next grid office above (seed 002:
    beyond a level's remit the matter goes up one level), which then urges or escalates it."""
    hazard = _guard(hazard, by, "escalate")
    parent = _office_level_above(hazard.level_grid)
    if parent is None:  # has_upper_level held under the lock: not reached
        raise ConflictError(_("已是最高层级"), state=hazard.state)
    hazard.level_grid = parent
    Hazard.objects.filter(pk=hazard.pk).update(level_grid=parent)
    _record(
        hazard, E.ESCALATE, by=by, from_state=hazard.state, note=_text(note, "note", required=False)
    )
    return hazard


def _overseers(hazard: Hazard) -> list[Any]:
    """The operators of the level holding the hazard, and the workers of its grid."""
    rows = Jurisdiction.objects.filter(
        Q(role=Role.OFFICE, grid=hazard.level_grid) | Q(role=Role.WORKER, grid=hazard.grid),
        active=True,
    ).select_related("user")
    return list({row.user_id: row.user for row in rows}.values())


def sweep_overdue_hazards(now: dt.datetime | None = None) -> int:
    """Flag every hazard past its deadline once (an OVERDUE event, the system's urging) and tell
    the level's operators and the grid's workers; the operators then urge or escalate it.
    Idempotent: each hazard is claimed by compare-and-set on `overdue_flagged_at`
    (healthchecks), so two sweeps at once flag it once."""
    now = now or timezone.now()
    flagged = 0
    candidates = Hazard.objects.overdue(now).filter(overdue_flagged_at__isnull=True)
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            claimed = (
                Hazard.objects.overdue(now)
                .filter(pk=pk, overdue_flagged_at__isnull=True)
                .update(overdue_flagged_at=now)
            )
            if not claimed:
                continue
            hazard = Hazard.objects.select_related("grid", "level_grid").get(pk=pk)
            _record(hazard, E.OVERDUE, by=None, from_state=hazard.state, at=now)
            title = in_every_language(
                gettext_noop("安全隐患超期未整改:%(number)s %(text)s"),
                number=hazard.number,
                text=hazard.description[:40],
            )
            url = reverse("hazard_detail", args=[hazard.pk])
            for user in _overseers(hazard):
                notify(
                    user=user,
                    kind="hazard_overdue",
                    title=title,
                    url=url,
                    target=hazard,
                    dedupe_key=f"hazard-overdue:{hazard.pk}:{hazard.due_at}",
                )
            flagged += 1
    return flagged


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
) -> InspectionResult:
    """An inspection with every checklist item answered; each problem becomes a hazard, fixed on
    the spot, ordered for rectification within its working days, or reported as major for the
    office to list (seed 003). A repeated key returns the first record."""
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
    try:
        with transaction.atomic():
            inspection = Inspection.objects.create(
                organisation=organisation,
                grid=grid,
                checklist=checklist,
                inspector=by,
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
        )
        if a.handling == ON_SPOT:
            hazard = fix_hazard_on_spot(hazard, by=by, note=a.note)
        elif a.handling == ORDER:
            hazard = order_rectification(hazard, by=by, days=a.days)
        hazards.append(hazard)
    return InspectionResult(inspection, created=True, hazards=hazards)


# --- campaigns ---------------------------------------------------------------------------------


def _require_office(by: Any) -> None:
    if not scope_of(by).has_role(Role.OFFICE):
        raise PermissionDenied(_("只有网格办可以发起专项排查"))


@transaction.atomic
def create_campaign(
    *, by: Any, title: str, items: Iterable[str], grids: Iterable[Grid], deadline: dt.date
) -> Campaign:
    """The office starts a campaign (专项排查) over grids it oversees, with its checklist."""
    _require_office(by)
    texts = [t.strip() for t in items if t and t.strip()]
    if not texts:
        raise DomainError(_("请至少填写一个排查项"), field="items")
    if len(texts) > 50 or any(len(t) > 200 for t in texts):
        raise DomainError(_("排查项最多 50 项,每项最多 200 字"), field="items")
    chosen = list(grids)
    if not chosen:
        raise DomainError(_("请选择排查范围"), field="grids")
    visible = set(
        Grid.objects.visible_to(by)
        .filter(pk__in=[g.pk for g in chosen])
        .values_list("pk", flat=True)
    )
    if any(g.pk not in visible for g in chosen):
        raise ReferenceNotFoundError(_("网格不存在"), field="grids")
    if deadline < timezone.localdate():
        raise DomainError(_("截止日期早于今天"), field="deadline")
    title = _text(title, "title", limit=100)
    checklist = Checklist.objects.create(name=title, purpose=ChecklistPurpose.CAMPAIGN)
    ChecklistItem.objects.bulk_create(
        ChecklistItem(checklist=checklist, order=n, text=t) for n, t in enumerate(texts, 1)
    )
    campaign = Campaign.objects.create(
        title=title, checklist=checklist, deadline=deadline, created_by=by
    )
    campaign.grids.set(chosen)
    return campaign


def campaign_units(campaign: Campaign) -> Any:
    """The unit grids (leaves) within the campaign's scope."""
    q = Q(pk__in=[])
    for path in campaign.grids.values_list("path", flat=True):
        q |= Q(path__startswith=path)
    return Grid.objects.filter(q, children__isnull=True, is_active=True).select_related(
        "parent__parent"
    )


@dataclass(frozen=True)
class AnswerIn:
    item_id: int
    outcome: str
    note: str = ""


@dataclass(frozen=True)
class AnswerResult:
    saved: int
    cases: list[Any]
    hazards: list[Hazard]


@transaction.atomic
def answer_campaign(
    *,
    by: Any,
    campaign: Campaign,
    grid: Grid,
    answers: Sequence[AnswerIn],
    idempotency_key: str = "",
) -> AnswerResult:
    """A unit grid's worker answers campaign items. An item already answered keeps its first
    answer (a resend saves nothing twice); a problem becomes a case through the cases intake,
    or a hazard. Every item must be answered by the deadline, not in one go."""
    from gridgov.cases.intake import report_case
    from gridgov.cases.models import Channel

    if not campaign_units(campaign).filter(pk=grid.pk).exists():
        raise ReferenceNotFoundError(_("该网格不在排查范围内"), field="grid")
    scope = scope_of(by)
    if not (
        scope.is_admin or any(grid.path.startswith(p) for p in scope.all_grid_paths(Role.WORKER))
    ):
        raise PermissionDenied(_("只有本网格的网格员可以填报"))
    items = {i.pk: i for i in campaign.checklist.items.all()}
    done = set(
        CampaignAnswer.objects.filter(campaign=campaign, grid=grid).values_list(
            "item_id", flat=True
        )
    )
    if not answers:
        raise DomainError(_("请至少填写一项"), field="answers")
    cases: list[Any] = []
    hazards: list[Hazard] = []
    saved = 0
    for a in answers:
        item = items.get(a.item_id)
        if item is None:
            raise DomainError(_("排查项不存在"), field=f"outcome_{a.item_id}")
        if a.outcome not in CampaignOutcome.values:
            raise DomainError(_("请选择排查结果"), field=f"outcome_{a.item_id}")
        note = _text(
            a.note, f"note_{a.item_id}", required=a.outcome != CampaignOutcome.DONE, limit=500
        )
        if item.pk in done:
            continue
        case = hazard = None
        description = f"【{campaign.title}】{item.text}:{note}" if note else item.text
        if a.outcome == CampaignOutcome.CASE:
            intake = report_case(
                by=by,
                channel=Channel.PATROL,
                description=description,
                grid_code=grid.code,
                idempotency_key=(f"{idempotency_key}-{item.pk}"[:64] if idempotency_key else None),
            )
            case = intake.case
            cases.append(case)
        elif a.outcome == CampaignOutcome.HAZARD:
            hazard = report_hazard(
                by=by, grid=grid, description=description, source=HazardSource.CAMPAIGN
            )
            hazards.append(hazard)
        CampaignAnswer.objects.create(
            campaign=campaign,
            grid=grid,
            item=item,
            outcome=a.outcome,
            note=note,
            answered_by=by,
            case=case,
            hazard=hazard,
        )
        done.add(item.pk)
        saved += 1
    return AnswerResult(saved, cases, hazards)


@dataclass
class ProgressRow:
    """A grid's progress in a campaign: items answered of those due, problems found."""

    code: str
    name: str
    level: str
    due: int = 0
    answered: int = 0
    problems: int = 0
    children: list[ProgressRow] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.answered / self.due if self.due else 0.0

    @property
    def complete(self) -> bool:
        return self.due > 0 and self.answered >= self.due


def campaign_progress(campaign: Campaign, viewer: Any) -> list[ProgressRow]:
    """Progress per town, with its villages and their unit grids (only grids the viewer
    sees); each level adds up the unit grids below it."""
    n_items = campaign.checklist.items.count()
    units = list(campaign_units(campaign).filter(pk__in=Grid.objects.visible_to(viewer)))
    answered: dict[int, int] = {}
    problems: dict[int, int] = {}
    for grid_id, outcome in CampaignAnswer.objects.filter(
        campaign=campaign, grid__in=units
    ).values_list("grid_id", "outcome"):
        answered[grid_id] = answered.get(grid_id, 0) + 1
        if outcome != CampaignOutcome.DONE:
            problems[grid_id] = problems.get(grid_id, 0) + 1
    towns: dict[str, ProgressRow] = {}
    villages: dict[str, ProgressRow] = {}
    for unit in sorted(units, key=lambda g: g.path):
        village = unit.parent or unit
        town = village.parent or village
        t = towns.setdefault(town.code, ProgressRow(town.code, town.name, "town"))
        v = villages.get(village.code)
        if v is None:
            v = villages[village.code] = ProgressRow(village.code, village.name, "village")
            t.children.append(v)
        u = ProgressRow(
            unit.code,
            unit.name,
            "unit",
            due=n_items,
            answered=answered.get(unit.pk, 0),
            problems=problems.get(unit.pk, 0),
        )
        v.children.append(u)
        for row in (v, t):
            row.due += u.due
            row.answered += u.answered
            row.problems += u.problems
    return list(towns.values())


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    answered: int
    due: int

    @property
    def share(self) -> float:
        return self.answered / self.due if self.due else 0.0


def campaign_summaries(campaigns: Sequence[Campaign], viewer: Any) -> list[CampaignSummary]:
    """Items answered of those due per campaign, over the unit grids the viewer sees, in a
    fixed number of queries however many campaigns (the list page)."""
    ids = [c.pk for c in campaigns]
    scopes: dict[int, list[str]] = {}
    for campaign_id, path in Campaign.grids.through.objects.filter(campaign_id__in=ids).values_list(
        "campaign_id", "grid__path"
    ):
        scopes.setdefault(campaign_id, []).append(path)
    units = list(
        Grid.objects.visible_to(viewer)
        .filter(children__isnull=True, is_active=True)
        .values_list("pk", "path")
    )
    items = dict(
        ChecklistItem.objects.filter(checklist__campaigns__in=ids)
        .values("checklist__campaigns")
        .annotate(n=Count("pk"))
        .values_list("checklist__campaigns", "n")
    )
    unit_ids = [pk for pk, _path in units]
    answered = dict(
        CampaignAnswer.objects.filter(campaign_id__in=ids, grid_id__in=unit_ids)
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )
    out = []
    for c in campaigns:
        roots = tuple(scopes.get(c.pk, ()))
        n_units = sum(1 for _pk, path in units if roots and path.startswith(roots))
        out.append(CampaignSummary(c, answered.get(c.pk, 0), n_units * items.get(c.pk, 0)))
    return out


def open_campaigns_for(user: Any) -> list[tuple[Campaign, Grid, int, int]]:
    """The worker's campaigns to answer: (campaign, unit grid, answered, items) for each unit
    grid of theirs in a campaign's scope, deadline not passed more than a week ago."""
    worker_paths = scope_of(user).all_grid_paths(Role.WORKER)
    out = []
    since = timezone.localdate() - dt.timedelta(days=7)
    for campaign in (
        Campaign.objects.visible_to(user).filter(deadline__gte=since).select_related("checklist")
    ):
        n_items = campaign.checklist.items.count()
        for unit in campaign_units(campaign):
            if any(unit.path.startswith(p) for p in worker_paths):
                n = CampaignAnswer.objects.filter(campaign=campaign, grid=unit).count()
                out.append((campaign, unit, n, n_items))
    return out
