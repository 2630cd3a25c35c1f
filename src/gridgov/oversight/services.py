"""Assessment services: score a scheme over a month, publish (freeze) a run, enter the office's
inputs, and take appeals through their lifecycle to a corrected, re-published run."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.grids.models import Grid
from gridgov.oversight.indicators import (
    INDICATORS,
    Counts,
    Period,
    Unit,
    UnitKind,
    compute,
    units_of,
)
from gridgov.oversight.models import (
    Appeal,
    AppealEvent,
    AppealState,
    AssessmentResult,
    AssessmentRun,
    ItemKind,
    ManualScore,
    RateFormula,
    RunState,
    Scheme,
    SchemeItem,
    SurveyResult,
    WhenEmpty,
)
from gridgov.oversight.permissions import require
from gridgov.oversight.workflow import APPEAL_VERBS, PUBLISH_PERM, RAISE_PERM
from gridgov.people.models import Department

CENT = Decimal("0.01")


def _d(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class ItemScore:
    code: str
    name: str
    numerator: float | None
    denominator: float | None
    value: float | None
    points: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": None if self.value is None else round(self.value, 6),
            "points": float(self.points),
        }


@dataclass
class UnitScore:
    unit: Unit
    path: str
    items: list[ItemScore] = field(default_factory=list)

    @property
    def score(self) -> Decimal:
        return _d(sum((i.points for i in self.items), Decimal(0)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit.kind,
            "code": self.unit.code,
            "name": self.unit.name,
            "score": float(self.score),
            "items": [i.as_dict() for i in self.items],
        }


def current_scheme(code: str) -> Scheme:
    scheme = Scheme.objects.filter(code=code, is_current=True).prefetch_related("items").first()
    if scheme is None:
        raise DomainError(_("考核方案不存在:%(code)s") % {"code": code}, field="scheme")
    return scheme


def score_item(
    item: SchemeItem,
    counts: Counts,
    *,
    manual: ManualScore | None = None,
    survey: SurveyResult | None = None,
) -> ItemScore:
    """One item's points (STANDARDS: a rate item scores weight × rate clamped to [0, weight];
    a deduction item loses per_event × count, at most its cap, from its weight)."""
    weight = Decimal(item.weight)
    if item.kind == ItemKind.RATE:
        num, den, value = INDICATORS[item.indicator].measure(counts)
        if value is None:
            points = weight if item.when_empty == WhenEmpty.FULL else Decimal(0)
        else:
            rate = value if item.formula == RateFormula.DIRECT else 1 - value
            points = min(max(weight * Decimal(str(rate)), Decimal(0)), weight)
        return ItemScore(item.code, item.name, num, den, value, _d(points))
    if item.kind == ItemKind.DEDUCTION:
        count, _den, _value = INDICATORS[item.indicator].measure(counts)
        lost = Decimal(item.per_event) * count
        if item.cap:
            lost = min(lost, Decimal(item.cap))
        return ItemScore(item.code, item.name, count, None, float(count), _d(weight - lost))
    if item.kind == ItemKind.MANUAL:
        if manual is None:
            return ItemScore(item.code, item.name, None, None, None, Decimal("0.00"))
        points = min(max(Decimal(manual.points), Decimal(0)), weight)
        return ItemScore(item.code, item.name, float(manual.points), None, None, _d(points))
    # seed 002: 满意 5、一般满意 4、不满意 3 分为基数,按得票数比例计分.
    if survey is None or survey.votes == 0:
        return ItemScore(item.code, item.name, None, None, None, Decimal("0.00"))
    got = 5 * survey.satisfied + 4 * survey.fairly + 3 * survey.dissatisfied
    best = 5 * survey.votes
    value = got / best
    return ItemScore(item.code, item.name, got, best, value, _d(weight * Decimal(got) / best))


def _paths(units: list[Unit]) -> dict[str, str]:
    kind = units[0].kind if units else ""
    if kind in (UnitKind.GRID, UnitKind.VILLAGE, UnitKind.TOWN):
        ids = [u.key for u in units]
        paths = dict(Grid.objects.filter(pk__in=ids).values_list("id", "path"))
        return {u.code: paths.get(u.key, "") for u in units}
    if kind == UnitKind.WORKER:
        grid_ids = {g for u in units for g in u.grid_ids}
        paths = dict(Grid.objects.filter(pk__in=grid_ids).values_list("id", "path"))
        return {
            u.code: min((paths[g] for g in u.grid_ids if g in paths), default="") for u in units
        }
    return {}


def score_units(
    scheme: Scheme, period: Period, unit_kind: str, *, cache: dict[Any, Any] | None = None
) -> list[UnitScore]:
    """Every unit's items under the scheme for the month, from live data (a draft). Pass one
    `cache` dict to several calls for the same month to count the grids once."""
    if scheme.unit_kinds and unit_kind not in scheme.unit_kinds:
        raise DomainError(_("方案%(code)s不适用于该考核对象") % {"code": scheme.code}, field="unit")
    items = list(scheme.items.all())
    measured = compute(unit_kind, period, cache=cache)
    if unit_kind == UnitKind.DEPARTMENT and any(i.indicator == "team_share" for i in items):
        _add_team_scores(period, measured)
    units = [u for u, _c in measured]
    paths = _paths(units)
    manual = {
        (m.item_code, m.unit_code): m
        for m in ManualScore.objects.filter(
            scheme_code=scheme.code, month=period.label, unit_kind=unit_kind
        )
    }
    # The office's counted survey of a unit first; else the residents' answers (surveys.py).
    surveys: dict[str, SurveyResult] = {}
    if any(i.kind == ItemKind.SURVEY for i in items):
        from gridgov.oversight.surveys import survey_results_for

        surveys = survey_results_for(period, unit_kind, units)
    surveys.update(
        {
            s.unit_code: s
            for s in SurveyResult.objects.filter(month=period.label, unit_kind=unit_kind)
        }
    )
    out = []
    for unit, counts in measured:
        row = UnitScore(unit, paths.get(unit.code, ""))
        for item in items:
            row.items.append(
                score_item(
                    item,
                    counts,
                    manual=manual.get((item.code, unit.code)),
                    survey=surveys.get(unit.code),
                )
            )
        out.append(row)
    return out


def team_scheme() -> Scheme | None:
    """The scheme whose scores carry a share of a department's assessment (seed 002:
    工作队考核评分结果占职能部门考核评分的7%)."""
    return (
        Scheme.objects.filter(is_current=True, share_in_department__isnull=False)
        .prefetch_related("items")
        .order_by("code")
        .first()
    )


def _add_team_scores(period: Period, measured: list[tuple[Unit, Counts]]) -> None:
    """A department's work team: the people of the department assessed as workers under the
    team scheme this month (its published run, else a live draft); their scores and the most
    they could score are added to the department's counts."""
    from gridgov.people.models import Staff

    scheme = team_scheme()
    if scheme is None or UnitKind.WORKER not in (scheme.unit_kinds or [UnitKind.WORKER]):
        return
    run = published_run(scheme.code, period.label, UnitKind.WORKER)
    if run is not None:
        scores = {r.code: float(r.score) for r in run.results.all()}
    else:
        scores = {s.unit.code: float(s.score) for s in score_units(scheme, period, UnitKind.WORKER)}
    if not scores:
        return
    departments = dict(
        Staff.objects.filter(user__username__in=list(scores), department__isnull=False).values_list(
            "user__username", "department_id"
        )
    )
    by_dept = {u.key: c for u, c in measured}
    best = scheme.total_weight
    for username, score in scores.items():
        counts = by_dept.get(departments.get(username, -1))
        if counts is not None:
            counts.team_points += score
            counts.team_max += best


