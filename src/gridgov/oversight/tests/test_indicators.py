"""Indicators on hand-made data with known answers (STANDARDS.md period rules)."""

from __future__ import annotations

import pytest

from gridgov.core.errors import DomainError
from gridgov.oversight.indicators import INDICATORS, Period, UnitKind, compute, units_of
from gridgov.oversight.tests.conftest import at


def by_code(kind: str, month: str = "2026-03") -> dict:
    return {u.code: c for u, c in compute(kind, Period.month(month))}


def rate(code: str, counts) -> float | None:
    return INDICATORS[code].measure(counts)[2]


def test_month_is_shanghai_calendar_month():
    p = Period.month("2026-12")
    assert p.start.isoformat() == "2026-12-01T00:00:00+08:00"
    assert p.end.isoformat() == "2027-01-01T00:00:00+08:00"
    for bad in ("2026-13", "2026-3", "march", ""):
        with pytest.raises(DomainError):
            Period.month(bad)


def test_unit_kinds_resolve_to_the_cast(town):
    assert [u.code for u in units_of(UnitKind.GRID)] == [
        town.a1.code,
        town.a2.code,
        town.b1.code,
        town.b2.code,
    ]
    assert [u.code for u in units_of(UnitKind.VILLAGE)] == [
        town.village_a.code,
        town.village_b.code,
    ]
    assert [u.code for u in units_of(UnitKind.TOWN)] == [town.town.code]
    workers = {u.code: u for u in units_of(UnitKind.WORKER)}
    assert workers["worker_a1"].grid_ids == (town.a1.pk,)
    with pytest.raises(DomainError):
        units_of("planet")


def test_closure_rates_follow_the_deadline_month(town, make_case):
    # Due in March: closed on time, closed late in March, closed in April, still open.
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9))
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 20))
    make_case("A1", state="closed", due=at(3, 31, 23), closed=at(4, 2))
    make_case("A1", state="dispatched", due=at(3, 15))
    # Not due in March: deadline in April; rejected and merged cases never count.
    make_case("A1", state="closed", due=at(4, 1, 0, 0), closed=at(3, 30))
    make_case("A1", state="rejected", due=at(3, 10))
    make_case("A1", state="merged", due=at(3, 10))
    # Closed on the spot without a deadline: due, closed and on time at its closing time.
    make_case("A2", state="closed", due=None, closed=at(3, 1, 0, 0))
    make_case("A2", state="closed", due=None, closed=at(2, 28, 23, 59))
    grids = by_code(UnitKind.GRID)
    a1 = grids[town.a1.code]
    assert (a1.due, a1.closed, a1.closed_on_time) == (4, 2, 1)
    assert rate("closure_rate", a1) == 0.5
    assert rate("on_time_closure_rate", a1) == 0.25
    a2 = grids[town.a2.code]
    assert (a2.due, a2.closed, a2.closed_on_time) == (1, 1, 1)
    # A case belongs to every grid above it.
    village = by_code(UnitKind.VILLAGE)[town.village_a.code]
    assert (village.due, village.closed, village.closed_on_time) == (5, 3, 2)
    assert by_code(UnitKind.TOWN)[town.town.code].due == 5
    assert rate("closure_rate", grids[town.b1.code]) is None


def test_tianmen_published_check(town, make_case):
    # STANDARDS: 应结案 972, 结案 911 → 93.72 %; 按期 737 → 75.82 %.
    for n in range(972):
        closed = at(12, 10) if n < 737 else (at(12, 20) if n < 911 else None)
        make_case("B2", state="closed" if closed else "handling", due=at(12, 15), closed=closed)
    b2 = by_code(UnitKind.GRID, "2026-12")[town.b2.code]
    assert round(rate("closure_rate", b2) * 100, 2) == 93.72
    assert round(rate("on_time_closure_rate", b2) * 100, 2) == 75.82


def test_handling_rework_and_extension(town, make_case, make_task):
    from gridgov.cases.models import ExtensionRequest

    c1 = make_case("B1", state="closed", due=at(3, 10), closed=at(3, 9), rework=1)
    c2 = make_case("B1", state="handling", due=at(3, 12))
    c3 = make_case("B1", state="handling", due=at(5, 12))
    make_task(c1, due=at(3, 5), fed_back=at(3, 5))  # on time
    make_task(c2, due=at(3, 6), fed_back=at(3, 7))  # late
    t3 = make_task(c2, due=at(3, 8), fed_back=None, state="returned")  # returned: counts, late
    make_task(c3, due=at(3, 9), state="cancelled")  # withdrawn: left out
    make_task(c3, due=at(4, 9), fed_back=at(4, 1))  # April
    ExtensionRequest.objects.create(
        case=c2,
        task=t3,
        days=2,
        reason="r",
        state="approved",
        requested_by=town.user("env_handler"),
    )
    b1 = by_code(UnitKind.GRID)[town.b1.code]
    assert (b1.tasks_due, b1.tasks_on_time, b1.tasks_extended) == (3, 1, 1)
    assert rate("on_time_handling_rate", b1) == pytest.approx(1 / 3)
    assert rate("extension_rate", b1) == pytest.approx(1 / 3)
    # 返工率 over 应结案: 1 reworked of 2 due.
    assert rate("rework_rate", b1) == 0.5
    env = by_code(UnitKind.DEPARTMENT)[str(town.env.pk)]
    assert (env.tasks_due, env.tasks_on_time) == (3, 1)


