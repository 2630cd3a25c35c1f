"""Back-tracing rounds (倒查; seed 001: 回溯倒查基层网格主动治理情况 … 共开展问题倒查33期) and the
discovery rate (STANDARDS: matched records over all records of a grid received in the period).

A round takes the records received in its period and looks, for each, for a grid-reported case
(the rule's channels; any state but rejected or merged) in the same unit grid or within the
rule's distance, of the record's item or of its class, reported before the record and at most
the rule's hours earlier. The match and its evidence are stored; an unmatched record is
未主动发现 for its unit grid, whose worker (seen by the station) gets a task with a deadline in
working days to explain or correct. A later round over the same record supersedes the earlier
result, so the discovery rate of any period counts each record once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.location import distance_m
from gridgov.cases.models import INVALID_STATES, Case, Channel
from gridgov.core.calendar import get_calendar
from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.workdays import add_workdays
from gridgov.grids.models import Grid
from gridgov.hotline.models import (
    BacktraceTask,
    CrosscheckResult,
    CrosscheckRound,
    CrosscheckRule,
    HotlineRecord,
    HotlineSource,
)
from gridgov.hotline.permissions import require
from gridgov.hotline.workflow import VERBS
from gridgov.people.models import Post, PostKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_PERIOD_DAYS = 366
WORKER_POSTS = (PostKind.WORKER_FULL, PostKind.WORKER_PART, PostKind.GRID_LEADER)


def current_rule() -> CrosscheckRule:
    """The one rule row, created with the STANDARDS defaults on first use."""
    rule = CrosscheckRule.objects.order_by("pk").first()
    if rule is None:
        rule = CrosscheckRule.objects.create(channels=[Channel.PATROL])
    return rule


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, instant after the last day) in the platform's time zone."""
    tz = timezone.get_default_timezone()
    first = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return first, after


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise DomainError(_("截止日早于起始日"), field="to")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise DomainError(_("一期倒查最长 %(n)d 天") % {"n": MAX_PERIOD_DAYS}, field="to")


@dataclass(frozen=True)
class _Candidate:
    pk: int
    grid_id: int
    lon: float | None
    lat: float | None
    item_id: int | None
    class_id: int | None
    at: dt.datetime


def _candidates(
    rule: CrosscheckRule, first: dt.datetime, last: dt.datetime
) -> dict[int, list[_Candidate]]:
    """Grid-reported cases that could match a record received in [first, last], by class."""
    window = dt.timedelta(hours=rule.window_hours)
    channels = rule.channels or [Channel.PATROL]
    rows = (
        Case.objects.filter(
            channel__in=channels,
            created_at__gte=first - window,
            created_at__lt=last,
            item__isnull=False,
        )
        .exclude(state__in=INVALID_STATES)
        .values_list(
            "pk", "grid_id", "lon", "lat", "item_id", "item__matter_class_id", "created_at"
        )
    )
    by_class: dict[int, list[_Candidate]] = defaultdict(list)
    for row in rows.order_by():
        candidate = _Candidate(*row)
        if candidate.class_id is not None:
            by_class[candidate.class_id].append(candidate)
    return by_class


@dataclass(frozen=True)
class _Match:
    case_id: int
    same_grid: bool
    same_item: bool
    distance: float | None
    minutes: int