def published_run(scheme_code: str, month: str, unit_kind: str) -> AssessmentRun | None:
    return (
        AssessmentRun.objects.filter(
            scheme__code=scheme_code, month=month, unit_kind=unit_kind, state=RunState.PUBLISHED
        )
        .select_related("scheme")
        .first()
    )


def run_rows(run: AssessmentRun) -> list[dict[str, Any]]:
    """A frozen run in the `gridgov assess --json` shape."""
    return [
        {
            "unit": r.unit_kind,
            "code": r.code,
            "name": r.name,
            "score": float(r.score),
            "items": r.items,
        }
        for r in run.results.order_by("rank", "code")
    ]


def _ranked(rows: list[tuple[str, Decimal]]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4) by score, highest first."""
    ordered = sorted(rows, key=lambda r: (-r[1], r[0]))
    ranks: dict[str, int] = {}
    previous: Decimal | None = None
    rank = 0
    for position, (code, score) in enumerate(ordered, start=1):
        if score != previous:
            rank, previous = position, score
        ranks[code] = rank
    return ranks


def _save_results(run: AssessmentRun, rows: list[dict[str, Any]], paths: dict[str, str]) -> None:
    ranks = _ranked([(r["code"], _d(r["score"])) for r in rows])
    AssessmentResult.objects.bulk_create(
        [
            AssessmentResult(
                run=run,
                unit_kind=r["unit"],
                code=r["code"],
                name=r["name"],
                path=paths.get(r["code"], ""),
                department_id_ref=int(r["code"]) if r["unit"] == UnitKind.DEPARTMENT else None,
                user_id_ref=r.get("user_id"),
                score=_d(r["score"]),
                rank=ranks[r["code"]],
                items=r["items"],
            )
            for r in rows
        ],
        batch_size=1000,
    )


@transaction.atomic
def publish_run(
    *, scheme_code: str, month: str, unit_kind: str, by: User, note: str = ""
) -> AssessmentRun:
    """Compute and freeze a month's results (公布): the numbers, manual scores and survey
    figures are stored with the result, so later changes of data do not move a published score.
    Publishing again is refused: a correction goes through an appeal and `republish_run`."""
    require(by, PUBLISH_PERM)
    period = Period.month(month)
    scheme = current_scheme(scheme_code)
    if published_run(scheme_code, month, unit_kind) is not None:
        raise ConflictError(_("该月考核已公布,更正请通过申诉"))
    scored = score_units(scheme, period, unit_kind)
    run = AssessmentRun.objects.create(
        scheme=scheme,
        month=month,
        unit_kind=unit_kind,
        revision=1
        + AssessmentRun.objects.filter(
            scheme__code=scheme_code, month=month, unit_kind=unit_kind
        ).count(),
        state=RunState.PUBLISHED,
        published_at=timezone.now(),
        published_by=by,
        note=note,
    )
    rows = []
    for s in scored:
        row = s.as_dict()
        if unit_kind == UnitKind.WORKER:
            row["user_id"] = s.unit.key
        rows.append(row)
    _save_results(run, rows, {s.unit.code: s.path for s in scored})
    return run


def assess(*, scheme_code: str, month: str, unit_kind: str = UnitKind.GRID) -> list[dict[str, Any]]:
    """The month's results: the published (frozen) run when there is one, else a live draft."""
    period = Period.month(month)
    if unit_kind not in UnitKind.ALL:
        raise DomainError(_("考核对象类别无效:%(kind)s") % {"kind": unit_kind}, field="unit")
    run = published_run(scheme_code, month, unit_kind)
    if run is not None:
        return run_rows(run)
    scored = score_units(current_scheme(scheme_code), period, unit_kind)
    rows = [s.as_dict() for s in scored]
    return sorted(rows, key=lambda r: (-r["score"], r["code"]))


