"""Bad input from the earlier review (issue 9, defect 8): each refused with the field named,
nothing changed."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gridgov.cases.models import Case
from gridgov.core.plausible import EARLIEST
from gridgov.core.testing.town import TOWN_CODE, UNIT_A1
from gridgov.people.models import Department, Post, Staff


def patch(client, url, body: str):
    return client.patch(url, data=body, content_type="application/json")


@pytest.mark.parametrize("body", ['{"nmae": "新名"}', "null", "{}"])
def test_department_patch_with_unknown_field_or_empty_body_is_refused(client_for, town, body):
    department = Department.objects.get(code="410182100-ENV")
    before = (department.name, department.phone, department.duties)
    response = patch(client_for("admin"), f"/api/v1/people/departments/{department.pk}", body)
    assert response.status_code == 422
    department.refresh_from_db()
    assert (department.name, department.phone, department.duties) == before
    if body.startswith('{"'):
        assert response.json()["errors"][0]["field"] == "nmae"


def test_department_patch_with_a_known_field_still_works(client_for, town):
    department = Department.objects.get(code="410182100-ENV")
    response = patch(
        client_for("admin"),
        f"/api/v1/people/departments/{department.pk}",
        json.dumps({"duties": "环境监管"}),
    )
    assert response.status_code == 200
    department.refresh_from_db()
    assert department.duties == "环境监管"


@pytest.mark.parametrize("started_on", ["9999-12-31", "1900-01-01"])
def test_a_post_starting_at_an_implausible_date_is_refused(client_for, town, started_on):
    staff = Staff.objects.filter(posts__grid__code=UNIT_A1).first()
    assert staff is not None
    before = Post.objects.count()
    response = client_for("admin").post(
        "/api/v1/people/posts",
        data=json.dumps(
            {
                "staff_id": staff.pk,
                "kind": "volunteer",
                "grid_code": UNIT_A1,
                "started_on": started_on,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "started_on"
    assert Post.objects.count() == before


def test_ending_a_post_far_in_the_future_is_refused(client_for, town):
    post = Post.objects.filter(grid__code=UNIT_A1, ended_on=None).first()
    assert post is not None
    response = client_for("admin").post(
        f"/api/v1/people/posts/{post.pk}/end",
        data=json.dumps({"on": "9999-12-31"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    post.refresh_from_db()
    assert post.ended_on is None


def test_a_hotline_call_received_in_1900_is_refused(client_for, town):
    before = Case.objects.count()
    response = client_for("town_office").post(
        "/api/v1/cases/",
        data={
            "channel": "hotline",
            "external_number": "12345-1900",
            "description": "路灯坏了",
            "address": "王村",
            "grid_code": UNIT_A1,
            "received_at": "1900-01-01T08:00:00+08:00",
        },
    )
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "received_at"
    assert EARLIEST.isoformat() in response.json()["detail"]
    assert Case.objects.count() == before


@pytest.mark.parametrize("level", ["abc", "99999999999999999999999", "-1"])
def test_geojson_with_an_unknown_level_is_a_400(client_for, town, level):
    response = client_for("admin").get(f"/api/v1/grids/{TOWN_CODE}/geojson", {"level": level})
    assert response.status_code == 400
    assert response.json()["field"] == "level"


def test_geojson_with_a_level_by_name_or_depth_still_filters(client_for, town):
    client = client_for("admin")
    by_depth = client.get(f"/api/v1/grids/{TOWN_CODE}/geojson", {"level": "2"}).json()
    name = town.a1.level.name
    by_name = client.get(f"/api/v1/grids/{TOWN_CODE}/geojson", {"level": name}).json()
    codes = {f["properties"]["code"] for f in by_depth["features"]}
    assert UNIT_A1 in codes
    assert codes == {f["properties"]["code"] for f in by_name["features"]}


def test_plausible_dates_are_one_range():
    from gridgov.core.errors import DomainError
    from gridgov.core.plausible import check_plausible_date, latest_date

    check_plausible_date(EARLIEST, field="x")
    check_plausible_date(latest_date(), field="x")
    for day in (EARLIEST - dt.timedelta(days=1), latest_date() + dt.timedelta(days=1)):
        with pytest.raises(DomainError):
            check_plausible_date(day, field="x")
