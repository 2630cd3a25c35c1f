"""One file per person (一人一档, seed 000: 月底依据日常记录进行公开公平考核): rewards and
sanctions with reason and approver (定奖惩, seed 001), responsibility contracts (职责状, seed
003), and the file itself read from the case, assessment, warning and training records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.models import CLOSED_STATES, INVALID_STATES, OPEN_STATES, CaseEvent, EventKind
from gridgov.cases.models import Case as CaseModel
from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.grids.models import Grid, RegionLevel
from gridgov.oversight.indicators import MONTH_RE
from gridgov.oversight.models import (
    AssessmentResult,
    EarlyWarning,
    RecordKind,
    ResponsibilityContract,
    RewardSanction,
    RunState,
    Training,
)
from gridgov.oversight.permissions import require
from gridgov.people.models import Post, Staff


def _is_office(user: Any) -> bool:
    scope = scope_of(user)
    return scope.is_admin or scope.has_role(Role.OFFICE)


@transaction.atomic
def record_reward_sanction(
    *,
    staff: Staff,
    kind: str,
    reason: str,
    approver: User,
    decided_on: dt.date,
    by: User,
    month: str = "",
    amount: Decimal | None = None,
) -> RewardSanction:
    """Record a reward or sanction (seed 001: 约谈提醒、通报批评、扣发绩效、开除辞退) with the reason
    and the leader or office who approved it."""
    require(by, "oversight.record_reward_sanction", staff)
    if kind not in RecordKind.values:
        raise DomainError(_("奖惩类别无效"), field="kind")
    if not (reason or "").strip():
        raise DomainError(_("请填写事由"), field="reason")
    if not _is_office(approver):
        raise DomainError(_("批准人须为网格办负责人或管理员"), field="approver")
    if month and not MONTH_RE.match(month):
        raise DomainError(_("月份格式应为 YYYY-MM"), field="month")
    if kind == RecordKind.WITHHOLD and (amount is None or amount <= 0):
        raise DomainError(_("扣发绩效须填写金额"), field="amount")
    if kind != RecordKind.WITHHOLD and amount is not None:
        raise DomainError(_("只有扣发绩效填写金额"), field="amount")
    if decided_on > timezone.localdate():
        raise DomainError(_("决定日期不能晚于今天"), field="decided_on")
    return RewardSanction.objects.create(
        staff=staff,
        kind=kind,
        reason=reason.strip(),
        month=month,
        amount=amount,
        decided_on=decided_on,
        approver=approver,
        recorded_by=by,
    )


@transaction.atomic
def sign_contract(
    *,
    year: int,
    town: Grid,
    village: Grid,
    targets: str,
    scheme_code: str,
    target_score: Decimal,
    signed_on: dt.date,
    town_signatory: Staff,
    village_signatory: Staff,
    by: User,
) -> ResponsibilityContract:
    """Record a responsibility contract (职责状, seed 003) between a town and one of its villages."""
    require(by, "oversight.sign_contract", town)
    if not village.path.startswith(town.path) or village.pk == town.pk:
        raise DomainError(_("村须在该乡镇范围内"), field="village")
    parent = village.parent
    # The grid standing for the village: a village-level region whose parent grid is above it.
    if village.region.level != RegionLevel.VILLAGE or (
        parent is not None and parent.region.level >= RegionLevel.VILLAGE
    ):
        raise DomainError(_("签订对象须为村(社区)"), field="village")
    if not (targets or "").strip():
        raise DomainError(_("请填写目标任务"), field="targets")
    if ResponsibilityContract.objects.filter(
        year=year, village=village, scheme_code=scheme_code
    ).exists():
        raise DomainError(_("该村本年度已签订职责状"), field="village")
    return ResponsibilityContract.objects.create(
        year=year,
        town=town,
        village=village,
        targets=targets.strip(),
        scheme_code=scheme_code,
        target_score=target_score,
        signed_on=signed_on,
        town_signatory=town_signatory,
        village_signatory=village_signatory,
        recorded_by=by,
    )


@dataclass(frozen=True)
class ContractResult:
    month: str
    score: float
    met: bool


def contract_results(contract: ResponsibilityContract) -> list[ContractResult]:
    """The village's published monthly scores of the contract year against its target."""
    rows = (
        AssessmentResult.objects.filter(
            run__scheme__code=contract.scheme_code,
            run__unit_kind="village",
            run__state=RunState.PUBLISHED,
            run__month__startswith=f"{contract.year}-",
            code=contract.village.code,
        )
        .order_by("run__month")
        .values_list("run__month", "score")
    )
    return [ContractResult(m, float(s), s >= contract.target_score) for m, s in rows]


@dataclass
class PersonFile:
    staff: Staff
    posts: list[Post]
    reported: dict[str, int]
    handled: int
    recent_cases: list[CaseModel]
    assessments: list[AssessmentResult]
    records: list[RewardSanction]
    trainings: list[Training]
    warnings: list[EarlyWarning]
    contracts: list[ResponsibilityContract]

    @property
    def training_hours(self) -> Decimal:
        return sum((t.hours for t in self.trainings), Decimal(0))


def person_file(staff: Staff, *, since: dt.datetime | None = None) -> PersonFile:
    """Everything the file of one person holds (the caller has looked the staff up in scope)."""
    since = since or timezone.now() - dt.timedelta(days=366)
    posts = list(staff.posts.select_related("grid", "department").order_by("-started_on", "pk"))
    user_id = staff.user_id
    reported: dict[str, int] = {"total": 0, "open": 0, "closed": 0, "invalid": 0}
    recent: list[CaseModel] = []
    handled = 0
    assessments: list[AssessmentResult] = []
    if user_id:
        mine = CaseModel.objects.filter(reporter_id=user_id)
        counts = mine.aggregate(
            total=Count("pk"),
            open=Count("pk", filter=Q(state__in=OPEN_STATES)),
            closed=Count("pk", filter=Q(state__in=CLOSED_STATES)),
            invalid=Count("pk", filter=Q(state__in=INVALID_STATES)),
        )
        reported = {k: int(v or 0) for k, v in counts.items()}
        recent = list(mine.select_related("grid").order_by("-created_at")[:10])
        handled = (
            CaseEvent.objects.filter(actor_id=user_id, kind=EventKind.FEEDBACK)
            .values("case_id")
            .distinct()
            .count()
        )
        assessments = list(
            AssessmentResult.objects.filter(user_id_ref=user_id, run__state=RunState.PUBLISHED)
            .select_related("run__scheme")
            .order_by("-run__month", "run__scheme__code")
        )
    grid_paths = [p.grid.path for p in posts if p.grid is not None and p.ended_on is None]
    warnings_q = Q(pk__in=[])
    for path in grid_paths:
        warnings_q |= Q(grid__path__startswith=path)
    warnings = list(
        EarlyWarning.objects.filter(warnings_q, raised_at__gte=since)
        .select_related("grid")
        .order_by("-raised_at")[:50]
    )
    contracts = list(
        ResponsibilityContract.objects.filter(
            Q(town_signatory=staff) | Q(village_signatory=staff)
        ).select_related("village", "town")
    )
    return PersonFile(
        staff=staff,
        posts=posts,
        reported=reported,
        handled=handled,
        recent_cases=recent,
        assessments=assessments,
        records=list(staff.rewards_sanctions.select_related("approver").all()),
        trainings=list(staff.trainings.order_by("-held_on")),
        warnings=warnings,
        contracts=contracts,
    )