def _unit_in_office_scope(user: User, unit: Unit) -> bool:
    """Whether an assessor's office scope covers the unit: its grid (or every post grid of a
    worker), or, for a department, the department's region. An office may be scoped by grid
    or by region; a grid office's region is that of its grid."""
    scope = scope_of(user)
    if scope.is_admin:
        return True
    grid_roots = scope.all_grid_paths(Role.OFFICE)
    region_roots = set(scope.all_region_paths(Role.OFFICE))
    region_roots |= set(
        Grid.objects.filter(path__in=grid_roots).values_list("region__path", flat=True)
    )

    def under(path: str, roots: Any) -> bool:
        return any(path.startswith(root) for root in roots)

    if unit.kind == UnitKind.DEPARTMENT:
        department = Department.objects.filter(pk=unit.key).select_related("region").first()
        return department is not None and under(department.region.path, region_roots)
    grid_ids = unit.grid_ids if unit.kind == UnitKind.WORKER else (unit.key,)
    grids = Grid.objects.filter(pk__in=grid_ids).values_list("path", "region__path")
    return bool(grids) and all(
        under(path, grid_roots) or under(region_path, region_roots) for path, region_path in grids
    )


@transaction.atomic
def enter_manual_score(
    *,
    scheme_code: str,
    item_code: str,
    month: str,
    unit_kind: str,
    unit_code: str,
    points: Decimal,
    by: User,
    note: str = "",
) -> ManualScore:
    """A named assessor's score for a manual item (思想作风表现 and other qualitative items)."""
    require(by, "oversight.enter_score")
    Period.month(month)
    scheme = current_scheme(scheme_code)
    item = scheme.items.filter(code=item_code, kind=ItemKind.MANUAL).first()
    if item is None:
        raise DomainError(_("该方案没有此人工评分项目"), field="item")
    if not Decimal(0) <= Decimal(points) <= item.weight:
        raise DomainError(_("分值须在 0 到 %(w)s 之间") % {"w": item.weight}, field="points")
    unit = next((u for u in units_of(unit_kind) if u.code == unit_code), None)
    if unit_kind not in UnitKind.ALL or unit is None or not _unit_in_office_scope(by, unit):
        # A unit outside the assessor's territory reads as missing (no existence leak).
        raise DomainError(_("没有该考核对象"), field="unit_code")
    score, _created = ManualScore.objects.update_or_create(
        scheme_code=scheme_code,
        item_code=item_code,
        month=month,
        unit_kind=unit_kind,
        unit_code=unit_code,
        defaults={"points": points, "assessor": by, "note": note, "at": timezone.now()},
    )
    return score


