"""The command centre's filters (category, status group, channel, period), shared by its map
markers, tiles and charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy

from gridgov.cases.models import (
    CLOSED_STATES,
    INVALID_STATES,
    OPEN_STATES,
    CaseQuerySet,
    CaseState,
)


@dataclass(frozen=True)
class CaseFilters:
    matter_class: int | None = None
    state_group: str = ""
    channel: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def apply(self, qs: CaseQuerySet) -> CaseQuerySet:
        if self.matter_class:
            qs = qs.filter(item__matter_class_id=self.matter_class)
        if self.state_group:
            qs = qs.filter(state__in=STATE_FILTERS[self.state_group][1])
        if self.channel:
            qs = qs.filter(channel=self.channel)
        if self.date_from:
            qs = qs.filter(created_at__gte=local_midnight(self.date_from))
        if self.date_to:
            qs = qs.filter(created_at__lt=local_midnight(self.date_to + dt.timedelta(days=1)))
        return qs


# Status filter choices: the case states grouped the way an office talks about them.
STATE_FILTERS: dict[str, tuple[Any, frozenset[str]]] = {
    "waiting": (
        gettext_lazy("待受理/待派遣"),
        frozenset(
            {CaseState.REPORTED, CaseState.ACCEPTED, CaseState.REGISTERED, CaseState.RETURNED}
        ),
    ),
    "handling": (gettext_lazy("处置中"), frozenset({CaseState.DISPATCHED, CaseState.HANDLING})),
    "checking": (
        gettext_lazy("待核查/待结案"),
        frozenset({CaseState.FED_BACK, CaseState.VERIFIED}),
    ),
    "open": (gettext_lazy("全部未结"), frozenset(OPEN_STATES)),
    "closed": (gettext_lazy("已结案"), frozenset(CLOSED_STATES)),
    "invalid": (gettext_lazy("不予受理/已合并"), frozenset(INVALID_STATES)),
}


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def month_start(now: dt.datetime | None = None) -> dt.datetime:
    local = timezone.localtime(now or timezone.now())
    return local_midnight(local.date().replace(day=1))
