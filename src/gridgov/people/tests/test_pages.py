"""People and posts from the web: a grid office appoints, moves and ends posts of its subtree,
creates a worker's log-in whose first password must be changed, resets a password; everyone
changes their own. Outside the office's territory is a 404, a worker gets 403."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client

from gridgov.core.testing.town import PASSWORD
from gridgov.people.models import PasswordChangeDue, Post, PostKind, Staff
from gridgov.people.services import assign_post, create_staff


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """New passwords hashed quickly (the cast's stored hashes still verify)."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture
def helper(town):
    """A volunteer of unit A1 without a log-in (seed 004: 网格信息志愿员)."""
    staff = create_staff(name="钱多多", phone="13900001111")
    assign_post(staff=staff, kind=PostKind.VOLUNTEER, grid=town.a1, started_on=dt.date(2026, 1, 1))
    return staff


def _password_on(page: str) -> str:
    match = re.search(r"data-one-time-password>([A-Za-z0-9]+)<", page)
    assert match, page
    return match.group(1)


def test_office_lists_the_posts_of_its_subtree_only(client_for, town, helper) -> None:
    page = client_for("village_a").get("/people/").content.decode()
    assert "钱多多" in page
    assert "李娜" in page  # worker_a1, in village A
    assert "赵强" not in page  # worker_b1, in village B
    page = client_for("village_a").get("/people/", {"q": "钱"}).content.decode()
    assert "钱多多" in page
    assert "李娜" not in page


def test_filter_by_grid_and_kind(client_for, town, helper) -> None:
    client = client_for("town_office")
    page = client.get("/people/", {"grid": town.village_b.code}).content.decode()
    assert "赵强" in page
    assert "钱多多" not in page
    page = client.get("/people/", {"kind": PostKind.VOLUNTEER}).content.decode()
    assert "钱多多" in page
    assert "赵强" not in page


def test_a_worker_may_not_manage_people(client_for, helper) -> None:
    client = client_for("worker_a1")
    assert client.get("/people/").status_code == 403
    assert client.get(f"/people/staff/{helper.pk}/").status_code == 403


def test_another_territory_is_a_404(client_for, town) -> None:
    zhao = Staff.objects.get(name="赵强")  # worker_b1, village B
    client = client_for("village_a")
    assert client.get(f"/people/staff/{zhao.pk}/").status_code == 404
    post = Post.objects.get(staff=zhao, ended_on__isnull=True)
    assert client.post(f"/people/posts/{post.pk}/end/", {"on": "2026-01-01"}).status_code == 404
    assert client.get("/people/staff/999999/").status_code == 404


def test_create_a_person_with_a_first_post(client_for, town) -> None:
    client = client_for("village_a")
    response = client.post(
        "/people/new/",
        {
            "name": "孙小红",
            "gender": "f",
            "phone": "13911112222",
            "kind": PostKind.ASSISTANT,
            "grid": town.a2.code,
            "title": "网格信息协管员",
            "started_on": "2026-03-01",
        },
    )
    staff = Staff.objects.get(name="孙小红")
    assert response.status_code == 302
    assert response["Location"] == f"/people/staff/{staff.pk}/"
    post = staff.posts.get()
    assert (post.kind, post.grid_id, post.started_on) == (
        PostKind.ASSISTANT,
        town.a2.pk,
        dt.date(2026, 3, 1),
    )
    entry = LogEntry.objects.get_for_object(post).get()
    assert entry.actor.username == "village_a"
    page = client.get(f"/people/staff/{staff.pk}/").content.decode()
    assert "13911112222" not in page


def test_a_grid_outside_the_office_is_a_form_error(client_for, town) -> None:
    response = client_for("village_a").post(
        "/people/new/", {"name": "某人", "kind": PostKind.VOLUNTEER, "grid": town.b1.code}
    )
    assert response.status_code == 200
    assert not Staff.objects.filter(name="某人").exists()


def test_appoint_move_and_end_a_post(client_for, town, helper) -> None:
    client = client_for("town_office")
    response = client.post(
        f"/people/staff/{helper.pk}/appoint/",
        {"kind": PostKind.INFORMANT, "grid": town.a2.code, "started_on": "2026-02-01"},
    )
    assert response.status_code == 302
    informant = helper.posts.get(kind=PostKind.INFORMANT)
    volunteer = helper.posts.get(kind=PostKind.VOLUNTEER)

    response = client.post(
        f"/people/posts/{volunteer.pk}/move/", {"to_grid": town.b1.code, "on": "2026-03-02"}
    )
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.ended_on == dt.date(2026, 3, 2)
    moved = helper.posts.get(kind=PostKind.VOLUNTEER, ended_on__isnull=True)
    assert (moved.grid_id, moved.started_on) == (town.b1.pk, dt.date(2026, 3, 2))

    response = client.post(f"/people/posts/{informant.pk}/end/", {"on": "2026-01-01"})
    assert response.status_code == 200  # before the start: a form error, nothing changes
    informant.refresh_from_db()
    assert informant.ended_on is None
    response = client.post(f"/people/posts/{informant.pk}/end/", {"on": "2026-04-01"})
    assert response.status_code == 302
    informant.refresh_from_db()
    assert informant.ended_on == dt.date(2026, 4, 1)
    actors = set(
        LogEntry.objects.get_for_object(informant).values_list("actor__username", flat=True)
    )
    assert actors == {"town_office"}


def test_the_first_password_is_shown_once_and_must_be_changed(client_for, town, helper) -> None:
    office = client_for("village_a")
    response = office.post(
        f"/people/staff/{helper.pk}/login/",
        {"username": "qian_a1", "role": "worker", "grid": town.a1.code},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    first = _password_on(response.content.decode())
    user = get_user_model().objects.get(username="qian_a1")
    assert user.staff == helper
    assert user.jurisdictions.get(active=True).grid == town.a1
    assert PasswordChangeDue.objects.get(user=user).reason == "first"
    assert first not in "".join(LogEntry.objects.values_list("changes_text", flat=True))
    assert first not in str(list(LogEntry.objects.values_list("changes", flat=True)))

    worker = Client()
    response = worker.post("/login/", {"username": "qian_a1", "password": first})
    assert response.status_code == 302
    held = worker.get("/m/")
    assert held.status_code == 302
    assert held["Location"].startswith("/people/password/?next=")
    assert worker.get("/api/v1/people/staff").status_code == 403
    assert worker.get("/inbox/unread/", headers={"HX-Request": "true"}).status_code == 204
    assert worker.get("/m/report/", headers={"Accept": "application/json"}).status_code == 403
    response = worker.post(
        "/people/password/",
        {
            "old_password": first,
            "new_password1": "my-own-secret-2026",
            "new_password2": "my-own-secret-2026",
            "next": "/m/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/m/"
    assert not PasswordChangeDue.objects.filter(user=user).exists()
    assert worker.get("/m/").status_code == 200
    user.refresh_from_db()
    assert user.check_password("my-own-secret-2026")


def test_a_log_in_only_for_a_grid_of_the_person(client_for, town, helper) -> None:
    response = client_for("town_office").post(
        f"/people/staff/{helper.pk}/login/",
        {"username": "qian", "role": "worker", "grid": town.b1.code},
    )
    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="qian").exists()


def test_a_village_office_may_not_make_a_peer_operator(client_for, town, helper) -> None:
    response = client_for("village_a").post(
        f"/people/staff/{helper.pk}/login/",
        {"username": "qian", "role": "office", "grid": town.a1.code},
    )
    assert response.status_code == 200  # a1 is below village A: allowed
    other = create_staff(name="周二")
    assign_post(staff=other, kind=PostKind.VOLUNTEER, grid=town.village_a)
    response = client_for("village_a").post(
        f"/people/staff/{other.pk}/login/",
        {"username": "zhou", "role": "office", "grid": town.village_a.code},
    )
    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="zhou").exists()


def test_a_higher_office_resets_a_password_and_the_old_one_stops_working(client_for, town) -> None:
    worker = Client()
    worker.post("/login/", {"username": "worker_a1", "password": PASSWORD})
    assert worker.get("/m/").status_code == 200
    li_na = Staff.objects.get(name="李娜")
    response = client_for("village_a").post(f"/people/staff/{li_na.pk}/reset-password/")
    assert response.status_code == 200
    new = _password_on(response.content.decode())
    assert worker.get("/m/").status_code == 302  # the old session ended
    user = town.user("worker_a1")
    assert user.check_password(new)
    assert not user.check_password(PASSWORD)
    due = PasswordChangeDue.objects.get(user=user)
    assert (due.reason, due.set_by.username) == ("reset", "village_a")
    entry = LogEntry.objects.get_for_object(due).get()
    assert entry.actor.username == "village_a"


def test_who_may_reset_whom(client_for, town) -> None:
    town_staff = Staff.objects.get(name="周敏")  # the town office
    village_staff = Staff.objects.get(name="王建国")  # village A's office
    assert client_for("village_a").post(
        f"/people/staff/{town_staff.pk}/reset-password/"
    ).status_code in {403, 404}
    assert (
        client_for("village_a")
        .post(f"/people/staff/{village_staff.pk}/reset-password/")
        .status_code
        == 403
    )  # oneself, or a peer: no
    assert (
        client_for("town_office")
        .post(f"/people/staff/{village_staff.pk}/reset-password/")
        .status_code
        == 200
    )
    assert (
        client_for("admin").post(f"/people/staff/{town_staff.pk}/reset-password/").status_code
        == 200
    )


def test_everyone_changes_their_own_password(client_for, town) -> None:
    client = client_for("leader")
    assert client.get("/people/password/").status_code == 200
    response = client.post(
        "/people/password/",
        {"old_password": "wrong", "new_password1": "abcdefgh12", "new_password2": "abcdefgh12"},
    )
    assert response.status_code == 200
    assert "当前密码不正确" in response.content.decode()
    response = client.post(
        "/people/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "leader-new-2026",
            "new_password2": "leader-new-2026",
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert town.user("leader").check_password("leader-new-2026")
    assert client.get("/command/").status_code == 200  # still logged in


def test_the_list_does_not_query_per_row(client_for, town, helper) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("town_office")
    client.get("/people/")
    with CaptureQueriesContext(connection) as few:
        client.get("/people/")
    for i in range(5):
        extra = create_staff(name=f"志愿者{i}")
        assign_post(staff=extra, kind=PostKind.VOLUNTEER, grid=town.a2)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/people/").content.decode()
    assert "志愿者4" in page
    assert len(many) == len(few)
