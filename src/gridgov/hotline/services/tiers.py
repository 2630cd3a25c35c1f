"""Quarterly tier proposals for unit grids (网格分级; seed 001 tiers its 547 village grids by
hotline volume; tiers drive the patrol standards), confirmed by the grid office before they apply.

The rule, per unit grid and quarter (records received in the quarter, cancelled ones left out):
- tier 1 (重点): hotline volume in the top fifth of the grids that had any, or a discovery rate
  below 50 % over at least 3 records (the grid misses what residents report);
- tier 3: no hotline record in the quarter;
- tier 2 otherwise.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.core.errors import DomainError
from gridgov.grids.models import Grid
from gridgov.grids.services import update_grid
from gridgov.hotline.models import (
    CrosscheckResult,
    HotlineRecord,
    TierProposal,
    TierProposalState,
)
from gridgov.hotline.permissions import require

if TYPE_CHECKING:
    from django.contrib.auth.models import User

QUARTER = re.compile(r"(\d{4})Q([1-4])")
TOP_SHARE = 0.2
LOW_DISCOVERY = 0.5
MIN_RECORDS_FOR_RATE = 3
REASONS = {
    "volume": gettext_noop("热线工单量居前五分之一"),
    "discovery": gettext_noop("主动发现率低于 50%"),
    "none": gettext_noop("本季度无热线工单"),
    "normal": gettext_noop("工单量和发现率正常"),
}


def quarter_bounds(quarter: str) -> tuple[dt.datetime, dt.datetime]:
    found = QUARTER.fullmatch(quarter.strip())
    if not found:
        raise DomainError(_("季度须写作 YYYYQn,如 2026Q1"), field="quarter")
    year, q = int(found.group(1)), int(found.group(2))
    tz = timezone.get_default_timezone()
    start = dt.datetime(year, 3 * q - 2, 1, tzinfo=tz)
    end = (
        dt.datetime(year + 1, 1, 1, tzinfo=tz)
        if q == 4
        else dt.datetime(year, 3 * q + 1, 1, tzinfo=tz)
    )
    return start, end


def last_quarter(today: dt.date) -> str:
    q = (today.month - 1) // 3 + 1
    return f"{today.year - 1}Q4" if q == 1 else f"{today.year}Q{q - 1}"


def _proposed(records: int, matched: int, threshold: float) -> tuple[int, str]:
    if records == 0:
        return 3, "none"
    if records >= threshold:
        return 1, "volume"
    if records >= MIN_RECORDS_FOR_RATE and matched / records < LOW_DISCOVERY:
        return 1, "discovery"
    return 2, "normal"


@transaction.atomic
def propose_tiers(*, quarter: str, by: User | None) -> list[TierProposal]:
    """Propose (or propose again, replacing unconfirmed proposals) every unit grid's tier."""
    require(by, "hotline.run_crosscheck")
    start, end = quarter_bounds(quarter)
    volume = dict(
        HotlineRecord.objects.counted()
        .filter(received_at__gte=start, received_at__lt=end, grid__isnull=False)
        .values("grid")
        .annotate(n=Count("pk"))
        .values_list("grid", "n")
    )
    found = dict(
        CrosscheckResult.objects.filter(
            superseded=False,
            record__received_at__gte=start,
            record__received_at__lt=end,
            grid__isnull=False,
        )
        .exclude(record__status="cancelled")
        .values("grid")
        .annotate(n=Count("pk", filter=Q(matched=True)))
        .values_list("grid", "n")
    )
    counts = sorted((n for n in volume.values() if n), reverse=True)
    top = max(1, math.ceil(len(counts) * TOP_SHARE)) if counts else 0
    threshold = counts[top - 1] if counts else math.inf
    grids = Grid.objects.active().leaves()
    if by is not None:
        grids = grids.visible_to(by)
    out = []
    for grid in grids.order_by("code"):
        records, matched = volume.get(grid.pk, 0), found.get(grid.pk, 0)
        tier, reason = _proposed(records, matched, threshold)
        existing = TierProposal.objects.filter(quarter=quarter, grid=grid).first()
        if existing is not None and existing.state == TierProposalState.CONFIRMED:
            out.append(existing)
            continue
        proposal, _created = TierProposal.objects.update_or_create(
            quarter=quarter,
            grid=grid,
            defaults={
                "current_tier": grid.tier,
                "proposed_tier": tier,
                "records": records,
                "matched": matched,
                "reason": REASONS[reason],
            },
        )
        out.append(proposal)
    return out


@transaction.atomic
def confirm_tiers(*, proposals: Any, by: User) -> int:
    """The office confirms proposals (those it can see): each grid takes its proposed tier."""
    require(by, "hotline.confirm_tiers")
    done = 0
    for proposal in proposals.filter(state=TierProposalState.PROPOSED).select_related("grid"):
        if proposal.grid.tier != proposal.proposed_tier:
            update_grid(proposal.grid, by=by, tier=proposal.proposed_tier)
        proposal.state = TierProposalState.CONFIRMED
        proposal.confirmed_by = by
        proposal.confirmed_at = timezone.now()
        proposal.save(update_fields=["state", "confirmed_by", "confirmed_at"])
        done += 1
    return done


def propose_last_quarter(*, today: dt.date | None = None) -> str | None:
    """The scheduler's quarterly proposal, once per quarter."""
    quarter = last_quarter(today or timezone.localdate())
    if TierProposal.objects.filter(quarter=quarter).exists():
        return None
    propose_tiers(quarter=quarter, by=None)
    return quarter