def test_satisfaction_counts_callbacks_made_in_the_month(town, make_case, make_callback):
    c = make_case("A1", state="called_back", due=at(2, 1), closed=at(2, 1))
    make_callback(c, satisfaction=5, when=at(3, 1))
    make_callback(c, satisfaction=4, when=at(3, 2))
    make_callback(c, satisfaction=3, when=at(3, 3))
    make_callback(c, satisfaction=3, when=at(3, 31, 23, 59))
    make_callback(c, satisfaction=5, when=at(4, 1, 0, 0))
    a1 = by_code(UnitKind.GRID)[town.a1.code]
    assert (a1.satisfied, a1.callbacks) == (2, 4)
    assert rate("satisfaction_rate", a1) == 0.5


def test_reports_and_valid_reports_per_grid_and_worker(town, make_case):
    make_case("A1", state="registered", created=at(3, 2), reporter="worker_a1")
    make_case("A1", state="closed", closed=at(3, 2), created=at(3, 2), reporter="worker_a1")
    make_case("A1", state="rejected", created=at(3, 3), reporter="worker_a1")
    make_case("A1", state="reported", created=at(3, 4), reporter="worker_a1")
    make_case("A1", state="registered", created=at(2, 4), reporter="worker_a1")
    make_case("A1", state="registered", created=at(3, 4), channel="resident")
    a1 = by_code(UnitKind.GRID)[town.a1.code]
    assert (a1.valid_reports, a1.reports) == (2, 4)
    worker = by_code(UnitKind.WORKER)["worker_a1"]
    assert (worker.valid_reports, worker.reports) == (2, 4)
    assert rate("valid_report_rate", worker) == 0.5
    assert by_code(UnitKind.WORKER)["worker_b1"].reports == 0


def test_discovery_rate_matches_earlier_grid_reports(town, make_case):
    hot = {"channel": "hotline", "state": "registered"}
    # 1: found by a patrol report in the same grid 10 h earlier, same class (0402 vs 0401).
    make_case("A1", state="registered", created=at(3, 10, 0), item="0402")
    make_case("A1", received=at(3, 10, 10), created=at(3, 10, 11), **hot)
    # 2: a patrol report 80 h earlier is outside the 72 h window.
    make_case("A2", state="registered", created=at(3, 1, 0))
    make_case("A2", received=at(3, 4, 8), created=at(3, 4, 9), **hot)
    # 3: a report in the neighbour grid within 50 m matches; one of another class does not.
    a2 = town.a2
    make_case("B1", state="registered", created=at(3, 12, 0), item="0301", lonlat=(113.32, 34.81))
    make_case("A2", state="registered", created=at(3, 20, 0), lonlat=(113.3199, 34.81))
    make_case("B1", received=at(3, 20, 5), lonlat=(113.3201, 34.81), **hot)
    # 4: the patrol report came after the record; a rejected report never counts.
    make_case("B2", state="registered", created=at(3, 21, 5))
    make_case("B2", state="rejected", created=at(3, 21, 1))
    make_case("B2", received=at(3, 21, 4), **hot)
    # A cancelled (rejected) record and one received in April are left out.
    make_case("B2", channel="hotline", state="rejected", received=at(3, 22))
    make_case("B2", received=at(4, 1, 1), **hot)
    grids = by_code(UnitKind.GRID)
    assert (grids[town.a1.code].discovered, grids[town.a1.code].outside_records) == (1, 1)
    assert (grids[a2.code].discovered, grids[a2.code].outside_records) == (0, 1)
    assert (grids[town.b1.code].discovered, grids[town.b1.code].outside_records) == (1, 1)
    assert (grids[town.b2.code].discovered, grids[town.b2.code].outside_records) == (0, 1)
    town_counts = by_code(UnitKind.TOWN)[town.town.code]
    assert rate("discovery_rate", town_counts) == 0.5
    assert INDICATORS["not_discovered"].measure(town_counts)[0] == 2
    # A worker's discovery rate is their grid's.
    worker = by_code(UnitKind.WORKER)["worker_a1"]
    assert (worker.discovered, worker.outside_records) == (1, 1)


def test_department_cases_are_those_it_leads(town, make_case):
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9), department=town.env)
    make_case("A1", state="handling", due=at(3, 10), department=town.police)
    depts = by_code(UnitKind.DEPARTMENT)
    assert (depts[str(town.env.pk)].due, depts[str(town.env.pk)].closed_on_time) == (1, 1)
    assert (depts[str(town.police.pk)].due, depts[str(town.police.pk)].closed) == (1, 0)


def test_a_shared_cache_gives_the_same_counts(town, make_case):
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9), reporter="worker_a1")
    make_case("B1", channel="hotline", received=at(3, 3))
    period = Period.month("2026-03")
    cache: dict = {}
    for kind in (UnitKind.GRID, UnitKind.TOWN, UnitKind.WORKER):
        shared = {u.code: c for u, c in compute(kind, period, cache=cache)}
        assert shared == {u.code: c for u, c in compute(kind, period)}
    assert len(cache) == 2  # the grids' counts and the field-work counts, once each
