"""Four-colour warnings (蓝黄橙红四级预警, seed 000): rules as versioned data, their evaluation
(idempotent: the scheduler may run it any number of times), automatic and manual lifting, and
warning bulletins (预警通报) issued by hand, acknowledged and reported back by departments.

Rule kinds and their params (levels map a colour to the threshold that raises it; a value at
or above a colour's threshold raises that colour, the highest one wins):
- cluster: N cases of the same class in one unit grid within D days
  {"days": 7, "levels": {"blue": 3, "yellow": 5, "orange": 8}}
- overdue: open cases past their handling deadline in one unit grid
  {"levels": {"blue": 2, "yellow": 4, "orange": 6, "red": 10}}
- surge: hotline-channel cases of a unit grid in the last D days against the grid's own
  baseline (its mean per D days over the previous `baseline_days`), as a ratio; at least
  `min_count` cases {"days": 7, "baseline_days": 56, "min_count": 3,
  "levels": {"blue": 1.5, "yellow": 2, "orange": 3, "red": 4}}
- unvisited: key households (六类户) of one unit grid whose visit by plan is past its cadence's
  deadline (fieldwork's overdue key-household visit tasks), by more than `grace_days` (default 0)
  {"grace_days": 0, "levels": {"blue": 1, "yellow": 3, "orange": 5, "red": 10}}
- hazard_overdue: safety hazards past their rectification deadline in one unit grid
  {"levels": {"blue": 1, "yellow": 2, "orange": 3, "red": 5}}
- hazard_listed: major hazards under listed rectification (挂牌整改) in one unit grid
  {"levels": {"orange": 1, "red": 2}}
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.cases.models import OPEN_STATES, Case, CaseState, Channel, MatterClass
from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.jurisdiction import Role
from gridgov.core.notify import in_every_language, notify
from gridgov.fieldwork.safety.models import Hazard, HazardGrade, HazardState
from gridgov.grids.models import Grid, path_with_ancestors
from gridgov.oversight.models import (
    LEVEL_RANK,
    BulletinRecipient,
    BulletinState,
    EarlyWarning,
    RuleKind,
    WarningBulletin,
    WarningLevel,
    WarningRule,
)
from gridgov.oversight.permissions import require
from gridgov.oversight.workflow import BULLETIN_VERBS
from gridgov.people.models import Department, Jurisdiction

INVALID = (CaseState.REJECTED, CaseState.MERGED)


@dataclass(frozen=True)
class Condition:
    grid_id: int
    level: str
    reason: str
    facts: dict[str, Any]


def _number(params: dict[str, Any], name: str, default: float | None = None) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise DomainError(_("参数 %(name)s 须为正数") % {"name": name}, field=f"params.{name}")
    return float(value)


def validate_rule_params(kind: str, params: Any) -> dict[str, Any]:
    """The params of a rule kind, checked: a clear error names the bad field."""
    if kind not in RuleKind.values:
        raise DomainError(_("预警规则类型无效"), field="kind")
    if not isinstance(params, dict):
        raise DomainError(_("参数须为对象"), field="params")
    levels = params.get("levels")
    if not isinstance(levels, dict) or not levels or set(levels) - set(WarningLevel.values):
        raise DomainError(_("须按蓝、黄、橙、红给出阈值"), field="params.levels")
    previous = 0.0
    for colour in WarningLevel.values:
        if colour in levels:
            value = _number(levels, colour)
            if value <= previous:
                raise DomainError(_("阈值须随等级升高而增大"), field=f"params.levels.{colour}")
            previous = value
    if kind in (RuleKind.CLUSTER, RuleKind.SURGE):
        _number(params, "days")
    if kind == RuleKind.SURGE:
        _number(params, "baseline_days")
        _number(params, "min_count", 1)
    if kind == RuleKind.UNVISITED and params.get("grace_days", 0) != 0:
        _number(params, "grace_days")
    return params


def _level_for(levels: dict[str, float], value: float) -> str | None:
    found = None
    for colour in WarningLevel.values:
        if colour in levels and value >= float(levels[colour]):
            found = colour
    return found


def _cluster(rule: WarningRule, now: dt.datetime) -> dict[str, Condition]:
    days = float(rule.params["days"])
    rows = (
        Case.objects.filter(created_at__gt=now - dt.timedelta(days=days), created_at__lte=now)
        .exclude(state__in=INVALID)
        .filter(item__isnull=False)
        .values("grid_id", "item__matter_class_id")
        .annotate(n=Count("pk"))
    )
    names = dict(MatterClass.objects.values_list("id", "name"))
    out = {}
    for row in rows:
        level = _level_for(rule.params["levels"], row["n"])
        if level is None:
            continue
        cls = row["item__matter_class_id"]
        out[f"{rule.code}:{row['grid_id']}:{cls}"] = Condition(
            row["grid_id"],
            level,
            _("%(days)g天内同类案件(%(cls)s)%(n)d件")
            % {"days": days, "cls": names.get(cls, ""), "n": row["n"]},
            {"count": row["n"], "days": days, "class": names.get(cls, "")},
        )
    return out


def _overdue(rule: WarningRule, now: dt.datetime) -> dict[str, Condition]:
    rows = (
        Case.objects.filter(state__in=OPEN_STATES, due_at__lt=now)
        .values("grid_id")
        .annotate(n=Count("pk"))
    )
    out = {}
    for row in rows:
        level = _level_for(rule.params["levels"], row["n"])
        if level is not None:
            out[f"{rule.code}:{row['grid_id']}"] = Condition(
                row["grid_id"],
                level,
                _("超期未办结案件%(n)d件") % {"n": row["n"]},
                {"overdue": row["n"]},
            )
    return out


def _surge(rule: WarningRule, now: dt.datetime) -> dict[str, Condition]:
    days = float(rule.params["days"])
    baseline_days = float(rule.params["baseline_days"])
    min_count = float(rule.params.get("min_count", 1))
    recent_from = now - dt.timedelta(days=days)
    base_from = recent_from - dt.timedelta(days=baseline_days)
    rows = (
        Case.objects.filter(channel=Channel.HOTLINE, created_at__gt=base_from, created_at__lte=now)
        .exclude(state__in=INVALID)
        .values("grid_id")
        .annotate(
            recent=Count("pk", filter=Q(created_at__gt=recent_from)),
            before=Count("pk", filter=Q(created_at__lte=recent_from)),
        )
    )
    out = {}
    for row in rows:
        if row["recent"] < min_count:
            continue
        baseline = row["before"] * days / baseline_days
        # A grid with no history: each case counts against a baseline of one.
        ratio = row["recent"] / max(baseline, 1.0)
        level = _level_for(rule.params["levels"], ratio)
        if level is not None:
            out[f"{rule.code}:{row['grid_id']}"] = Condition(
                row["grid_id"],
                level,
                _("近%(days)g天热线诉求%(n)d件,为平时的%(r).1f倍")
                % {"days": days, "n": row["recent"], "r": ratio},
                {"recent": row["recent"], "baseline": round(baseline, 2), "ratio": round(ratio, 2)},
            )
    return out


def _unvisited(rule: WarningRule, now: dt.datetime) -> dict[str, Condition]:
    from gridgov.fieldwork.models import VisitPlanKind, VisitTask

    grace = float(rule.params.get("grace_days", 0) or 0)
    rows = (
        VisitTask.objects.overdue(now - dt.timedelta(days=grace))
        .filter(kind=VisitPlanKind.KEY)
        .values("grid_id")
        .annotate(n=Count("household_id", distinct=True))
    )
    return _counts_per_grid(rule, rows, _("重点户逾期未走访%(n)d户"), "unvisited")


def _counts_per_grid(rule: WarningRule, rows: Any, reason: str, fact: str) -> dict[str, Condition]:
    """One condition per unit grid whose count `n` reaches a colour of the rule."""
    out = {}
    for row in rows:
        level = _level_for(rule.params["levels"], row["n"])
        if level is not None:
            out[f"{rule.code}:{row['grid_id']}"] = Condition(
                row["grid_id"], level, reason % {"n": row["n"]}, {fact: row["n"]}
            )
    return out


def _hazard_overdue(rule: WarningRule, now: dt.datetime) -> dict[str, Condition]:
    overdue = Hazard.objects.overdue(now).values("grid_id").annotate(n=Count("pk"))
    return _counts_per_grid(rule, overdue, _("安全隐患超期未整改%(n)d处"), "overdue_hazards")


def _hazard_listed(rule: WarningRule, now: dt.datetime) -> dict[str, Condition]:
    listed = (
        Hazard.objects.filter(state=HazardState.LISTED, grade=HazardGrade.MAJOR)
        .values("grid_id")
        .annotate(n=Count("pk"))
    )
    return _counts_per_grid(rule, listed, _("重大隐患挂牌整改中%(n)d处"), "listed_hazards")


CONDITIONS = {
    RuleKind.CLUSTER: _cluster,
    RuleKind.OVERDUE: _overdue,
    RuleKind.SURGE: _surge,
    RuleKind.UNVISITED: _unvisited,
    RuleKind.HAZARD_OVERDUE: _hazard_overdue,
    RuleKind.HAZARD_LISTED: _hazard_listed,
}


def responsible_users(grid: Grid) -> list[Any]:
    """Operators, workers and leaders whose scope contains the grid (the people responsible)."""
    paths = path_with_ancestors(grid.path)
    region_paths = path_with_ancestors(grid.region.path)
    rows = Jurisdiction.objects.filter(
        Q(grid__path__in=paths) | Q(region__path__in=region_paths),
        active=True,
        role__in=[Role.OFFICE, Role.WORKER, Role.LEADER],
    ).select_related("user")
    return list({row.user_id: row.user for row in rows}.values())


def _announce(warning: EarlyWarning) -> None:
    grid = Grid.objects.select_related("region").get(pk=warning.grid_id)
    title = in_every_language(
        gettext_noop("%(level)s:%(grid)s %(reason)s"),
        level=WarningLevel(warning.level).label,
        grid=grid.name,
        reason=warning.reason,
    )
    for user in responsible_users(grid):
        notify(
            user=user,
            kind="warning",
            title=title,
            target=warning,
            dedupe_key=f"warning:{warning.pk}:{warning.level}",
        )


@dataclass
class EvaluationResult:
    raised: int = 0
    changed: int = 0
    lifted: int = 0


@transaction.atomic
def evaluate_warnings(
    now: dt.datetime | None = None, *, grid_ids: Collection[int] | None = None
) -> EvaluationResult:
    """Bring the warnings in line with the current rules and data; running it twice in a row
    changes nothing the second time. With `grid_ids`, only the warnings of those grids are
    touched (the re-evaluation on new data, oversight/triggers.py)."""
    now = now or timezone.now()
    result = EvaluationResult()
    for rule in WarningRule.objects.filter(is_current=True, is_active=True):
        found = CONDITIONS[RuleKind(rule.kind)](rule, now)
        mine = EarlyWarning.objects.filter(rule_code=rule.code)
        if grid_ids is not None:
            found = {k: c for k, c in found.items() if c.grid_id in grid_ids}
            mine = mine.filter(grid_id__in=list(grid_ids))
        active = {w.key: w for w in mine.active().select_for_update()}
        quiet = {w.key: w for w in mine.filter(quiet_until_clear=True)}
        for key, cond in found.items():
            warning = active.get(key)
            if warning is not None:
                rose = LEVEL_RANK[cond.level] > LEVEL_RANK[warning.level]
                if (warning.level, warning.facts) != (cond.level, cond.facts):
                    warning.level, warning.reason, warning.facts = (
                        cond.level,
                        cond.reason,
                        cond.facts,
                    )
                    warning.rule, warning.updated_at = rule, now
                    warning.save()
                    result.changed += 1
                    if rose:
                        _announce(warning)
                continue
            lifted = quiet.get(key)
            if lifted is not None and LEVEL_RANK[cond.level] <= LEVEL_RANK[lifted.level]:
                continue
            try:
                with transaction.atomic():
                    warning = EarlyWarning.objects.create(
                        rule=rule,
                        rule_code=rule.code,
                        key=key,
                        grid_id=cond.grid_id,
                        level=cond.level,
                        reason=cond.reason,
                        facts=cond.facts,
                        raised_at=now,
                        updated_at=now,
                    )
            except IntegrityError:
                continue  # raised meanwhile by a concurrent run
            result.raised += 1
            _announce(warning)
        for key, warning in active.items():
            if key not in found:
                warning.lifted_at, warning.updated_at = now, now
                warning.lift_note = _("条件已消除,自动解除")
                warning.save()
                result.lifted += 1
        cleared = [w.pk for k, w in quiet.items() if k not in found]
        if cleared:
            EarlyWarning.objects.filter(pk__in=cleared).update(quiet_until_clear=False)
    return result


@transaction.atomic
def lift_warning(*, warning: EarlyWarning, by: User, note: str) -> EarlyWarning:
    """Lift a warning by hand, with a note; it stays quiet until its condition clears."""
    require(by, "oversight.lift_warning", warning)
    if not (note or "").strip():
        raise DomainError(_("请填写解除说明"), field="note")
    updated = EarlyWarning.objects.filter(pk=warning.pk, lifted_at__isnull=True).update(
        lifted_at=timezone.now(),
        lifted_by=by,
        lift_note=note.strip(),
        quiet_until_clear=True,
        updated_at=timezone.now(),
    )
    if not updated:
        raise ConflictError(_("该预警已解除"))
    warning.refresh_from_db()
    return warning


@transaction.atomic
def save_rule(
    *,
    code: str,
    name: str,
    kind: str,
    params: Any,
    by: User,
    note: str = "",
    is_active: bool = True,
) -> WarningRule:
    """Create a rule or its next version (the old version is kept, so every warning keeps the
    rule it was raised under)."""
    require(by, "oversight.change_rule")
    params = validate_rule_params(kind, params)
    if not (name or "").strip():
        raise DomainError(_("请填写规则名称"), field="name")
    versions = WarningRule.objects.select_for_update().filter(code=code)
    # The next number after every version kept, not only after the current one: a current
    # version may have been deleted (a demo reset deletes the rules its accounts wrote), and
    # numbering from an older one would collide with it.
    latest = max(versions.values_list("version", flat=True), default=0)
    versions.filter(is_current=True).update(is_current=False)
    return WarningRule.objects.create(
        code=code,
        version=latest + 1,
        name=name.strip(),
        kind=kind,
        params=params,
        is_active=is_active,
        created_by=by,
        change_note=note,
    )


# -- bulletins ---------------------------------------------------------------------------------


@transaction.atomic
def issue_bulletin(
    *,
    title: str,
    level: str,
    grid: Grid,
    situation: str,
    measures: str,
    deadline: dt.date,
    departments: list[Department],
    by: User,
) -> WarningBulletin:
    """Issue a numbered bulletin (预警通报, seed 000 counts 发布预警6期 in a year)."""
    require(by, "oversight.issue_bulletin", grid)
    if level not in WarningLevel.values:
        raise DomainError(_("预警等级无效"), field="level")
    for field, value in (("title", title), ("situation", situation), ("measures", measures)):
        if not (value or "").strip():
            raise DomainError(_("此项必填"), field=field)
    if not departments:
        raise DomainError(_("请选择相关部门"), field="departments")
    now = timezone.now()
    if deadline < timezone.localdate(now):
        raise DomainError(_("办理时限不能早于今天"), field="deadline")
    year = timezone.localdate(now).year
    # Numbers per year; the unique constraint turns a concurrent issue into a retry.
    for _attempt in range(3):
        number = (
            WarningBulletin.objects.filter(year=year).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        try:
            with transaction.atomic():
                bulletin = WarningBulletin.objects.create(
                    year=year,
                    number=number,
                    title=title.strip(),
                    level=level,
                    grid=grid,
                    situation=situation.strip(),
                    measures=measures.strip(),
                    deadline=deadline,
                    issued_at=now,
                    issued_by=by,
                )
            break
        except IntegrityError:
            continue
    else:
        raise ConflictError(_("期号冲突,请重试"))
    handlers = defaultdict(list)
    for row in Jurisdiction.objects.filter(
        department__in=departments, active=True, role=Role.HANDLER
    ).select_related("user"):
        handlers[row.department_id].append(row.user)
    for department in departments:
        BulletinRecipient.objects.create(bulletin=bulletin, department=department)
        for user in handlers[department.pk]:
            notify(
                user=user,
                kind="warning_bulletin",
                title=in_every_language(
                    gettext_noop("预警通报 %(year)s年第%(n)s期:%(title)s"),
                    year=year,
                    n=number,
                    title=bulletin.title,
                ),
                body=bulletin.measures[:200],
                target=bulletin,
                by=by,
            )
    return bulletin


@transaction.atomic
def act_on_bulletin(
    *, recipient: BulletinRecipient, verb: str, by: User, report: str = ""
) -> BulletinRecipient:
    """A department acknowledges a bulletin, then reports what it did; when every department
    has reported, the bulletin is done."""
    spec = BULLETIN_VERBS.get(verb)
    if spec is None:
        raise DomainError(_("未知操作"), field="verb")
    recipient = BulletinRecipient.objects.select_for_update().get(pk=recipient.pk)
    require(by, spec.perm, recipient)
    if recipient.state not in spec.states:
        raise ConflictError(_("当前状态不允许此操作"), state=recipient.state)
    now = timezone.now()
    if verb == "report":
        if not (report or "").strip():
            raise DomainError(_("请填写落实情况"), field="report")
        recipient.report, recipient.reported_at, recipient.reported_by = report.strip(), now, by
    else:
        recipient.acknowledged_at, recipient.acknowledged_by = now, by
    recipient.state = spec.target
    recipient.save()
    bulletin = recipient.bulletin
    if not bulletin.recipients.exclude(state=spec.target).exists() and verb == "report":
        bulletin.state = BulletinState.CLOSED
        bulletin.save(update_fields=["state"])
    return recipient


def bulletins_visible_to(user: Any) -> Any:
    """Bulletins whose scope lies inside the user's, or above it (a town's bulletin concerns
    its villages and workers), and those sent to the user's departments."""
    from gridgov.core.jurisdiction import scope_of, scope_q

    scope = scope_of(user)
    qs = WarningBulletin.objects.all()
    if scope.is_admin:
        return qs
    q = scope_q(user, grid_field="grid")
    above = {p for path in scope.all_grid_paths() for p in path_with_ancestors(path)}
    if above:
        q |= Q(grid__path__in=sorted(above))
    departments = scope.all_department_ids()
    if departments:
        q |= Q(recipients__department_id__in=sorted(departments))
    return qs.filter(q).distinct()
