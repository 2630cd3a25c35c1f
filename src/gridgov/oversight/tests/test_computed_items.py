"""Items computed from outside the case tables, each on hand-made data with a known answer:
attendance, patrols and diaries (field work), back-tracing misses (hotline rounds), the two-way
assessment (双向考核) and seed 002's 7 % share of the work team in the department's scheme."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from gridgov.core.errors import DomainError
from gridgov.fieldwork.models import CheckIn, Diary, Leave, PatrolDay, PatrolStandard
from gridgov.hotline.models import (
    CrosscheckResult,
    CrosscheckRound,
    HotlineRecord,
    HotlineSource,
)
from gridgov.oversight.models import RatingDirection
from gridgov.oversight.services import assess, publish_run
from gridgov.oversight.tests.conftest import at
from gridgov.oversight.twoway import rate
from gridgov.people.models import Staff

MARCH = "2026-03"


def items_of(rows: list[dict], code: str) -> dict[str, dict]:
    row = next(r for r in rows if r["code"] == code)
    return {i["code"]: i for i in row["items"]}


@pytest.fixture
def field_work(town):
    """worker_a1 in March 2026 (22 working days, no holidays): on leave Mon 2 and Tue 3 (20
    days due); checked in on 15 of them (plus a Sunday and a leave day, not counted); diaries on
    10 of them; a weekly standard (2 days a week) met in 2 of the month's 6 weeks."""
    user = town.user("worker_a1")
    PatrolStandard.objects.update(is_active=False)
    PatrolStandard.objects.create(name="每周两天", period="weekly", min_days=2)
    Leave.objects.create(
        user=user,
        kind="personal",
        starts_on=dt.date(2026, 3, 2),
        ends_on=dt.date(2026, 3, 3),
        recorded_by=town.user("town_office"),
    )
    workdays = [dt.date(2026, 3, d) for d in range(4, 32) if dt.date(2026, 3, d).weekday() < 5]
    assert len(workdays) == 20
    for day in [*workdays[:15], dt.date(2026, 3, 1), dt.date(2026, 3, 2)]:
        CheckIn.objects.create(user=user, kind="in", at=at(3, day.day, 8))
    for day in workdays[:10]:
        Diary.objects.create(user=user, kind="people", day=day, grid=town.a1, text="走访")
    for day in (9, 10, 16, 17, 23):  # weeks of the 9th and 16th met; the 23rd's alone is not
        PatrolDay.objects.create(
            user=user, day=dt.date(2026, 3, day), kept=50, mileage_m=2000, duration_s=3600
        )
    return user


def test_attendance_patrol_and_diary_items(town, field_work):
    worker = items_of(assess(scheme_code="sheet100", month=MARCH, unit_kind="worker"), "worker_a1")
    attendance = worker["attendance"]
    assert (attendance["numerator"], attendance["denominator"]) == (15, 20)
    assert attendance["points"] == 3.75  # 5 × 15/20
    patrol = worker["study_patrol"]
    assert (patrol["numerator"], patrol["denominator"]) == (2, 6)
    assert patrol["points"] == 1.67  # 5 × 2/6
    thousand = items_of(
        assess(scheme_code="sheet1000", month=MARCH, unit_kind="worker"), "worker_a1"
    )
    assert thousand["attendance"]["points"] == 37.5  # 50 × 15/20
    assert thousand["patrol"]["points"] == 10.0  # 30 × 2/6
    diaries = thousand["diaries"]
    assert (diaries["numerator"], diaries["denominator"], diaries["points"]) == (10, 20, 10.0)
    # The grid of the post carries its people's figures.
    grid = items_of(assess(scheme_code="sheet100", month=MARCH, unit_kind="grid"), town.a1.code)
    assert (grid["attendance"]["numerator"], grid["attendance"]["denominator"]) == (15, 20)


@pytest.fixture
def back_traced(town):
    """A1's records received in March: one not found, one not found in round 1 but found in
    round 2 (round 1 superseded), one not found; and an April record not found."""
    source = HotlineSource.objects.create(name="s12345")
    first = CrosscheckRound.objects.create(
        number=1, period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 4, 30)
    )
    second = CrosscheckRound.objects.create(
        number=2, period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 3, 31)
    )

    def record(number: str, when: dt.datetime) -> HotlineRecord:
        return HotlineRecord.objects.create(
            source=source, external_number=number, received_at=when, status="closed", grid=town.a1
        )

    r1, r2, r3 = record("1", at(3, 5)), record("2", at(3, 6)), record("3", at(3, 7))
    april = record("4", at(4, 2))
    for rec in (r1, r3, april):
        CrosscheckResult.objects.create(round=first, record=rec, grid=town.a1, matched=False)
    CrosscheckResult.objects.create(
        round=first, record=r2, grid=town.a1, matched=False, superseded=True
    )
    CrosscheckResult.objects.create(round=second, record=r2, grid=town.a1, matched=True)


