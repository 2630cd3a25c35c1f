"""An item's extra questions (MatterAttribute) are answered at intake, whoever reports."""

from __future__ import annotations

import pytest

from gridgov.cases.models import AttributeDatatype as D
from gridgov.cases.models import MatterAttribute, MatterItem
from gridgov.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions():
    item = MatterItem.objects.get(code="0505")
    rows = [
        ("size", D.NUMBER, True, []),
        ("seen", D.DATETIME, False, []),
        (
            "kind",
            D.SINGLE,
            False,
            [{"key": "pit", "name": "坑槽"}, {"key": "crack", "name": "裂缝"}],
        ),
        ("risks", D.MULTI, False, [{"key": "car", "name": "车"}, {"key": "walk", "name": "行人"}]),
        ("note", D.TEXT, False, []),
        ("plate", D.STRING, False, []),
    ]
    for order, (code, datatype, required, values) in enumerate(rows, start=1):
        MatterAttribute.objects.create(
            item=item,
            code=code,
            datatype=datatype,
            required=required,
            order=order,
            description=code,
            values=values,
        )
    return item


def test_a_patrol_report_stores_typed_answers(report, questions):
    case = report(
        category="0505",
        attributes={
            "size": "3",
            "seen": "2026-06-08T08:00:00+08:00",
            "kind": "pit",
            "risks": ["car", "walk"],
            "note": "长" * 500,
            "plate": "",
        },
    )
    assert case.attributes == {
        "size": 3,
        "seen": "2026-06-08T08:00:00+08:00",
        "kind": "pit",
        "risks": ["car", "walk"],
        "note": "长" * 500,
    }


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({}, "attribute[size]"),
        ({"size": "big"}, "attribute[size]"),
        ({"size": "nan"}, "attribute[size]"),
        ({"size": "1", "kind": "hole"}, "attribute[kind]"),
        ({"size": "1", "kind": ["pit", "crack"]}, "attribute[kind]"),
        ({"size": "1", "risks": ["car", "boat"]}, "attribute[risks]"),
        ({"size": "1", "seen": "last week"}, "attribute[seen]"),
        ({"size": "1", "plate": "x" * 201}, "attribute[plate]"),
        ({"size": "1", "colour": "red"}, "attribute[colour]"),
    ],
)
def test_bad_answers_are_refused_naming_the_question(report, questions, answers, field):
    with pytest.raises(DomainError) as refused:
        report(category="0505", attributes=answers)
    assert refused.value.field == field


def test_answers_without_an_item_are_refused(report):
    with pytest.raises(DomainError) as refused:
        report(category=None, attributes={"size": "1"})
    assert refused.value.field == "attributes"


def test_items_without_questions_take_none(report):
    assert report(category="0401").attributes == {}


def test_the_api_intakes_take_answers_as_a_json_object(client_for, client, questions, town):
    from gridgov.cases.models import Case
    from gridgov.core.testing.town import INSIDE, UNIT_A1

    lon, lat = INSIDE[UNIT_A1]
    form = {"description": "路面坑槽", "category": "0505", "lon": lon, "lat": lat}
    staff = client_for("worker_a1").post(
        "/api/v1/cases/", data={**form, "attributes": '{"size": "2", "risks": ["car"]}'}
    )
    assert staff.status_code == 201, staff.content
    assert Case.objects.get(pk=staff.json()["id"]).attributes == {"size": 2, "risks": ["car"]}
    public = client.post("/api/v1/cases/public", data={**form, "attributes": '{"size": "1"}'})
    assert public.status_code == 201, public.content
    assert Case.objects.get(tracking_code=public.json()["tracking_code"]).attributes == {"size": 1}
    before = Case.objects.count()
    for bad, field in (
        ("{}", "attribute[size]"),  # required
        ("[1, 2]", "attributes"),
        ("not json", "attributes"),
        ('{"size": {"x": 1}}', "attributes"),
    ):
        refused = client_for("worker_a1").post("/api/v1/cases/", data={**form, "attributes": bad})
        assert (refused.status_code, refused.json().get("field")) == (400, field), bad
    assert Case.objects.count() == before
