"""The two-way assessment (双向考核, seed 003): each month a department rates the dispatch quality
of the platform it works with (a town or county grid), and the platform rates each department's
handling; a score out of 100 with the reason, by a named rater. The ratings feed the
`two_way_rating` items: dept100's 处置质量 (platform → department) and sheet1000's 派遣质量
(departments → the platform's grid, rolled up to the town)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.grids.models import Grid
from gridgov.oversight.indicators import Period
from gridgov.oversight.models import RatingDirection, TwoWayRating
from gridgov.oversight.permissions import require
from gridgov.people.models import Department


def _score(value: Any) -> Decimal:
    try:
        score = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(_("评分须为数字"), field="score") from None
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
        raise DomainError(_("评分须在 0 到 100 之间"), field="score")
    return score.quantize(Decimal("0.01"))


def platforms() -> QuerySet[Grid]:
    """Grids that stand for a platform: those with grids below them (town, village, county)."""
    return Grid.objects.filter(is_active=True, children__isnull=False).distinct().order_by("path")


@transaction.atomic
def rate(
    *,
    direction: str,
    month: str,
    department: Department,
    platform: Grid,
    score: Any,
    note: str,
    by: User,
) -> TwoWayRating:
    """Record (or revise within the month) one rating. A department's handler or head rates the
    platform; an office operator over the platform's grid rates the department."""
    if direction not in RatingDirection.values:
        raise DomainError(_("评价方向无效"), field="direction")
    Period.month(month)
    perm = (
        "oversight.rate_platform"
        if direction == RatingDirection.DEPARTMENT_RATES_PLATFORM
        else "oversight.rate_department"
    )
    require(by, perm, TwoWayRating(department=department, platform=platform))
    if not platform.children.exists():
        raise DomainError(_("请选择平台所在的网格(乡镇、村或县)"), field="platform")
    value = _score(score)
    if not (note or "").strip():
        raise DomainError(_("请填写评价意见"), field="note")
    rating, _created = TwoWayRating.objects.update_or_create(
        month=month,
        direction=direction,
        department=department,
        platform=platform,
        defaults={"score": value, "note": note.strip(), "rater": by, "at": timezone.now()},
    )
    return rating


def ratings_visible_to(user: Any) -> QuerySet[TwoWayRating]:
    """Ratings of the platforms in the user's grid scope and of the user's departments."""
    scope = scope_of(user)
    rows = TwoWayRating.objects.select_related("department", "platform", "rater")
    if scope.is_admin:
        return rows
    q = Q(pk__in=[])
    for path in sorted(scope.all_grid_paths()):
        q |= Q(platform__path__startswith=path)
    for path in sorted(scope.all_region_paths()):
        q |= Q(platform__region__path__startswith=path)
    departments = scope.all_department_ids()
    if departments:
        q |= Q(department_id__in=sorted(departments))
    return rows.filter(q)


def rater_departments(user: Any) -> QuerySet[Department]:
    return Department.objects.filter(
        pk__in=sorted(scope_of(user).all_department_ids(Role.HANDLER)), is_active=True
    )