def test_back_tracing_misses_are_deducted(town, back_traced):
    worker = items_of(assess(scheme_code="sheet1000", month=MARCH, unit_kind="worker"), "worker_a1")
    missed = worker["not_discovered"]
    assert (missed["numerator"], missed["points"]) == (2, 40.0)  # 50 − 2 × 5
    grid = items_of(assess(scheme_code="sheet1000", month=MARCH, unit_kind="grid"), town.a1.code)
    assert grid["not_discovered"]["points"] == 40.0
    b1 = items_of(assess(scheme_code="sheet1000", month=MARCH, unit_kind="grid"), town.b1.code)
    assert b1["not_discovered"]["points"] == 50.0
    april = items_of(
        assess(scheme_code="sheet1000", month="2026-04", unit_kind="grid"), town.a1.code
    )
    assert april["not_discovered"]["numerator"] == 1


def test_two_way_ratings_feed_town_and_department_items(town):
    handler, office, admin = town.user("env_handler"), town.user("town_office"), town.user("admin")
    up = RatingDirection.DEPARTMENT_RATES_PLATFORM
    down = RatingDirection.PLATFORM_RATES_DEPARTMENT
    rate(
        direction=up,
        month=MARCH,
        department=town.env,
        platform=town.town,
        score=80,
        note="派遣准确",
        by=handler,
    )
    rate(
        direction=up,
        month=MARCH,
        department=town.police,
        platform=town.town,
        score=60,
        note="多次错派",
        by=admin,
    )
    rate(
        direction=down,
        month=MARCH,
        department=town.env,
        platform=town.town,
        score="90",
        note="处置及时",
        by=office,
    )
    # A revision within the month replaces the earlier rating.
    rate(
        direction=up,
        month=MARCH,
        department=town.env,
        platform=town.town,
        score=80,
        note="派遣准确,偶有延迟",
        by=handler,
    )
    town_items = items_of(
        assess(scheme_code="sheet1000", month=MARCH, unit_kind="town"), town.town.code
    )
    quality = town_items["dispatch_quality"]
    assert (quality["numerator"], quality["denominator"], quality["points"]) == (140, 200, 35.0)
    dept = items_of(
        assess(scheme_code="dept100", month=MARCH, unit_kind="department"), str(town.env.pk)
    )
    assert dept["handling_quality"]["points"] == 13.5  # 15 × 90/100
    police = items_of(
        assess(scheme_code="dept100", month=MARCH, unit_kind="department"), str(town.police.pk)
    )
    assert police["handling_quality"]["points"] == 15.0  # not rated: full


def test_two_way_permissions_and_bad_scores(town):
    up = RatingDirection.DEPARTMENT_RATES_PLATFORM
    down = RatingDirection.PLATFORM_RATES_DEPARTMENT
    with pytest.raises(PermissionDenied):  # not the police's handler
        rate(
            direction=up,
            month=MARCH,
            department=town.police,
            platform=town.town,
            score=80,
            note="x",
            by=town.user("env_handler"),
        )
    with pytest.raises(PermissionDenied):  # a handler does not rate departments
        rate(
            direction=down,
            month=MARCH,
            department=town.env,
            platform=town.town,
            score=80,
            note="x",
            by=town.user("env_handler"),
        )
    with pytest.raises(PermissionDenied):  # the village office is not the town's platform
        rate(
            direction=down,
            month=MARCH,
            department=town.env,
            platform=town.town,
            score=80,
            note="x",
            by=town.user("village_a"),
        )
    with pytest.raises(PermissionDenied):
        rate(
            direction=up,
            month=MARCH,
            department=town.env,
            platform=town.town,
            score=80,
            note="x",
            by=town.user("worker_a1"),
        )
    for score, field in ((101, "score"), ("abc", "score"), (-1, "score")):
        with pytest.raises(DomainError) as err:
            rate(
                direction=down,
                month=MARCH,
                department=town.env,
                platform=town.town,
                score=score,
                note="x",
                by=town.user("town_office"),
            )
        assert err.value.field == field
    with pytest.raises(DomainError) as err:
        rate(
            direction=down,
            month=MARCH,
            department=town.env,
            platform=town.a1,
            score=50,
            note="x",
            by=town.user("town_office"),
        )
    assert err.value.field == "platform"


def test_department_scheme_carries_the_team_share_of_seven_percent(town, make_case):
    """seed 002: 工作队考核评分结果占职能部门考核评分的7%."""
    Staff.objects.filter(user__username="worker_a1").update(department=town.env)
    make_case(
        "A1", state="closed", due=at(3, 10), closed=at(3, 9), reporter="worker_a1", created=at(3, 1)
    )
    run = publish_run(
        scheme_code="sheet100", month=MARCH, unit_kind="worker", by=town.user("town_office")
    )
    team_score = Decimal(run.results.get(code="worker_a1").score)
    dept = items_of(
        assess(scheme_code="dept100", month=MARCH, unit_kind="department"), str(town.env.pk)
    )
    share = dept["team_share"]
    assert (Decimal(str(share["numerator"])), share["denominator"]) == (team_score, 100)
    assert Decimal(str(share["points"])) == (team_score * 7 / 100).quantize(Decimal("0.01"))
    assert share["points"] < 7  # the worker lost points (no attendance, no patrols)
    # A department without team members: nothing to share, full points.
    police = items_of(
        assess(scheme_code="dept100", month=MARCH, unit_kind="department"), str(town.police.pk)
    )
    assert police["team_share"]["points"] == 7.0
