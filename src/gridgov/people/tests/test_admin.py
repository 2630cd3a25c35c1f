import pytest

from gridgov.core.jurisdiction import Role
from gridgov.people.models import Jurisdiction, Post, PostKind, Staff

PAGES = ["department", "staff", "post", "liaison", "jurisdiction", "postduty"]


@pytest.mark.parametrize("model", PAGES)
def test_admin_pages_open_for_the_platform_admin(client_for, model):
    client = client_for("admin")
    assert client.get(f"/admin/people/{model}/").status_code == 200
    assert client.get(f"/admin/people/{model}/add/").status_code == 200


def test_admin_pages_are_closed_to_operators(client_for):
    response = client_for("town_office").get("/admin/people/post/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_shows_a_broken_post_rule_on_the_form(client_for, town):
    worker = Staff.objects.get(user__username="worker_a1")
    before = Post.objects.count()
    response = client_for("admin").post(
        "/admin/people/post/add/",
        {"staff": worker.pk, "kind": PostKind.WORKER_FULL, "grid": town.a1.pk, "is_public": "on"},
    )
    assert response.status_code == 200
    assert "已在网格" in response.content.decode()
    assert Post.objects.count() == before


def test_admin_appoints_and_relieves_through_the_services(client_for, town):
    staff = Staff.objects.get(user__username="worker_b1")
    client = client_for("admin")
    response = client.post(
        "/admin/people/post/add/",
        {"staff": staff.pk, "kind": PostKind.VOLUNTEER, "grid": town.b2.pk, "is_public": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get(staff=staff, kind=PostKind.VOLUNTEER)
    assert post.started_on is not None
    response = client.post(
        f"/admin/people/post/{post.pk}/change/",
        {"title": "志愿者", "duties": "", "is_public": "on", "ended_on": str(post.started_on)},
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.title, post.ended_on) == ("志愿者", post.started_on)


def test_admin_grants_and_revokes_roles(client_for, town):
    user = town.user("worker_b1")
    client = client_for("admin")
    response = client.post(
        "/admin/people/jurisdiction/add/",
        {"user": user.pk, "role": Role.LEADER, "grid": town.village_b.pk, "active": "on"},
    )
    assert response.status_code == 302
    grant = Jurisdiction.objects.get(user=user, role=Role.LEADER)
    assert user.groups.filter(name=Role.LEADER).exists()
    response = client.post(f"/admin/people/jurisdiction/{grant.pk}/change/", {})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.active is False
    assert not user.groups.filter(name=Role.LEADER).exists()
    bad = client.post(
        "/admin/people/jurisdiction/add/",
        {"user": user.pk, "role": Role.WORKER, "department": town.env.pk, "active": "on"},
    )
    assert bad.status_code == 200
    assert "按部门授权" in bad.content.decode()
