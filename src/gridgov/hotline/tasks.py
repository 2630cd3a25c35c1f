"""Background jobs of the hotline app, enqueued by `gridgov scheduler` (settings.GRIDGOV_SCHEDULE).

The weekly round is idempotent: one round per calendar week (a unique constraint), so running the
job hourly makes last week's round once and a missed week is caught up on the next run."""

from __future__ import annotations

from django_tasks import task

from gridgov.hotline.services.crosscheck import run_weekly_round


@task()
def weekly_crosscheck() -> int | None:
    made = run_weekly_round()
    return made.number if made is not None else None


@task()
def quarterly_tier_proposal() -> str | None:
    """Last quarter's tier proposal, once (then the office confirms it on the tiers page)."""
    from gridgov.hotline.services.tiers import propose_last_quarter

    return propose_last_quarter()
