"""Patrol days, compliance with the standards, daily monitoring, diaries, attendance, leave and
duty, through the services and the API."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from gridgov.cases.models import Channel
from gridgov.cases.services.intake import report_case
from gridgov.core.testing.town import INSIDE, TOWN_CODE, UNIT_A1, UNIT_A2, UNIT_B1, VILLAGE_A
from gridgov.fieldwork import daily, records, visits
from gridgov.fieldwork.models import Leave, PatrolDay, PatrolPeriod, PatrolStandard
from gridgov.fieldwork.services import import_track
from gridgov.registry.models import Household

pytestmark = pytest.mark.django_db

M_PER_DEG = 6_371_008.8 * math.pi / 180


def walk_csv(day: str, lon: float, lat: float, *, fixes: int = 60, step_m: float = 12) -> bytes:
    """`fixes` fixes from 09:00 Asia/Shanghai, `step_m` north every 10 s."""
    rows = ["time,lon,lat,accuracy"]
    for i in range(fixes):
        at = datetime.fromisoformat(f"{day}T09:00:00") + timedelta(seconds=10 * i)
        rows.append(f"{at.isoformat()},{lon},{lat + i * step_m / M_PER_DEG},5")
    return ("\n".join(rows) + "\n").encode()


def patrol(town, username: str, day: str, where: str = UNIT_A1, **kw) -> None:
    lon, lat = INSIDE[where]
    import_track(
        by=None, user=town.user(username), name=f"{day}.csv", data=walk_csv(day, lon, lat, **kw)
    )


def post(client, url: str, body: dict):
    return client.post(url, json.dumps(body, default=str), content_type="application/json")


def test_periods_are_days_iso_weeks_and_months_clipped_to_the_range() -> None:
    assert daily.periods(date(2026, 5, 1), date(2026, 5, 12), PatrolPeriod.WEEKLY) == [
        (date(2026, 5, 1), date(2026, 5, 3)),
        (date(2026, 5, 4), date(2026, 5, 10)),
        (date(2026, 5, 11), date(2026, 5, 12)),
    ]
    assert daily.periods(date(2026, 11, 20), date(2027, 1, 5), PatrolPeriod.MONTHLY) == [
        (date(2026, 11, 20), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 5)),
    ]
    assert len(daily.periods(date(2026, 2, 1), date(2026, 2, 28), PatrolPeriod.DAILY)) == 28


def test_the_seeded_standards_and_the_most_specific_one_applies(town) -> None:
    post_ = town.user("worker_a1").staff.posts.get()
    standards = list(PatrolStandard.objects.all())
    assert daily.standard_for(post_, standards).period == PatrolPeriod.DAILY
    tier_one = PatrolStandard.objects.create(
        name="一级网格每日2公里",
        post_kind="worker_full",
        tier=1,
        period="daily",
        min_mileage_m=2000,
    )
    assert daily.standard_for(post_, [*standards, tier_one]) == tier_one  # A1 is tier 1


def test_compliance_counts_qualifying_days_and_excuses_leave(town) -> None:
    patrol(town, "worker_a1", "2026-05-11")
    patrol(town, "worker_a1", "2026-05-12")
    office = town.user("town_office")
    row = next(
        r
        for r in daily.compliance(office, date(2026, 5, 11), date(2026, 5, 13))
        if r.username == "worker_a1"
    )
    assert (row.periods_due, row.periods_met, row.days_patrolled) == (3, 2, 2)
    assert row.mileage_m == pytest.approx(2 * 708, abs=0.5)
    worker_b1 = next(
        r
        for r in daily.compliance(office, date(2026, 5, 11), date(2026, 5, 13))
        if r.username == "worker_b1"
    )
    assert (worker_b1.periods_due, worker_b1.periods_met) == (3, 0)

    Leave.objects.create(
        user=town.user("worker_a1"),
        kind="sick",
        starts_on=date(2026, 5, 13),
        ends_on=date(2026, 5, 13),
        recorded_by=office,
    )
    row = next(
        r
        for r in daily.compliance(office, date(2026, 5, 11), date(2026, 5, 13))
        if r.username == "worker_a1"
    )
    assert (row.periods_due, row.periods_met, row.excused, row.rate) == (2, 2, 1, 1.0)

    PatrolStandard.objects.filter(post_kind="worker_full").update(min_mileage_m=1000)
    row = next(
        r
        for r in daily.compliance(office, date(2026, 5, 11), date(2026, 5, 13))
        if r.username == "worker_a1"
    )
    assert row.periods_met == 0


def test_compliance_is_scoped_and_refuses_absurd_periods(client_for, town) -> None:
    rows = daily.compliance(town.user("village_a"), date(2026, 5, 1), date(2026, 5, 31))
    names = {r.username for r in rows}
    assert "worker_a1" in names
    assert "worker_b1" not in names
    response = client_for("town_office").get(
        "/api/v1/fieldwork/compliance?start=2020-01-01&end=2026-01-01"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "end"
    assert (
        client_for("worker_a1")
        .get("/api/v1/fieldwork/compliance?start=2026-05-01&end=2026-05-31")
        .status_code
        == 403
    )


def test_monitoring_flags_no_patrol_no_report_and_track_outside_the_grid(client_for, town) -> None:
    patrol(town, "worker_a1", "2026-05-12")
    # worker_a1 also walks across into A2 (outside their grid) on the 13th.
    patrol(town, "worker_a1", "2026-05-13", where=UNIT_A2)
    with time_machine.travel(datetime(2026, 5, 12, 2, 0, tzinfo=UTC), tick=False):
        report_case(
            by=town.user("worker_a1"),
            channel=Channel.PATROL,
            description="占道经营",
            grid_code=UNIT_A1,
        )
    records.write_diary(
        by=town.user("worker_a1"), kind="people", day=date(2026, 5, 12), text="走访三户"
    )
    Household.objects.create(
        grid=town.grid(UNIT_A1), number="M1", contact_worker=town.user("worker_a1").staff
    )
    # 23:30 in Shanghai on the 11th and 00:30 on the 12th: only the second is the 12th's visit.
    for at in (
        datetime(2026, 5, 11, 15, 30, tzinfo=UTC),
        datetime(2026, 5, 11, 16, 30, tzinfo=UTC),
    ):
        visits.record_visit(
            by=town.user("worker_a1"),
            uid=None,
            household_number="M1",
            kind="home",
            visited_at=at,
            learnt="x",
        )
    rows = {r.username: r for r in daily.monitoring(town.user("town_office"), date(2026, 5, 12))}
    a1 = rows["worker_a1"]
    assert (a1.reports, a1.patrols, a1.diaries, a1.visits) == (1, 1, 1, 1)
    assert a1.km == pytest.approx(0.708, abs=0.001)
    assert a1.coverage[UNIT_A1] > 0.02
    assert a1.flags == []
    assert a1.last_seen == datetime(2026, 5, 12, 1, 9, 50, tzinfo=UTC)
    assert rows["worker_b1"].flags == ["no_patrol", "no_report"]
    next_day = {
        r.username: r for r in daily.monitoring(town.user("town_office"), date(2026, 5, 13))
    }
    assert next_day["worker_a1"].outside_share == 1.0
    assert next_day["worker_a1"].flags == ["no_report", "outside"]
    assert set(rows) >= {"worker_a1", "worker_b1"}
    village = {r.username for r in daily.monitoring(town.user("village_a"), date(2026, 5, 12))}
    assert "worker_b1" not in village

    response = client_for("town_office").get("/api/v1/fieldwork/monitoring?date=2026-05-12")
    assert response.status_code == 200
    body = {r["username"]: r for r in response.json()}
    assert body["worker_b1"]["flags"] == ["no_patrol", "no_report"]


def test_replay_of_a_day_is_scoped(client_for, town) -> None:
    patrol(town, "worker_a1", "2026-05-12")
    url = "/api/v1/fieldwork/days/worker_a1/2026-05-12"
    body = client_for("town_office").get(url).json()
    assert len(body["points"]) == 60
    assert body["runs"] == [[0, 59]]
    assert body["mileage_m"] == pytest.approx(708, abs=0.1)
    assert client_for("worker_a1").get(url).status_code == 200
    assert client_for("worker_b1").get(url).status_code == 404
    assert (
        client_for("town_office").get("/api/v1/fieldwork/days/nobody/2026-05-12").status_code == 404
    )
    bad = client_for("town_office").get("/api/v1/fieldwork/days/worker_a1/2026-13-01")
    assert bad.status_code == 400
    assert bad.json()["field"] == "day"


def test_patrol_days_are_stored_when_a_patrol_is_imported(town) -> None:
    patrol(town, "worker_a1", "2026-05-12")
    row = PatrolDay.objects.get(user=town.user("worker_a1"), day=date(2026, 5, 12))
    assert (row.fixes, row.kept) == (60, 60)
    assert set(row.coverage) == {UNIT_A1}
    assert daily.refresh_all_days(date(2026, 5, 12)) == 1


def test_diaries_are_counted_per_person_and_kind(client_for, town) -> None:
    client = client_for("worker_a1")
    for kind in ("people", "people", "work"):
        body = {"kind": kind, "day": "2026-05-12", "text": "走访", "grid": UNIT_A1}
        assert post(client, "/api/v1/fieldwork/diaries", body).status_code == 201
    counts = (
        client_for("town_office")
        .get("/api/v1/fieldwork/diaries/counts?start=2026-05-01&end=2026-05-31")
        .json()
    )
    assert counts == [{"username": "worker_a1", "people": 2, "work": 1, "total": 3}]
    assert (
        client_for("worker_b1")
        .get("/api/v1/fieldwork/diaries/counts?start=2026-05-01&end=2026-05-31")
        .json()
        == []
    )
    outside = post(
        client,
        "/api/v1/fieldwork/diaries",
        {"kind": "people", "day": "2026-05-12", "text": "x", "grid": UNIT_B1},
    )
    assert outside.status_code == 404
    assert outside.json()["field"] == "grid"
    blank = post(
        client, "/api/v1/fieldwork/diaries", {"kind": "people", "day": "2026-05-12", "text": "  "}
    )
    assert blank.status_code == 400
    assert blank.json()["field"] == "text"


def test_check_in_and_out_make_the_monthly_ledger(client_for, town) -> None:
    client = client_for("worker_a1")
    lon, lat = INSIDE[UNIT_A1]
    with time_machine.travel(datetime(2026, 5, 12, 0, 30, tzinfo=UTC), tick=False):
        first = post(client, "/api/v1/fieldwork/check-ins", {"kind": "in", "lon": lon, "lat": lat})
    with time_machine.travel(datetime(2026, 5, 12, 9, 30, tzinfo=UTC), tick=False):
        post(client, "/api/v1/fieldwork/check-ins", {"kind": "out", "lon": lon, "lat": lat})
    with time_machine.travel(datetime(2026, 5, 13, 0, 30, tzinfo=UTC), tick=False):
        post(client, "/api/v1/fieldwork/check-ins", {"kind": "in"})
    assert first.status_code == 201
    assert first.json()["grid"] == UNIT_A1
    half = post(client, "/api/v1/fieldwork/check-ins", {"kind": "in", "lon": lon})
    assert half.status_code == 400
    assert half.json()["field"] == "lat"
    ledger = client_for("village_a").get("/api/v1/fieldwork/attendance/worker_a1/2026-05").json()
    assert (ledger["present_days"], ledger["complete_days"], ledger["leave_days"]) == (2, 1, 0)
    assert len(ledger["days"]) == 31
    assert ledger["days"][11]["first_in"].startswith("2026-05-12T00:30")
    assert (
        client_for("worker_b1").get("/api/v1/fieldwork/attendance/worker_a1/2026-05").status_code
        == 404
    )


def test_leave_is_recorded_by_the_office_for_people_in_scope(client_for, town) -> None:
    body = {"user": "worker_a1", "kind": "sick", "starts_on": "2026-05-13", "ends_on": "2026-05-14"}
    assert post(client_for("worker_a1"), "/api/v1/fieldwork/leaves", body).status_code == 403
    assert post(client_for("town_office"), "/api/v1/fieldwork/leaves", body).status_code == 201
    outsider = post(
        client_for("village_a"), "/api/v1/fieldwork/leaves", {**body, "user": "worker_b1"}
    )
    assert outsider.status_code == 404
    assert outsider.json()["field"] == "user"
    backwards = {**body, "ends_on": "2026-05-01"}
    response = post(client_for("town_office"), "/api/v1/fieldwork/leaves", backwards)
    assert response.status_code == 400
    assert response.json()["field"] == "ends_on"
    ledger = records.attendance_ledger(town.user("worker_a1"), 2026, 5)
    assert ledger.leave_days == 2


def test_the_duty_roster_shows_who_is_on_duty_above_and_within(client_for, town) -> None:
    office = client_for("town_office")
    with time_machine.travel(datetime(2026, 5, 12, 2, 0, tzinfo=UTC), tick=False):
        town_shift = {
            "user": "town_office",
            "grid": TOWN_CODE,
            "starts_at": "2026-05-12T08:00:00",
            "ends_at": "2026-05-12T18:00:00",
        }
        assert post(office, "/api/v1/fieldwork/duty", town_shift).status_code == 201
        village_shift = {**town_shift, "user": "village_a", "grid": VILLAGE_A}
        assert post(office, "/api/v1/fieldwork/duty", village_shift).status_code == 201
        seen_by_a1 = client_for("worker_a1").get("/api/v1/fieldwork/duty/now").json()
        seen_by_b1 = client_for("worker_b1").get("/api/v1/fieldwork/duty/now").json()
    assert {s["user"] for s in seen_by_a1} == {"town_office", "village_a"}
    assert {s["user"] for s in seen_by_b1} == {"town_office"}
    refused = post(client_for("worker_a1"), "/api/v1/fieldwork/duty", town_shift)
    assert refused.status_code == 403
    outside = post(
        client_for("village_a"), "/api/v1/fieldwork/duty", {**town_shift, "grid": UNIT_B1}
    )
    assert outside.status_code == 404
    assert outside.json()["field"] == "grid"
    backwards = post(
        office, "/api/v1/fieldwork/duty", {**town_shift, "ends_at": "2026-05-12T07:00:00"}
    )
    assert backwards.status_code == 400
    assert backwards.json()["field"] == "ends_at"
