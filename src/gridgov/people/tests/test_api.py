import json

import pytest
import time_machine
from django.test import Client, override_settings

from gridgov.core.testing.town import UNIT_A1, UNIT_A2, UNIT_B1, VILLAGE_A
from gridgov.people import services
from gridgov.people.models import (
    DepartmentKind,
    DepartmentLevel,
    Post,
    PostDuty,
    PostKind,
    Staff,
)

API = "/api/v1/people"


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch_json(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def worker_post(username):
    return Post.objects.get(staff__user__username=username, kind=PostKind.WORKER_FULL)


@pytest.mark.parametrize(
    ("username", "visible_grids"),
    [
        ("worker_a1", {UNIT_A1}),
        ("worker_b1", {UNIT_B1}),
        ("village_a", {VILLAGE_A, UNIT_A1}),
        # The environment office's officer embedded in village A (seed 002: 下沉).
        ("env_handler", {VILLAGE_A}),
    ],
)
def test_post_list_shows_only_the_scope(
    client_for, django_assert_max_num_queries, username, visible_grids
):
    client = client_for(username)
    with django_assert_max_num_queries(8):
        response = client.get(f"{API}/posts")
    assert response.status_code == 200
    grids = {item["grid"]["code"] for item in response.json()["items"] if item["grid"]}
    assert grids == visible_grids


@pytest.mark.parametrize("endpoint", ["staff", "departments", "liaisons", "posts"])
@pytest.mark.parametrize("username", ["town_office", "leader", "admin"])
def test_list_endpoints_use_a_fixed_number_of_queries(
    client_for, django_assert_max_num_queries, town, endpoint, username
):
    for i in range(5):  # more rows must not mean more queries (Zulip's N+1 rule)
        staff = services.create_staff(name=f"批量{i}", department=town.police)
        services.assign_post(staff=staff, kind=PostKind.VOLUNTEER, grid=town.b2)
        services.add_liaison(staff=staff, kind="department", grid=town.b1)
    client = client_for(username)
    with django_assert_max_num_queries(9):
        response = client.get(f"{API}/{endpoint}")
    assert response.status_code == 200
    assert response.json()["count"] >= 1


def test_handler_sees_own_department_posts_only(client_for, town):
    items = client_for("env_handler").get(f"{API}/posts").json()["items"]
    assert {item["department"]["code"] for item in items} == {town.env.code}


def test_neighbours_post_is_404_like_a_missing_one(client_for):
    client = client_for("worker_a1")
    neighbour = client.get(f"{API}/posts/{worker_post('worker_b1').pk}")
    missing = client.get(f"{API}/posts/999999")
    assert neighbour.status_code == missing.status_code == 404
    assert neighbour.json() == missing.json()
    assert client.get(f"{API}/posts/{worker_post('worker_a1').pk}").status_code == 200


def test_anonymous_gets_401(client):
    assert client.get(f"{API}/posts").status_code == 401
    assert post_json(client, f"{API}/staff", {"name": "x"}).status_code == 401


@pytest.mark.parametrize("username", ["worker_a1", "leader", "env_handler"])
def test_roles_without_management_get_403_inside_their_scope(client_for, username):
    staff = Staff.objects.get(user__username=username)
    grid = UNIT_A1 if username != "env_handler" else None
    body = {"staff_id": staff.pk, "kind": PostKind.VOLUNTEER, "grid_code": grid}
    if grid is None:
        body = {
            "staff_id": staff.pk,
            "kind": PostKind.HANDLER,
            "department_id": staff.department_id,
        }
    response = post_json(client_for(username), f"{API}/posts", body)
    assert response.status_code == 403
    assert response.json()["detail"]


def test_operator_outside_the_grid_gets_404_not_403(client_for):
    staff = Staff.objects.get(user__username="village_a")
    response = post_json(
        client_for("village_a"),
        f"{API}/posts",
        {"staff_id": staff.pk, "kind": PostKind.VOLUNTEER, "grid_code": UNIT_B1},
    )
    assert response.status_code == 404
    # The same answer as for a grid that does not exist, naming the field that points at it.
    missing = post_json(
        client_for("village_a"),
        f"{API}/posts",
        {"staff_id": staff.pk, "kind": PostKind.VOLUNTEER, "grid_code": "999"},
    )
    assert missing.status_code == 404
    assert response.json()["field"] == missing.json()["field"] == "grid_code"
    assert response.json()["detail"].replace(UNIT_B1, "999") == missing.json()["detail"]


def test_office_creates_a_person_with_a_first_post(client_for):
    client = client_for("village_a")
    response = post_json(
        client,
        f"{API}/staff",
        {
            "name": "刘洋",
            "phone": "139 0000 0007",
            "gender": "f",
            "post": {"kind": PostKind.WORKER_PART, "grid_code": UNIT_A2, "title": "兼职网格员"},
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phone"] == "+8613900000007"
    assert body["phone_display"] == "139 0000 0007"
    assert [p["grid"]["code"] for p in body["posts"]] == [UNIT_A2]
    assert client.get(f"{API}/staff/{body['id']}").status_code == 200


def test_bad_phone_is_a_400_naming_the_field_and_writes_nothing(client_for):
    before = Staff.objects.count()
    response = post_json(
        client_for("village_a"),
        f"{API}/staff",
        {"name": "刘洋", "phone": "12345", "post": {"kind": "worker_part", "grid_code": UNIT_A2}},
    )
    assert response.status_code == 400
    assert response.json()["field"] == "phone"
    assert Staff.objects.count() == before


def test_duplicate_post_is_400(client_for):
    staff = Staff.objects.get(user__username="worker_a1")
    response = post_json(
        client_for("village_a"),
        f"{API}/posts",
        {"staff_id": staff.pk, "kind": PostKind.WORKER_FULL, "grid_code": UNIT_A1},
    )
    assert response.status_code == 400
    assert "已在网格" in response.json()["detail"]


def test_end_and_move_posts_through_the_api(client_for):
    client = client_for("village_a")
    moved = client.post(
        f"{API}/posts/{worker_post('worker_a1').pk}/move",
        json.dumps({"grid_code": UNIT_A2}),
        content_type="application/json",
    )
    assert moved.status_code == 201, moved.json()
    assert moved.json()["grid"]["code"] == UNIT_A2
    ended = post_json(client, f"{API}/posts/{moved.json()['id']}/end", {})
    assert ended.status_code == 200
    assert ended.json()["ended_on"] is not None


def test_patch_post_changes_title_and_duties(client_for):
    pk = worker_post("worker_a1").pk
    response = patch_json(client_for("town_office"), f"{API}/posts/{pk}", {"duties": "巡查"})
    assert response.status_code == 200
    assert response.json()["duties"] == "巡查"
    assert patch_json(client_for("leader"), f"{API}/posts/{pk}", {"duties": "x"}).status_code == 403


def test_department_api_scoping_and_creation(client_for, town):
    office = client_for("town_office")
    codes = {d["code"] for d in office.get(f"{API}/departments").json()["items"]}
    assert {town.env.code, town.police.code, town.county_env.code} <= codes
    created = post_json(
        office,
        f"{API}/departments",
        {
            "code": "410182100-MARKET",
            "name": "王村市场监管所",
            "kind": DepartmentKind.MARKET,
            "level": DepartmentLevel.TOWN,
            "region_code": "410182100",
            "phone": "0371-64611315",
        },
    )
    assert created.status_code == 201, created.json()
    assert created.json()["phone"] == "+8637164611315"
    # A town office does not run the county's bureaus: it sees them (403), it cannot edit them.
    assert (
        patch_json(office, f"{API}/departments/{town.county_env.pk}", {"phone": ""}).status_code
        == 403
    )
    handler = client_for("env_handler")
    assert handler.get(f"{API}/departments/{town.police.pk}").status_code == 404


def test_liaison_api(client_for, town):
    leader_staff = Staff.objects.get(user__username="leader")
    office = client_for("town_office")
    items = office.get(f"{API}/liaisons").json()["items"]
    assert [i["grid"]["code"] for i in items] == [VILLAGE_A]
    created = post_json(
        office,
        f"{API}/liaisons",
        {"staff_id": leader_staff.pk, "kind": "leader", "grid_code": town.village_b.code},
    )
    assert created.status_code == 201, created.json()
    assert client_for("worker_a1").get(f"{API}/liaisons/{created.json()['id']}").status_code == 404


def test_me_lists_roles_and_read_only_flag(client_for):
    body = client_for("leader").get(f"{API}/me").json()
    assert body["is_readonly_leader"] is True
    assert [r["role"] for r in body["roles"]] == ["leader"]
    assert body["staff"]["name"] == "孙书记"


# --- the public board ---------------------------------------------------------------------------


def test_board_is_public_and_shows_people_phones_and_hotline(client, town):
    services.create_department(
        code="410182100-GRID",
        name="王村镇网格化服务管理中心",
        kind=DepartmentKind.OFFICE,
        level=DepartmentLevel.TOWN,
        region=town.town.region,
        phone="0371-64610000",
    )
    PostDuty.objects.create(kind=PostKind.WORKER_FULL, duties="信息采集、巡查走访、矛盾排查")
    with override_settings(GRIDGOV={"HOTLINE": "96361"}):
        response = Client().get(f"{API}/boards/{UNIT_A1}")
    assert response.status_code == 200
    board = response.json()
    assert board["hotline"] == "96361"
    assert board["supervision_phone"] == "0371 6461 0000"
    assert [g["code"] for g in board["chain"]] == [town.town.code, VILLAGE_A]
    assert board["chain"][1]["leader_name"] == "王建国"
    assert [(p["name"], p["post"], p["phone"]) for p in board["people"]] == [
        ("李娜", "专职网格员", "138 0000 0003")
    ]
    assert board["people"][0]["duties"] == "信息采集、巡查走访、矛盾排查"
    assert board["duties"] == ["信息采集、巡查走访、矛盾排查"]


def test_board_shows_embedded_officers_and_liaisons(town):
    board = Client().get(f"{API}/boards/{VILLAGE_A}").json()
    assert [(o["name"], o["department"]) for o in board["embedded_officers"]] == [
        ("陈刚", "王村镇环保所")
    ]
    assert [li["name"] for li in board["liaisons"]] == ["孙书记"]
    assert [c["code"] for c in board["children"]] == [UNIT_A1, UNIT_A2]


def test_board_hides_user_names_ended_and_non_public_posts(town):
    secret = services.create_staff(name="隐蔽信息员", phone="13900000009")
    services.assign_post(staff=secret, kind=PostKind.INFORMANT, grid=town.a1, is_public=False)
    gone = services.create_staff(name="已离任", phone="13900000010")
    post = services.assign_post(staff=gone, kind=PostKind.VOLUNTEER, grid=town.a1)
    services.end_post(post, by=None)
    text = Client().get(f"{API}/boards/{UNIT_A1}").content.decode()
    for hidden in ("隐蔽信息员", "已离任", "worker_a1", "username"):
        assert hidden not in text


def test_board_of_unknown_or_inactive_grid_is_404(town):
    from gridgov.grids.models import Grid

    assert Client().get(f"{API}/boards/000000000000").status_code == 404
    Grid.objects.filter(code=UNIT_A2).update(is_active=False)
    assert Client().get(f"{API}/boards/{UNIT_A2}").status_code == 404


def test_anonymous_board_reads_get_429_with_retry_after_past_60_a_minute(town):
    from gridgov.people.api import BOARD_READS_PER_MINUTE

    anonymous = Client()
    with time_machine.travel("2026-03-02T04:00:30Z", tick=False):
        statuses = [anonymous.get(f"{API}/boards/{UNIT_A1}").status_code for _ in range(60)]
        refused = anonymous.get(f"{API}/boards/{UNIT_A1}")
    assert BOARD_READS_PER_MINUTE == 60
    assert statuses == [200] * 60
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"


def test_signed_in_board_reads_are_not_throttled(client_for, town):
    client = client_for("town_office")
    with time_machine.travel("2026-03-02T04:00:30Z", tick=False):
        statuses = {client.get(f"{API}/boards/{UNIT_A1}").status_code for _ in range(70)}
    assert statuses == {200}
