"""The dates the platform believes, set once: a date outside them is a typing slip (a post
starting 9999-12-31 that shows on the public board, a hotline call received in 1900), refused
with the field named instead of stored."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError

# Grid management began with Beijing Dongcheng's 2004 pilot, and the working-day calendar (hence
# every deadline) starts in 2004: nothing the platform records happened earlier.
EARLIEST = dt.date(2004, 1, 1)
# A post or a liaison may be entered ahead of its start, up to a year.
AHEAD_DAYS = 366


def latest_date() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=AHEAD_DAYS)


def check_plausible_date(day: dt.date | None, *, field: str) -> None:
    """Refuse a date before 2004 or more than a year ahead (None passes)."""
    if day is None:
        return
    latest = latest_date()
    if not EARLIEST <= day <= latest:
        raise DomainError(
            _("%(field)s 须在 %(first)s 与 %(last)s 之间")
            % {"field": field, "first": EARLIEST.isoformat(), "last": latest.isoformat()},
            field=field,
        )


def check_plausible_past(at: dt.datetime | None, *, field: str) -> None:
    """Refuse a moment before 2004 (None passes); the caller bounds the future itself, since
    what counts as 'now' differs (a hotline call may not be later than the transfer)."""
    if at is None:
        return
    if timezone.localtime(at).date() < EARLIEST:
        raise DomainError(
            _("%(field)s 不能早于 %(first)s") % {"field": field, "first": EARLIEST.isoformat()},
            field=field,
        )