def _match(
    record: HotlineRecord, class_id: int | None, pool: list[_Candidate], rule: CrosscheckRule
) -> _Match | None:
    """The best grid case for a record: same item before same class, then the latest report,
    then the nearest."""
    if record.item_id is None or class_id is None:
        return None  # an unclassified record has no category to compare
    window = dt.timedelta(hours=rule.window_hours)
    best: tuple[Any, ...] | None = None
    found: _Match | None = None
    for c in pool:
        if not (record.received_at - window <= c.at < record.received_at):
            continue
        distance = None
        if record.lon is not None and c.lon is not None and c.lat is not None:
            distance = distance_m(record.lon, record.lat, c.lon, c.lat)  # type: ignore[arg-type]
        same_grid = record.grid_id is not None and c.grid_id == record.grid_id
        if not same_grid and (distance is None or distance > rule.distance_m):
            continue
        same_item = c.item_id == record.item_id
        key = (same_item, c.at, -(distance if distance is not None else 0.0), -c.pk)
        if best is None or key > best:
            best = key
            found = _Match(
                case_id=c.pk,
                same_grid=same_grid,
                same_item=same_item,
                distance=distance,
                minutes=int((record.received_at - c.at).total_seconds() // 60),
            )
    return found


def _worker_of(grid_id: int) -> int | None:
    """The user of the grid's worker post (the first full-time one, else part-time or leader)."""
    posts = (
        Post.objects.filter(grid_id=grid_id, kind__in=WORKER_POSTS, ended_on__isnull=True)
        .exclude(staff__user__isnull=True)
        .values_list("kind", "staff__user_id")
        .order_by("pk")
    )
    ranked = sorted(posts, key=lambda p: WORKER_POSTS.index(p[0]))
    return ranked[0][1] if ranked else None


@transaction.atomic
def run_crosscheck(
    *,
    start: dt.date,
    end: dt.date,
    by: User | None,
    source: HotlineSource | None = None,
    weekly: bool = False,
) -> CrosscheckRound:
    """Run one numbered round over the records received from `start` to `end` (inclusive)."""
    require(by, "hotline.run_crosscheck")
    check_period(start, end)
    rule = current_rule()
    first, after = period_bounds(start, end)
    records_qs = HotlineRecord.objects.counted().filter(
        received_at__gte=first, received_at__lt=after
    )
    if source is not None:
        records_qs = records_qs.filter(source=source)
    if by is not None:
        records_qs = records_qs.visible_to(by)
    records = list(records_qs.select_related("item").order_by("received_at", "pk"))
    number = (CrosscheckRound.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    round_ = CrosscheckRound.objects.create(
        number=number, period_start=start, period_end=end, source=source, weekly=weekly, by=by
    )
    pool = _candidates(rule, first, after) if records else {}
    now = timezone.now()
    results: list[CrosscheckResult] = []
    for record in records:
        class_id = record.item.matter_class_id if record.item is not None else None
        match = _match(record, class_id, pool.get(class_id or 0, []), rule)
        results.append(
            CrosscheckResult(
                round=round_,
                record=record,
                grid_id=record.grid_id,
                case_id=match.case_id if match else None,
                matched=match is not None,
                same_grid=bool(match and match.same_grid),
                same_item=bool(match and match.same_item),
                distance_m=match.distance if match else None,
                minutes_before=match.minutes if match else None,
            )
        )
    CrosscheckResult.objects.filter(record__in=[r.pk for r in records], superseded=False).update(
        superseded=True
    )
    CrosscheckResult.objects.bulk_create(results, batch_size=2000)
    due = add_workdays(get_calendar(), now, rule.task_days).due_at
    workers: dict[int, int | None] = {}
    tasks = []
    for result in results:
        if result.matched or result.grid_id is None:
            continue
        if result.grid_id not in workers:
            workers[result.grid_id] = _worker_of(result.grid_id)
        tasks.append(
            BacktraceTask(
                result=result,
                grid_id=result.grid_id,
                assignee_id=workers[result.grid_id],
                due_at=due,
            )
        )
    BacktraceTask.objects.bulk_create(tasks, batch_size=2000)
    round_.records = len(results)
    round_.matched = sum(1 for r in results if r.matched)
    round_.save(update_fields=["records", "matched"])
    return round_


@transaction.atomic
def answer_backtrace(*, task: BacktraceTask, verb: str, answer: str, by: User) -> BacktraceTask:
    """The worker (or the station) explains why the grid missed it, or reports the correction."""
    return _act(task, verb, by=by, answer=answer, kinds=("explain", "correct"))


@transaction.atomic
def review_backtrace(*, task: BacktraceTask, verb: str, by: User, note: str = "") -> BacktraceTask:
    """The office accepts the answer or sends it back."""
    return _act(task, verb, by=by, answer=note, kinds=("accept", "reopen"))


def _act(
    task: BacktraceTask, verb: str, *, by: User, answer: str, kinds: tuple[str, ...]
) -> BacktraceTask:
    if verb not in kinds:
        raise DomainError(_("未知的操作:%(v)s") % {"v": verb}, field="action")
    row = VERBS[verb]
    require(by, row.perm, task)
    answer = (answer or "").strip()
    if verb in ("explain", "correct") and not answer:
        raise DomainError(_("请填写说明或整改情况"), field="answer")
    # Compare-and-set on the state: two answers at once, one wins, the other gets 409.
    now = timezone.now()
    changes: dict[str, Any] = {"state": row.target}
    if verb in ("explain", "correct"):
        changes |= {"answer": answer[:4000], "answered_at": now, "answered_by": by}
    elif verb == "accept":
        changes |= {"accepted_at": now, "accepted_by": by}
    updated = BacktraceTask.objects.filter(pk=task.pk, state__in=row.states).update(**changes)
    if not updated:
        task.refresh_from_db()
        raise ConflictError(
            _("倒查任务状态已变为“%(s)s”") % {"s": task.get_state_display()}, state=task.state
        )
    task.refresh_from_db()
    return task


@dataclass(frozen=True)
class GridRate:
    """A grid's discovery figures for a period."""

    code: str
    name: str
    depth: int
    records: int
    matched: int

    @property
    def rate(self) -> float | None:
        return self.matched / self.records if self.records else None


def discovery_rates(
    *,
    start: dt.date,
    end: dt.date,
    source: HotlineSource | None = None,
    grids: Any = None,
) -> list[GridRate]:
    """Every grid of `grids` (all active grids by default) with the records of its subtree
    received in the period and how many a grid case found first (current results only)."""
    first, after = period_bounds(start, end)
    results = CrosscheckResult.objects.filter(
        superseded=False,
        grid__isnull=False,
        record__received_at__gte=first,
        record__received_at__lt=after,
    ).exclude(record__status="cancelled")
    if source is not None:
        results = results.filter(record__source=source)
    per_leaf = results.values("grid__path").annotate(
        records=Count("pk"), matched=Count("pk", filter=Q(matched=True))
    )
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in per_leaf.order_by():
        parts = [p for p in row["grid__path"].split("/") if p]
        for code in parts:
            totals[code][0] += row["records"]
            totals[code][1] += row["matched"]
    grids = Grid.objects.active() if grids is None else grids
    out = []
    for grid in grids.select_related("level").order_by("path"):
        records, matched = totals.get(grid.code, (0, 0))
        out.append(GridRate(grid.code, grid.name, grid.level.depth, records, matched))
    return out


def round_trend(
    *, root: Grid | None = None, source: HotlineSource | None = None
) -> list[dict[str, Any]]:
    """Discovery rate of each round (oldest first) for a grid subtree: the chart's series."""
    results = CrosscheckResult.objects.filter(grid__isnull=False)
    if root is not None:
        results = results.filter(grid__path__startswith=root.path)
    if source is not None:
        results = results.filter(round__source=source)
    rows = (
        results.values("round__number", "round__period_start", "round__period_end")
        .annotate(records=Count("pk"), matched=Count("pk", filter=Q(matched=True)))
        .order_by("round__number")
    )
    return [
        {
            "round": r["round__number"],
            "from": r["round__period_start"].isoformat(),
            "to": r["round__period_end"].isoformat(),
            "records": r["records"],
            "matched": r["matched"],
            "discovery_rate": r["matched"] / r["records"] if r["records"] else None,
        }
        for r in rows
    ]


def last_week(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday of the calendar week before `today`'s."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)


def run_weekly_round(*, today: dt.date | None = None) -> CrosscheckRound | None:
    """The scheduler's round for last week, once: None when it already ran."""
    today = today or timezone.localdate()
    start, end = last_week(today)
    if CrosscheckRound.objects.filter(weekly=True, period_start=start, period_end=end).exists():
        return None
    from django.db import IntegrityError

    try:
        return run_crosscheck(start=start, end=end, by=None, weekly=True)
    except IntegrityError:
        return None  # a concurrent run made it
