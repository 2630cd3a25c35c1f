"""The one case filter (issue 8), used by every door: the API's case list (`GET /cases/`), the
command centre's map, tiles and charts, and the queue pages (NetBox's one FilterSet for the
list page and the API). The state groups are named here once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.models import (
    CLOSED_STATES,
    INVALID_STATES,
    OPEN_STATES,
    CaseQuerySet,
    CaseState,
    Channel,
    PlatformLevel,
)
from gridgov.core.errors import DomainError

S = CaseState

# The case states grouped the way an office talks about them: the command centre's status
# choices, and the API's `status` besides single states (a group's name comes first).
STATE_GROUPS: dict[str, tuple[Any, frozenset[str]]] = {
    "waiting": (
        gettext_lazy("待受理/待派遣"),
        frozenset({S.REPORTED, S.ACCEPTED, S.REGISTERED, S.RETURNED}),
    ),
    "in_hand": (gettext_lazy("处置中"), frozenset({S.DISPATCHED, S.HANDLING})),
    "checking": (gettext_lazy("待核查/待结案"), frozenset({S.FED_BACK, S.VERIFIED})),
    "open": (gettext_lazy("全部未结"), OPEN_STATES),
    "closed": (gettext_lazy("已结案"), CLOSED_STATES),
    "invalid": (gettext_lazy("不予受理/已合并"), INVALID_STATES),
    "recorded": (gettext_lazy("已备案"), frozenset({S.RECORDED})),
}

# The orders a case list may ask for.
ORDERS: dict[str, tuple[str, ...]] = {
    "due_at": ("due_at", "pk"),
    "-created_at": ("-created_at", "-pk"),
    "created_at": ("created_at", "pk"),
    "-updated_at": ("-updated_at", "-pk"),
}
# Case numbers are the report date (8 digits) and the row id; ids past this are not ours.
MAX_ID = 2**63 - 1


def states_of(status: str) -> frozenset[str]:
    """The states a `status` names: a group, or one state; anything else is refused."""
    if status in STATE_GROUPS:
        return STATE_GROUPS[status][1]
    if status in S.values:
        return frozenset({status})
    raise DomainError(_("未知状态 %(s)s") % {"s": status}, field="status")


@dataclass(frozen=True)
class CaseFilters:
    """What a case list is narrowed by; every field is optional. `apply` refuses an unknown
    value with a DomainError naming the field (HTTP 400 in the API)."""

    matter_class: int | None = None
    status: str = ""
    channel: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    grid: str = ""
    department: int | None = None
    category: str = ""
    level: str = ""
    overdue: bool | None = None
    q: str = ""
    order: str = ""

    def apply(self, qs: CaseQuerySet) -> CaseQuerySet:
        if self.matter_class:
            qs = qs.filter(item__matter_class_id=self.matter_class)
        if self.status:
            qs = qs.filter(state__in=sorted(states_of(self.status)))
        if self.channel:
            if self.channel not in Channel.values:
                raise DomainError(_("未知来源渠道 %(c)s") % {"c": self.channel}, field="channel")
            qs = qs.filter(channel=self.channel)
        if self.date_from:
            qs = qs.filter(created_at__gte=local_midnight(self.date_from))
        if self.date_to:
            qs = qs.filter(created_at__lt=local_midnight(self.date_to + dt.timedelta(days=1)))
        if self.grid:
            from gridgov.grids.models import Grid

            root = Grid.objects.filter(code=self.grid).first()
            qs = qs.filter(grid__path__startswith=root.path) if root else qs.none()
        if self.department is not None:
            qs = qs.filter(
                Q(department_id=self.department) | Q(tasks__department_id=self.department)
            ).distinct()
        if self.category:
            qs = qs.filter(Q(item__code=self.category) | Q(item__matter_class__code=self.category))
        if self.level:
            if self.level not in PlatformLevel.values:
                raise DomainError(_("未知层级 %(l)s") % {"l": self.level}, field="level")
            qs = qs.filter(level=self.level)
        if self.overdue is not None:
            overdue_q = Q(state__in=sorted(OPEN_STATES), due_at__lt=timezone.now())
            qs = qs.filter(overdue_q) if self.overdue else qs.exclude(overdue_q)
        if self.q:
            qs = qs.filter(_text_q(self.q.strip()))
        if self.order:
            if self.order not in ORDERS:
                raise DomainError(_("未知排序 %(o)s") % {"o": self.order}, field="order")
            qs = qs.order_by(*ORDERS[self.order])
        return qs


def _text_q(text: str) -> Q:
    match = (
        Q(title__icontains=text)
        | Q(description__icontains=text)
        | Q(external_number=text)
        | Q(tracking_code=text.upper())
    )
    if text.isdigit() and len(text) > 8 and int(text[8:]) <= MAX_ID:
        match |= Q(pk=int(text[8:]))
    return match


def filter_cases(user: Any, filters: CaseFilters, *, queue: str = "") -> CaseQuerySet:
    """The cases the user can see (or those of one work queue), narrowed by `filters`."""
    from gridgov.cases import queues

    if queue:
        if queue not in queues.CASE_QUEUES:
            raise DomainError(_("未知队列 %(q)s") % {"q": queue}, field="queue")
        qs: CaseQuerySet = queues.CASE_QUEUES[queue](user)  # type: ignore[assignment]
    else:
        qs = queues.list_queryset(user).order_by("-created_at", "-pk")
    return filters.apply(qs)


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def month_start(now: dt.datetime | None = None) -> dt.datetime:
    local = timezone.localtime(now or timezone.now())
    return local_midnight(local.date().replace(day=1))