@transaction.atomic
def enter_survey(
    *,
    month: str,
    unit_kind: str,
    unit_code: str,
    satisfied: int,
    fairly: int,
    dissatisfied: int,
    by: User,
) -> SurveyResult:
    """The counted votes of a satisfaction survey (民意测评表, seed 002)."""
    require(by, "oversight.enter_score")
    Period.month(month)
    if min(satisfied, fairly, dissatisfied) < 0:
        raise DomainError(_("票数不能为负"), field="satisfied")
    survey, _created = SurveyResult.objects.update_or_create(
        month=month,
        unit_kind=unit_kind,
        unit_code=unit_code,
        defaults={
            "satisfied": satisfied,
            "fairly": fairly,
            "dissatisfied": dissatisfied,
            "entered_by": by,
            "at": timezone.now(),
        },
    )
    return survey


# -- appeals -----------------------------------------------------------------------------------


def _appeal_event(appeal: Appeal, verb: str, from_state: str, by: User, note: str) -> None:
    AppealEvent.objects.create(
        appeal=appeal, verb=verb, from_state=from_state, to_state=appeal.state, actor=by, note=note
    )


@transaction.atomic
def raise_appeal(
    *,
    result: AssessmentResult,
    item_code: str,
    reason: str,
    by: User,
    requested_points: Decimal | None = None,
) -> Appeal:
    """Appeal (申诉) one item of a published result, with the reason."""
    require(by, RAISE_PERM, result)
    if result.run.state != RunState.PUBLISHED:
        raise ConflictError(_("只能对已公布的考核结果申诉"))
    if item_code not in {i["code"] for i in result.items}:
        raise DomainError(_("考核项目不存在"), field="item_code")
    if not (reason or "").strip():
        raise DomainError(_("请填写申诉理由"), field="reason")
    appeal = Appeal.objects.create(
        result=result,
        item_code=item_code,
        reason=reason.strip(),
        requested_points=requested_points,
        raised_by=by,
    )
    _appeal_event(appeal, "raise", "", by, appeal.reason)
    return appeal


