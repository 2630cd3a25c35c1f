"""The residents' short survey (群众评价/知晓度): reached without an account from the grid's public
board (its QR code leads to the grid's report page, which links here) or from a closed case's
tracking page; counted per unit grid and month; it feeds the survey items of the schemes
(seed 002's 群众评价满意程度) where the office entered no counted survey of its own.

Seed 002 scores a survey as 满意 5、一般满意 4、不满意 3 分为基数,按得票数比例计分: a rating of
5 counts as 满意, 4 as 一般满意, 1–3 as 不满意.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.models import Case, CaseState
from gridgov.core.errors import ConflictError, DomainError, ReferenceNotFoundError
from gridgov.core.jurisdiction import scope_of
from gridgov.grids.models import Grid, path_with_ancestors
from gridgov.oversight.indicators import SHANGHAI, Period, Unit, UnitKind
from gridgov.oversight.models import ResidentSurvey, SurveyResult, SurveySource

ANSWERED_STATES = (CaseState.CLOSED, CaseState.CALLED_BACK)
# Runs of digits long enough to be a phone or ID number are not kept in a comment.
_NUMBER = re.compile(r"\d[\d\s-]{6,}[\dXx]")


def _clean_comment(text: str) -> str:
    text = (text or "").strip()
    if len(text) > 300:
        raise DomainError(_("意见建议最多 300 字"), field="comment")
    return _NUMBER.sub("***", text)


def _check(knows_worker: Any, rating: Any) -> tuple[bool, int]:
    if not isinstance(knows_worker, bool):
        raise DomainError(_("请回答是否认识网格员"), field="knows_worker")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError(_("评价须为 1 到 5 分"), field="rating")
    return knows_worker, rating


def survey_grid(code: str) -> Grid:
    grid = Grid.objects.active().filter(code=(code or "").strip()).first()
    if grid is None:
        raise ReferenceNotFoundError(_("网格不存在"), field="grid")
    return grid


def _month_of(at: Any) -> str:
    return str(at.astimezone(SHANGHAI).strftime("%Y-%m"))


def submit_survey(
    *, grid: Grid, knows_worker: Any, rating: Any, comment: str = ""
) -> ResidentSurvey:
    """One anonymous answer reached from the grid's board (the caller throttles per address)."""
    knows, score = _check(knows_worker, rating)
    now = timezone.now()
    return ResidentSurvey.objects.create(
        grid=grid,
        month=_month_of(now),
        source=SurveySource.BOARD,
        knows_worker=knows,
        rating=score,
        comment=_clean_comment(comment),
        created_at=now,
    )


def case_for_survey(tracking_code: str) -> Case:
    case = (
        Case.objects.filter(tracking_code=(tracking_code or "").strip().upper())
        .select_related("grid")
        .first()
    )
    if case is None:
        raise ReferenceNotFoundError(_("查询码不存在"), field="tracking_code")
    return case


@transaction.atomic
def submit_case_survey(
    *, tracking_code: str, knows_worker: Any, rating: Any, comment: str = ""
) -> ResidentSurvey:
    """One answer per closed case, reached from its tracking page (after the callback)."""
    knows, score = _check(knows_worker, rating)
    case = case_for_survey(tracking_code)
    if case.state not in ANSWERED_STATES:
        raise ConflictError(_("案件办结后才能评价网格工作"), state=case.state)
    now = timezone.now()
    try:
        with transaction.atomic():
            return ResidentSurvey.objects.create(
                grid_id=case.grid_id,
                month=_month_of(now),
                source=SurveySource.CALLBACK,
                case=case,
                knows_worker=knows,
                rating=score,
                comment=_clean_comment(comment),
                created_at=now,
            )
    except IntegrityError:
        raise ConflictError(_("该案件已评价过网格工作")) from None


def answered(case: Case) -> bool:
    return ResidentSurvey.objects.filter(case=case).exists()


# -- counting ------------------------------------------------------------------------------------


