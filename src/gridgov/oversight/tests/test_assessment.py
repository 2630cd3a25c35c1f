"""Schemes, the `gridgov assess` command, frozen published runs."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from gridgov.core.errors import ConflictError, DomainError
from gridgov.oversight.indicators import Counts
from gridgov.oversight.models import ItemKind, Scheme, SchemeItem
from gridgov.oversight.services import (
    assess,
    enter_manual_score,
    enter_survey,
    publish_run,
    score_item,
)
from gridgov.oversight.tests.conftest import at


def run_assess(*args: str) -> list[dict]:
    out = StringIO()
    call_command("assess", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_shipped_schemes_have_the_issue_items(db):
    sheet100 = Scheme.objects.get(code="sheet100", is_current=True)
    assert [(i.name, int(i.weight)) for i in sheet100.items.all()] == [
        ("宣传报道情况", 5),
        ("出勤到位情况", 5),
        ("组织学习、巡查情况", 5),
        ("群众评价满意程度", 5),
        ("问题上报率", 20),
        ("问题发现率", 20),
        ("问题处置率", 20),
        ("群众满意率", 20),
    ]
    assert sheet100.total_weight == 100
    assert sheet100.share_in_department == Decimal("7.00")
    # Version 2: attendance and patrols computed from field work, the earlier version kept.
    assert sheet100.version == 2
    kinds = {i.code: (i.kind, i.indicator) for i in sheet100.items.all()}
    assert kinds["attendance"] == ("rate", "attendance_rate")
    assert kinds["study_patrol"] == ("rate", "patrol_rate")
    assert kinds["publicity"] == ("manual", "")
    old = Scheme.objects.get(code="sheet100", version=1)
    assert not old.is_current
    assert old.items.get(code="attendance").kind == "manual"
    sheet1000 = Scheme.objects.get(code="sheet1000", is_current=True)
    assert sheet1000.total_weight == 1000
    assert "自拟" in sheet1000.description
    assert sheet1000.items.get(code="not_discovered").indicator == "backtrace_missed"
    assert sheet1000.items.get(code="dispatch_quality").indicator == "two_way_rating"
    dept = Scheme.objects.get(code="dept100", is_current=True)
    assert dept.total_weight == 100
    assert dept.unit_kinds == ["department"]
    assert int(dept.items.get(code="team_share").weight) == 7
    gbt = Scheme.objects.get(code="gbt30428")
    assert [i.code for i in gbt.items.all()] == [
        "closure_rate",
        "on_time_closure_rate",
        "on_time_handling_rate",
        "rework_rate",
        "satisfaction_rate",
        "valid_report_rate",
    ]
    assert [i.indicator for i in gbt.items.all()] == [i.code for i in gbt.items.all()]


def item(kind: str, weight: int, **kw) -> SchemeItem:
    return SchemeItem(code="x", name="x", kind=kind, weight=Decimal(weight), **kw)


def test_rate_items_clamp_to_weight_and_deductions_cap():
    c = Counts(due=4, closed=3, rework=1, closed_on_time=1)
    assert score_item(item("rate", 20, indicator="closure_rate"), c).points == Decimal("15.00")
    inverse = item("rate", 10, indicator="rework_rate", formula="inverse")
    assert score_item(inverse, c).points == Decimal("7.50")
    assert score_item(item("rate", 20, indicator="satisfaction_rate"), c).points == 20  # 0/0
    empty_zero = item("rate", 20, indicator="satisfaction_rate", when_empty="zero")
    assert score_item(empty_zero, c).points == 0
    ded = item("deduction", 50, indicator="not_closed_on_time", per_event=Decimal(5), cap=50)
    scored = score_item(ded, c)
    assert (scored.numerator, scored.points) == (3, Decimal("35.00"))
    many = Counts(due=40)
    assert score_item(ded, many).points == 0
    assert score_item(item("manual", 5), c).points == 0


def test_assess_command_prints_the_issue_shape(town, make_case, make_callback):
    make_case("A1", state="closed", due=at(3, 10), closed=at(3, 9), created=at(3, 1))
    make_case("A1", state="dispatched", due=at(3, 12), created=at(3, 1))
    rows = run_assess("--scheme", "gbt30428", "--month", "2026-03", "--unit", "grid")
    assert [r["code"] for r in rows][0] in {town.a2.code, town.b1.code, town.b2.code}
    a1 = next(r for r in rows if r["code"] == town.a1.code)
    assert set(a1) == {"unit", "code", "name", "score", "items"}
    assert a1["unit"] == "grid"
    assert a1["name"] == town.a1.name
    closure = a1["items"][0]
    assert set(closure) == {"code", "name", "numerator", "denominator", "value", "points"}
    assert (closure["code"], closure["numerator"], closure["denominator"]) == ("closure_rate", 1, 2)
    assert (closure["value"], closure["points"]) == (0.5, 10.0)
    # valid reports 2/2, no tasks, no callbacks: full points; rework 0 → 10.
    assert a1["score"] == 10 + 10 + 20 + 10 + 20 + 10
    with pytest.raises(CommandError):
        run_assess("--scheme", "nope", "--month", "2026-03")
    with pytest.raises(CommandError):
        run_assess("--scheme", "gbt30428", "--month", "2026-3")
    with pytest.raises(CommandError):
        run_assess("--scheme", "gbt30428", "--month", "2026-03", "--unit", "worker")


def test_manual_and_survey_items_read_what_the_office_entered(town):
    office = town.user("town_office")
    enter_manual_score(
        scheme_code="sheet100",
        item_code="publicity",
        month="2026-03",
        unit_kind="worker",
        unit_code="worker_a1",
        points=Decimal("4.5"),
        by=office,
        note="宣传报道一篇",
    )
    enter_survey(
        month="2026-03",
        unit_kind="worker",
        unit_code="worker_a1",
        satisfied=30,
        fairly=15,
        dissatisfied=5,
        by=office,
    )
    rows = {
        r["code"]: r for r in assess(scheme_code="sheet100", month="2026-03", unit_kind="worker")
    }
    items = {i["code"]: i for i in rows["worker_a1"]["items"]}
    assert items["publicity"]["points"] == 4.5
    # (30×5 + 15×4 + 5×3) / (50×5) × 5 = 225/250 × 5 = 4.5
    assert (items["public_rating"]["numerator"], items["public_rating"]["denominator"]) == (
        225,
        250,
    )
    assert items["public_rating"]["points"] == 4.5
    with pytest.raises(DomainError):
        enter_manual_score(
            scheme_code="sheet100",
            item_code="publicity",
            month="2026-03",
            unit_kind="worker",
            unit_code="worker_a1",
            points=Decimal("6"),
            by=office,
        )
    with pytest.raises(DomainError):
        enter_manual_score(
            scheme_code="sheet100",
            item_code="report_rate",
            month="2026-03",
            unit_kind="worker",
            unit_code="worker_a1",
            points=Decimal("1"),
            by=office,
        )
    with pytest.raises(PermissionDenied):
        enter_survey(
            month="2026-03",
            unit_kind="worker",
            unit_code="worker_a1",
            satisfied=1,
            fairly=0,
            dissatisfied=0,
            by=town.user("worker_a1"),
        )


def test_published_run_stays_frozen_when_data_changes(town, make_case):
    office = town.user("town_office")
    case = make_case("A1", state="dispatched", due=at(3, 12), created=at(3, 1))
    run = publish_run(scheme_code="gbt30428", month="2026-03", unit_kind="grid", by=office)
    before = run_assess("--scheme", "gbt30428", "--month", "2026-03")
    a1 = next(r for r in before if r["code"] == town.a1.code)
    assert a1["items"][0]["numerator"] == 0
    # The case is closed late and a new one appears: the published figures do not move.
    type(case).objects.filter(pk=case.pk).update(state="closed", closed_at=at(3, 11))
    make_case("A1", state="closed", due=at(3, 5), closed=at(3, 5))
    assert run_assess("--scheme", "gbt30428", "--month", "2026-03") == before
    assert run.results.get(code=town.a1.code).items[0]["numerator"] == 0
    # The live figures have moved (a draft of another month shows the computation is live).
    from gridgov.oversight.indicators import Period
    from gridgov.oversight.services import current_scheme, score_units

    live = {
        s.unit.code: s
        for s in score_units(current_scheme("gbt30428"), Period.month("2026-03"), "grid")
    }
    assert live[town.a1.code].items[0].numerator == 2
    with pytest.raises(ConflictError):
        publish_run(scheme_code="gbt30428", month="2026-03", unit_kind="grid", by=office)
    with pytest.raises(PermissionDenied):
        publish_run(
            scheme_code="gbt30428", month="2026-04", unit_kind="grid", by=town.user("worker_a1")
        )


def test_assess_publish_flag_freezes_from_the_command_line(town, make_case):
    make_case("B1", state="closed", due=at(5, 10), closed=at(5, 9))
    rows = run_assess(
        "--scheme",
        "sheet1000",
        "--month",
        "2026-05",
        "--unit",
        "town",
        "--publish",
        "--by",
        "town_office",
    )
    assert len(rows) == 1
    assert rows[0]["code"] == town.town.code
    kinds = {i["code"]: i for i in rows[0]["items"]}
    # 1 due, 1 closed on time; visits manual (0); no rating by a department: full points.
    assert kinds["on_time_closure_rate"]["points"] == 100
    assert kinds["overdue"]["points"] == 50
    assert kinds["visits"]["points"] == 0
    assert kinds["dispatch_quality"]["points"] == 50
    assert ItemKind.MANUAL == "manual"


def test_a_manual_score_stays_inside_the_assessors_territory(town):
    """Village A's office scores its own worker; village B's worker is, for it, no unit at all
    (the same answer as a unit that does not exist)."""
    village_office = town.user("village_a")
    kwargs = {"scheme_code": "sheet100", "item_code": "publicity", "month": "2026-03"}
    score = enter_manual_score(
        **kwargs,
        unit_kind="worker",
        unit_code="worker_a1",
        points=Decimal("3"),
        by=village_office,
    )
    assert score.assessor == village_office
    with pytest.raises(DomainError) as outside:
        enter_manual_score(
            **kwargs,
            unit_kind="worker",
            unit_code="worker_b1",
            points=Decimal("3"),
            by=village_office,
        )
    assert outside.value.field == "unit_code"
    # The town's office covers both villages.
    enter_manual_score(
        **kwargs,
        unit_kind="worker",
        unit_code="worker_b1",
        points=Decimal("3"),
        by=town.user("town_office"),
    )
