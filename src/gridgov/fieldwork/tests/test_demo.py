"""The demo's month of field work, on the test town."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from django.utils import timezone

from gridgov.cases import clock
from gridgov.cases.catalogue import ensure_default_catalogue
from gridgov.cases.models import Case, Channel
from gridgov.cases.services import intake
from gridgov.core.calendar import get_calendar
from gridgov.core.testing.town import TOWN_CODE, UNIT_A1, UNIT_B1
from gridgov.fieldwork import daily
from gridgov.fieldwork.demo import seed_demo_fieldwork
from gridgov.fieldwork.models import (
    CheckIn,
    Diary,
    DiaryKind,
    DiaryPhoto,
    DutyShift,
    Leave,
    Patrol,
    PatrolDay,
    PatrolReport,
    TrackChunk,
)
from gridgov.fieldwork.services import LOCAL_TZ, patrol_track
from gridgov.registry.models import Household

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 31)


def _report(town, username: str, day: date, hour: float, lon: float, lat: float) -> Case:
    moment = datetime.combine(day, time(0), tzinfo=LOCAL_TZ) + timedelta(hours=hour)
    with clock.frozen_at(moment):
        return intake.report_case(
            by=town.user(username),
            channel=Channel.PATROL,
            description="巡查发现路边垃圾堆放",
            lon=lon,
            lat=lat,
        ).case


def _seed(town):
    ensure_default_catalogue()
    for code, username in ((UNIT_A1, "worker_a1"), (UNIT_B1, "worker_b1")):
        staff = town.user(username).staff
        for i in range(12):
            Household.objects.create(
                grid=town.grid(code), number=f"{code}-{i}", contact_worker=staff
            )
    # Cases the workers reported on patrol: in the month, two on one day, and one two months
    # back (the case demo replays ninety days).
    cases = [
        _report(town, "worker_a1", TODAY - timedelta(days=3), 10.25, 113.305, 34.81),
        _report(town, "worker_a1", TODAY - timedelta(days=3), 15.5, 113.306, 34.812),
        _report(town, "worker_a1", TODAY - timedelta(days=12), 9.75, 113.304, 34.805),
        _report(town, "worker_a1", TODAY - timedelta(days=60), 16.0, 113.307, 34.815),
    ]
    result = seed_demo_fieldwork(
        summary=SimpleNamespace(root_code=TOWN_CODE), by=town.user("admin"), today=TODAY
    )
    return result, cases


def test_a_month_of_patrols_walks_inside_the_unit_grids(town) -> None:
    result, cases = _seed(town)
    assert result is not None
    assert result.workers == 2
    first = TODAY - timedelta(days=30)
    month = [first + timedelta(days=i) for i in range(30)]
    workdays = [d for d in month if get_calendar().is_workday(d)]
    leave = {
        (row.user.get_username(), row.starts_on + timedelta(days=i))
        for row in Leave.objects.all()
        for i in range((row.ends_on - row.starts_on).days + 1)
    }
    assert Leave.objects.count() == 4
    for username in ("worker_a1", "worker_b1"):
        user = town.user(username)
        days = {p.started_at.astimezone(LOCAL_TZ).date() for p in Patrol.objects.filter(user=user)}
        # Most working days out (the demo's diligent workers miss few), never while on leave.
        due = [d for d in workdays if (username, d) not in leave]
        assert len([d for d in due if d in days]) >= 0.8 * len(due), username
        assert not {d for d in days if (username, d) in leave}
        # Check-in and check-out on every working day not on leave, with a position.
        expected = 2 * sum(1 for d in workdays if (username, d) not in leave)
        assert CheckIn.objects.filter(user=user, lon__isnull=False).count() == expected
    assert result.patrols == Patrol.objects.count() > 30
    assert TrackChunk.objects.count() >= result.patrols
    # Plausible walks: a fix every 20-30 s, 1-3 hours (a patrol around a case may run on),
    # walking speed, and not too many fixes.
    for patrol in Patrol.objects.all():
        track = patrol_track(patrol)
        gaps = np.diff(track.t)
        assert 17 <= float(np.median(gaps)) <= 33
        assert 55 * 60 <= patrol.duration_s <= 4 * 3600
        assert 0.4 <= patrol.mileage_m / patrol.duration_s <= 1.6
        assert patrol.fix_count == len(track) <= 750
    # The patrol days are computed for every day with a patrol; walks stay inside the grid.
    patrol_days = {
        (p.user_id, p.started_at.astimezone(LOCAL_TZ).date()) for p in Patrol.objects.all()
    }
    assert set(PatrolDay.objects.values_list("user_id", "day")) == patrol_days
    assert result.patrol_days == len(patrol_days)
    a1_days = PatrolDay.objects.filter(user=town.user("worker_a1"))
    assert all(d.outside_share < daily.OUTSIDE_FLAG_SHARE for d in a1_days)
    assert all(0 < d.coverage[UNIT_A1] <= 1 for d in a1_days)
    rows = daily.compliance(town.user("town_office"), first, TODAY)
    a1 = next(r for r in rows if r.username == "worker_a1")
    assert 0 < a1.periods_met <= a1.periods_due
    # Every case reported on patrol falls inside one of the worker's patrols and is linked.
    assert PatrolReport.objects.count() == len(cases) == result.linked_cases
    for case in cases:
        link = PatrolReport.objects.get(case=case)
        assert link.patrol.user_id == case.reporter_id
        assert link.patrol.started_at <= case.created_at <= link.patrol.ended_at
    assert len({PatrolReport.objects.get(case=c).patrol_id for c in cases[:2]}) == 2
    # Duty roster: a day and a night shift for the month and the coming week, weekends too.
    assert DutyShift.objects.count() == result.duty_shifts == 2 * 37
    assert {s.starts_at.astimezone(LOCAL_TZ).weekday() for s in DutyShift.objects.all()} == set(
        range(7)
    )
    # A second call adds nothing.
    again = seed_demo_fieldwork(
        summary=SimpleNamespace(root_code=TOWN_CODE), by=town.user("admin"), today=TODAY
    )
    assert again is None
    assert Patrol.objects.count() == result.patrols


def test_the_demo_diaries_link_cases_and_households_and_have_photos(town) -> None:
    result, cases = _seed(town)
    assert result is not None
    people = Diary.objects.filter(kind=DiaryKind.PEOPLE)
    per_worker = Counter(people.values_list("user__username", flat=True))
    assert set(per_worker) == {"worker_a1", "worker_b1"}
    assert min(per_worker.values()) >= 12
    # The cases reported on a day in the month are linked to that day's entry.
    linked = set(Diary.cases.through.objects.values_list("case_id", flat=True))
    assert linked == {c.pk for c in cases[:3]}
    assert Diary.households.through.objects.exists()
    assert all(d.tags for d in people)
    photos = DiaryPhoto.objects.all()
    assert 1 <= photos.count() <= 8
    assert all(1000 < p.size < 20_000 and p.content_type == "image/jpeg" for p in photos)
    # The embedded officer (env_handler, in village A) writes a weekly work diary on Fridays.
    work = Diary.objects.filter(kind=DiaryKind.WORK)
    assert set(work.values_list("user__username", flat=True)) == {"env_handler"}
    assert 3 <= work.count() <= 5
    assert {d.day.weekday() for d in work} == {4}
    assert result.diaries == Diary.objects.count()
    assert result.work_diaries == work.count()
    # Diaries only on days in the month, none in the future.
    assert not Diary.objects.filter(day__gte=TODAY).exists()


def test_cases_reported_on_patrol_during_the_build_get_todays_patrol(town) -> None:
    from gridgov.fieldwork.demo import seed_demo_today

    ensure_default_catalogue()
    cases = [
        intake.report_case(
            by=town.user("worker_a1"),
            channel=Channel.PATROL,
            description="楼道堆放液化气瓶3只",
            lon=113.305,
            lat=34.81,
        ).case
        for _ in range(2)
    ]
    assert seed_demo_today(summary=SimpleNamespace(root_code=TOWN_CODE)) == 2
    patrol = Patrol.objects.get()
    assert patrol.user == town.user("worker_a1")
    assert patrol.started_at <= min(c.created_at for c in cases)
    assert patrol.ended_at >= max(c.created_at for c in cases)
    assert patrol.fix_count >= 10
    assert set(PatrolReport.objects.values_list("case_id", flat=True)) == {c.pk for c in cases}
    assert PatrolDay.objects.filter(user=patrol.user, day=timezone.localdate()).exists()
    # Nothing left to link: a second call adds no patrol.
    assert seed_demo_today(summary=SimpleNamespace(root_code=TOWN_CODE)) == 0
    assert Patrol.objects.count() == 1