@transaction.atomic
def act_on_appeal(
    *,
    appeal: Appeal,
    verb: str,
    by: User,
    note: str = "",
    corrected_points: Decimal | None = None,
) -> Appeal:
    """Review, accept (with the corrected points) or refuse an appeal; the reason is recorded."""
    spec = APPEAL_VERBS.get(verb)
    if spec is None:
        raise DomainError(_("未知操作"), field="verb")
    appeal = Appeal.objects.select_for_update().select_related("result__run").get(pk=appeal.pk)
    require(by, spec.perm, appeal)
    if appeal.state not in spec.states:
        raise ConflictError(_("申诉当前状态不允许此操作"), state=appeal.state)
    if verb in ("accept", "refuse") and not (note or "").strip():
        raise DomainError(_("请填写处理意见"), field="note")
    if verb == "accept":
        item = next(i for i in appeal.result.items if i["code"] == appeal.item_code)
        if corrected_points is None:
            raise DomainError(_("请填写更正后的分值"), field="corrected_points")
        scheme_item = appeal.result.run.scheme.items.get(code=appeal.item_code)
        if not Decimal(0) <= Decimal(corrected_points) <= max(scheme_item.weight, Decimal(0)):
            raise DomainError(_("更正分值超出该项目分值范围"), field="corrected_points")
        appeal.corrected_points = _d(corrected_points)
        del item
    from_state = appeal.state
    appeal.state = spec.target
    if verb == "review":
        appeal.reviewed_by = by
    else:
        appeal.decided_by = by
        appeal.decided_at = timezone.now()
        appeal.decision_note = note.strip()
    appeal.save()
    _appeal_event(appeal, verb, from_state, by, note)
    return appeal


@transaction.atomic
def republish_run(*, run: AssessmentRun, by: User, note: str = "") -> AssessmentRun:
    """Publish a corrected revision: the frozen results copied, with the accepted appeals'
    points in place; the old revision is kept as superseded."""
    require(by, PUBLISH_PERM)
    run = AssessmentRun.objects.select_for_update().get(pk=run.pk)
    if run.state != RunState.PUBLISHED:
        raise ConflictError(_("只能更正已公布的考核"))
    accepted = list(
        Appeal.objects.filter(result__run=run, state=AppealState.ACCEPTED).select_related("result")
    )
    if not accepted:
        raise DomainError(_("没有已采纳的申诉,无需重新公布"))
    corrections = {(a.result.code, a.item_code): a for a in accepted}
    run.state = RunState.SUPERSEDED
    run.save(update_fields=["state"])
    new = AssessmentRun.objects.create(
        scheme=run.scheme,
        month=run.month,
        unit_kind=run.unit_kind,
        revision=run.revision + 1,
        state=RunState.PUBLISHED,
        supersedes=run,
        published_at=timezone.now(),
        published_by=by,
        note=note,
    )
    rows, paths = [], {}
    for result in run.results.all():
        items = []
        for item in result.items:
            fixed = corrections.get((result.code, item["code"]))
            if fixed is not None:
                item = {**item, "points": float(fixed.corrected_points or 0), "appeal": fixed.pk}
            items.append(item)
        rows.append(
            {
                "unit": result.unit_kind,
                "code": result.code,
                "name": result.name,
                "score": float(sum(Decimal(str(i["points"])) for i in items)),
                "items": items,
                "user_id": result.user_id_ref,
            }
        )
        paths[result.code] = result.path
    _save_results(new, rows, paths)
    for appeal in accepted:
        from_state = appeal.state
        appeal.state = AppealState.APPLIED
        appeal.applied_run = new
        appeal.save(update_fields=["state", "applied_run"])
        _appeal_event(appeal, "apply", from_state, by, note)
    return new


def results_visible_to(user: Any) -> QuerySet[AssessmentResult]:
    from gridgov.oversight.permissions import results_q

    return AssessmentResult.objects.filter(results_q(user))
