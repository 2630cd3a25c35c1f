"""The hazard verbs (safety/workflow.py's table: guard, then act, then log), reporting a hazard
and the deadline sweep."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import ConcurrentTransition, can_proceed

from gridgov.core import workdays
from gridgov.core.calendar import get_calendar
from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.core.notify import in_every_language, notify
from gridgov.fieldwork.safety import permissions
from gridgov.fieldwork.safety.models import (
    Hazard,
    HazardEvent,
    HazardEventKind,
    HazardGrade,
    HazardSource,
    HazardState,
    Inspection,
)
from gridgov.fieldwork.safety.workflow import VERBS, allowed_actions
from gridgov.grids.models import Grid
from gridgov.people.models import Jurisdiction
from gridgov.registry.models import Organisation

E = HazardEventKind
# Default rectification limit in working days, and the bounds of any limit typed in.
DEFAULT_DAYS = 7
MAX_DAYS = 90


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
    visit: Any = None,
) -> Hazard:
    """Record a hazard found in an inspection, a visit, a patrol or a campaign (state 待处置).
    It is linked to the reporter's patrol running at the time (issue 11), and to `visit` when
    a visit's problem is turned into it."""
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
        visit=visit,
    )
    hazard.patrol = running_patrol(by, hazard.found_at)
    if hazard.patrol is None and visit is not None:
        hazard.patrol = visit.patrol
    if hazard.patrol is not None:
        Hazard.objects.filter(pk=hazard.pk).update(patrol=hazard.patrol)
    hazard.number = f"YH{timezone.localdate(hazard.found_at):%Y}{hazard.pk:07d}"
    Hazard.objects.filter(pk=hazard.pk).update(number=hazard.number)
    _record(hazard, E.REPORT, by=by, at=hazard.found_at)
    return hazard


def running_patrol(by: Any, at: dt.datetime) -> Any:
    """The patrol `by` was on at `at`, if any (the latest started, as visits are linked)."""
    from gridgov.fieldwork.models import Patrol

    return (
        Patrol.objects.filter(user_id=by.pk, started_at__lte=at)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=at))
        .order_by("-started_at")
        .first()
    )


@transaction.atomic
def visit_to_hazard(*, visit: Any, by: Any, description: str = "") -> Hazard:
    """One tap: a visit's problem becomes a safety hazard (source 走访) in the visit's grid,
    linked back to the visit. Tapping again returns the same hazard."""
    from gridgov.fieldwork.models import Visit
    from gridgov.fieldwork.visits import OFFICE_ROLES

    locked = Visit.objects.select_for_update().get(pk=visit.pk)
    existing = Hazard.objects.filter(visit_id=locked.pk).first()
    if existing is not None:
        return existing
    if locked.user_id != by.pk and not scope_of(by).has_role(*OFFICE_ROLES):
        raise PermissionDenied(_("只有走访人或网格办可以转为隐患"))
    text = (description or "").strip() or locked.problems
    if not text:
        raise DomainError(_("这次走访没有登记发现的问题"), field="problems")
    return report_hazard(
        by=by,
        grid=locked.grid,
        description=text,
        source=HazardSource.VISIT,
        at=timezone.now(),
        visit=locked,
    )


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


# The service of each verb of the table (the API takes every verb through `act_on_hazard`).
VERB_SERVICES: dict[str, Any] = {
    "fix_on_spot": fix_hazard_on_spot,
    "order": order_rectification,
    "list": list_hazard,
    "complete": complete_rectification,
    "review": review_hazard,
    "urge": urge_hazard,
    "escalate": escalate_hazard,
}


@transaction.atomic
def act_on_hazard(
    hazard: Hazard, *, verb: str, by: Any, version: int | None = None, **arguments: Any
) -> Hazard:
    """One verb of the table on a hazard. `version` is the hazard's version the client last
    saw (its number of events: every step, the sweep's flag included, writes exactly one); if
    the hazard has moved on since, the verb is a 409 under the lock, so a stale action or a
    phone's resend never lands on a later step (a 403 still comes first for a caller without
    the role)."""
    if verb not in VERB_SERVICES:
        raise Http404
    if version is not None:
        fresh = _lock(hazard)
        permissions.require(by, VERBS[verb].perm, fresh)
        current = HazardEvent.objects.filter(hazard_id=fresh.pk).count()
        if version != current:
            raise ConflictError(
                _("隐患已被他人更新(版本 %(theirs)s,当前 %(current)s),请刷新后重试")
                % {"theirs": version, "current": current},
                state=fresh.state,
                allowed=allowed_actions(fresh, by),
            )
    result: Hazard = VERB_SERVICES[verb](hazard, by=by, **arguments)
    return result
