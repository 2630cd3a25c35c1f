"""Who changed what in people: departments, staff, posts, liaisons and grants leave change-log
entries (django-auditlog) whose actor is the service's `by`, from the API as from the admin; a
phone is masked in the log."""

from __future__ import annotations

import json

from auditlog.models import LogEntry

from gridgov.core.jurisdiction import Role
from gridgov.core.testing.town import UNIT_A2
from gridgov.people import services
from gridgov.people.audit import mask_phone
from gridgov.people.models import Jurisdiction, Post, Staff


def last_entry(obj) -> LogEntry:
    return LogEntry.objects.get_for_object(obj).latest("pk")


def test_a_staff_update_is_logged_with_its_actor_and_the_phone_masked(town):
    admin = town.user("admin")
    staff = Staff.objects.get(user__username="worker_a1")
    services.update_staff(staff, by=admin, phone="13912345678", title="专职网格员")
    entry = last_entry(staff)
    assert entry.actor == admin
    old, new = entry.changes_dict["phone"]
    assert (old, new) == ("+86138****0003", "+86139****5678")
    assert "13912345678" not in json.dumps(entry.changes, ensure_ascii=False)
    assert entry.changes_dict["title"] == ["", "专职网格员"]


def test_mask_phone_keeps_prefix_and_last_four():
    assert mask_phone("+8613800000001") == "+86138****0001"
    assert mask_phone("+8637164611001") == "+86371****1001"
    assert mask_phone("12345") == "*2345"
    assert mask_phone("") == ""


def test_moving_a_post_attributes_both_posts_to_the_mover(town):
    office = town.user("town_office")
    post = Post.objects.get(staff__user__username="worker_a1", ended_on__isnull=True)
    new_post = services.move_post(post, to_grid=town.grid(UNIT_A2), by=office)
    assert last_entry(post).actor == office  # ended inside move_post with by=None
    assert last_entry(post).changes_dict["ended_on"][0] == "None"
    assert last_entry(new_post).actor == office
    assert last_entry(new_post).action == LogEntry.Action.CREATE
    grant = Jurisdiction.objects.filter(user__username="worker_a1", active=True).latest("pk")
    assert last_entry(grant).actor == office


def test_an_api_write_is_attributed_to_the_caller(client_for, town):
    department = town.env
    response = client_for("admin").patch(
        f"/api/v1/people/departments/{department.pk}",
        json.dumps({"duties": "环境监管"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    entry = last_entry(department)
    assert entry.actor.username == "admin"
    assert entry.changes_dict["duties"] == ["", "环境监管"]


def test_an_admin_grant_is_attributed_to_the_admin(client_for, town):
    user = town.user("worker_b1")
    response = client_for("admin").post(
        "/admin/people/jurisdiction/add/",
        {"user": user.pk, "role": Role.LEADER, "grid": town.village_b.pk, "active": "on"},
    )
    assert response.status_code == 302, response.content[:500]
    grant = Jurisdiction.objects.get(user=user, role=Role.LEADER)
    entry = last_entry(grant)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor.username == "admin"


def test_liaisons_are_logged(town):
    admin = town.user("admin")
    staff = services.create_staff(name="分包干部", by=admin)
    liaison = services.add_liaison(staff=staff, kind="leader", grid=town.village_b, by=admin)
    services.end_liaison(liaison, by=admin)
    actions = list(
        LogEntry.objects.get_for_object(liaison).order_by("pk").values_list("action", "actor")
    )
    assert actions == [(LogEntry.Action.CREATE, admin.pk), (LogEntry.Action.UPDATE, admin.pk)]