@dataclass
class Tally:
    answers: int = 0
    knows: int = 0
    satisfied: int = 0
    fairly: int = 0
    dissatisfied: int = 0
    rating_sum: int = 0

    def add(self, other: Tally) -> None:
        self.answers += other.answers
        self.knows += other.knows
        self.satisfied += other.satisfied
        self.fairly += other.fairly
        self.dissatisfied += other.dissatisfied
        self.rating_sum += other.rating_sum

    @property
    def awareness(self) -> float | None:
        """知晓率: the share of answers that know their grid worker."""
        return self.knows / self.answers if self.answers else None

    @property
    def mean_rating(self) -> float | None:
        return self.rating_sum / self.answers if self.answers else None

    def as_result(self, month: str, unit_kind: str, code: str) -> SurveyResult:
        """An unsaved SurveyResult of the counts, scored as the office's own survey is."""
        return SurveyResult(
            month=month,
            unit_kind=unit_kind,
            unit_code=code,
            satisfied=self.satisfied,
            fairly=self.fairly,
            dissatisfied=self.dissatisfied,
        )


def tallies_by_grid(
    month: str, answers: QuerySet[ResidentSurvey] | None = None
) -> dict[int, Tally]:
    """Each grid's own answers in the month (not rolled up)."""
    rows = (
        (answers if answers is not None else ResidentSurvey.objects.all())
        .filter(month=month)
        .values("grid_id")
        .annotate(
            n=Count("pk"),
            knows=Count("pk", filter=Q(knows_worker=True)),
            five=Count("pk", filter=Q(rating=5)),
            four=Count("pk", filter=Q(rating=4)),
            low=Count("pk", filter=Q(rating__lte=3)),
            r1=Count("pk", filter=Q(rating=1)),
            r2=Count("pk", filter=Q(rating=2)),
            r3=Count("pk", filter=Q(rating=3)),
        )
    )
    out = {}
    for r in rows:
        out[r["grid_id"]] = Tally(
            answers=r["n"],
            knows=r["knows"],
            satisfied=r["five"],
            fairly=r["four"],
            dissatisfied=r["low"],
            rating_sum=5 * r["five"] + 4 * r["four"] + 3 * r["r3"] + 2 * r["r2"] + r["r1"],
        )
    return out


def rolled_tallies(month: str) -> dict[int, Tally]:
    """Each grid's answers plus those of every grid below it."""
    own = tallies_by_grid(month)
    if not own:
        return {}
    by_path = dict(Grid.objects.values_list("path", "id"))
    path_of = {gid: path for path, gid in by_path.items()}
    rolled: dict[int, Tally] = defaultdict(Tally)
    for gid, tally in own.items():
        for ancestor in path_with_ancestors(path_of.get(gid, "")):
            aid = by_path.get(ancestor)
            if aid is not None:
                rolled[aid].add(tally)
    return dict(rolled)


def survey_results_for(
    period: Period, unit_kind: str, units: list[Unit]
) -> dict[str, SurveyResult]:
    """The residents' answers of the month as counted survey results per unit (unit grids,
    villages and towns by their subtree; a worker by the grids of their posts)."""
    if unit_kind == UnitKind.DEPARTMENT:
        return {}
    rolled = rolled_tallies(period.label)
    if not rolled:
        return {}
    out = {}
    for unit in units:
        tally = Tally()
        for gid in unit.grid_ids if unit_kind == UnitKind.WORKER else (unit.key,):
            found = rolled.get(gid)
            if found is not None:
                tally.add(found)
        if tally.answers:
            out[unit.code] = tally.as_result(period.label, unit_kind, unit.code)
    return out


@dataclass
class GridSummary:
    grid: Grid
    tally: Tally


def survey_summary(user: Any, month: str) -> tuple[list[GridSummary], Tally]:
    """The office's page: per grid in the user's scope, the month's answers (own grid only) and
    the total."""
    Period.month(month)
    grids = Grid.objects.all() if scope_of(user).is_admin else Grid.objects.visible_to(user)
    answers = ResidentSurvey.objects.filter(grid__in=grids)
    own = tallies_by_grid(month, answers)
    names = Grid.objects.in_bulk(list(own))
    rows = [GridSummary(names[gid], t) for gid, t in own.items() if gid in names]
    rows.sort(key=lambda r: r.grid.path)
    total = Tally()
    for row in rows:
        total.add(row.tally)
    return rows, total


def recent_comments(user: Any, month: str, limit: int = 50) -> list[ResidentSurvey]:
    grids = Grid.objects.all() if scope_of(user).is_admin else Grid.objects.visible_to(user)
    return list(
        ResidentSurvey.objects.filter(grid__in=grids, month=month)
        .exclude(comment="")
        .select_related("grid")[:limit]
    )
