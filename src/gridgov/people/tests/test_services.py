import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.core.testing.town import UNIT_A1, UNIT_A2, UNIT_B1
from gridgov.grids.models import Grid
from gridgov.people import services
from gridgov.people.models import (
    ONE_LEADER_THREE_MEMBERS,
    Jurisdiction,
    LiaisonKind,
    Post,
    PostKind,
    Staff,
)
from gridgov.people.permissions import (
    can_manage_grid_people,
    is_readonly_leader,
)

DAY = dt.date(2026, 3, 2)


def new_staff(name="新人", phone="13900000001", department=None):
    return services.create_staff(name=name, phone=phone, department=department)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13800001111", "+8613800001111"),
        ("138 0000 1111", "+8613800001111"),
        ("+86 138-0000-1111", "+8613800001111"),
        ("0632-4011001", "+866324011001"),
        ("", ""),
    ],
)
def test_phone_is_stored_in_e164(raw, e164):
    assert services.normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "1380000111", "abc", "0000-0000000"])
def test_invalid_phone_is_rejected_with_field(raw):
    with pytest.raises(DomainError) as err:
        services.normalise_phone(raw)
    assert err.value.field == "phone"


def test_create_staff_rejects_bad_phone_and_writes_nothing(town):
    before = Staff.objects.count()
    with pytest.raises(DomainError):
        services.create_staff(name="张三", phone="123")
    assert Staff.objects.count() == before


def test_person_cannot_hold_same_post_twice_in_one_grid(town):
    staff = new_staff()
    services.assign_post(staff=staff, kind=PostKind.WORKER_PART, grid=town.a2, started_on=DAY)
    with pytest.raises(DomainError, match="已在网格"):
        services.assign_post(staff=staff, kind=PostKind.WORKER_PART, grid=town.a2)
    assert Post.objects.filter(staff=staff).count() == 1


def test_same_post_in_another_grid_and_after_ending_is_allowed(town):
    staff = new_staff()
    first = services.assign_post(
        staff=staff, kind=PostKind.WORKER_PART, grid=town.a2, started_on=DAY
    )
    services.assign_post(staff=staff, kind=PostKind.WORKER_PART, grid=town.b2, started_on=DAY)
    services.end_post(first, on=DAY, by=None)
    again = services.assign_post(
        staff=staff, kind=PostKind.WORKER_PART, grid=town.a2, started_on=DAY
    )
    assert again.pk != first.pk


def test_database_also_refuses_duplicate_current_post(town):
    staff = new_staff()
    services.assign_post(staff=staff, kind=PostKind.INFORMANT, grid=town.a2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.create(staff=staff, kind=PostKind.INFORMANT, grid=town.a2)


def test_a_grid_has_one_current_leader(town):
    with pytest.raises(DomainError, match="已有网格长 王建国"):
        services.assign_post(staff=new_staff(), kind=PostKind.GRID_LEADER, grid=town.village_a)


def test_one_leader_three_members_of_seed_004_fit_one_grid(town):
    grid = town.a2
    for i, (kind, title) in enumerate(ONE_LEADER_THREE_MEMBERS):
        staff = new_staff(name=f"站员{i}", phone=f"1390000010{i}")
        services.assign_post(staff=staff, kind=kind, grid=grid, title=title)
    titles = sorted(Post.objects.current().filter(grid=grid).values_list("title", flat=True))
    assert titles == sorted(t for _k, t in ONE_LEADER_THREE_MEMBERS)
    board = services.grid_board(grid)
    assert [p.post for p in board.people][:1] == ["工作站站长"]


def test_the_post_kinds_docstring_names_the_kinds_one_leader_three_members_uses():
    """The documentation says exactly what seed 004's pattern maps to (it once said "the first
    four" kinds, which include part-time workers and embedded officers instead)."""
    doc = " ".join((PostKind.__doc__ or "").split())
    used = [kind.value for kind, _title in ONE_LEADER_THREE_MEMBERS]
    assert used == ["grid_leader", "worker_full", "assistant", "volunteer"]
    for kind in PostKind:
        assert (kind.value in doc) == (kind.value in used), kind.value
    assert "not the first four" in doc


def test_embedded_officer_belongs_to_own_department(town):
    officer = new_staff(department=town.police)
    post = services.assign_post(staff=officer, kind=PostKind.EMBEDDED_OFFICER, grid=town.village_b)
    assert post.department == town.police
    with pytest.raises(DomainError, match="只能代表其所在部门"):
        services.assign_post(
            staff=officer,
            kind=PostKind.EMBEDDED_OFFICER,
            grid=town.village_a,
            department=town.env,
        )


def test_embedded_officer_must_be_department_staff(town):
    with pytest.raises(DomainError, match="须是某个部门的工作人员"):
        services.assign_post(staff=new_staff(), kind=PostKind.EMBEDDED_OFFICER, grid=town.a1)


@pytest.mark.parametrize(
    ("kind", "where", "message"),
    [
        (PostKind.WORKER_FULL, "department", "须绑定网格"),
        (PostKind.HANDLER, "grid", "须指定部门"),
        ("mayor", "grid", "未知岗位类型"),
    ],
)
def test_post_kind_decides_where_it_sits(town, kind, where, message):
    staff = new_staff(department=town.env)
    place = {"grid": town.a1} if where == "grid" else {"department": town.env}
    with pytest.raises(DomainError, match=message):
        services.assign_post(staff=staff, kind=kind, **place)


def test_department_post_needs_staff_of_that_department(town):
    with pytest.raises(DomainError, match="不是 王村派出所 的工作人员"):
        services.assign_post(
            staff=new_staff(department=town.env), kind=PostKind.HANDLER, department=town.police
        )


def test_inactive_grid_takes_no_posts(town):
    Grid.objects.filter(code=UNIT_A2).update(is_active=False)
    with pytest.raises(DomainError, match="已停用"):
        services.assign_post(staff=new_staff(), kind=PostKind.WORKER_FULL, grid=town.a2)


def test_end_post_records_the_date_once(town):
    post = services.assign_post(
        staff=new_staff(), kind=PostKind.VOLUNTEER, grid=town.a1, started_on=DAY
    )
    with pytest.raises(DomainError, match="不能早于"):
        services.end_post(post, on=DAY - dt.timedelta(days=1), by=None)
    services.end_post(post, on=DAY, by=town.user("village_a"))
    post.refresh_from_db()
    assert post.ended_on == DAY
    with pytest.raises(DomainError, match="已离任"):
        services.end_post(post, on=DAY, by=None)


def test_moving_a_worker_moves_post_and_log_in_scope(town):
    worker = town.user("worker_a1")
    post = Post.objects.get(staff__user=worker, kind=PostKind.WORKER_FULL)
    today = timezone.localdate()
    new_post = services.move_post(post, to_grid=town.a2, by=town.user("village_a"))
    post.refresh_from_db()
    assert post.ended_on == today
    assert (new_post.grid.code, new_post.started_on, new_post.kind) == (UNIT_A2, today, post.kind)
    worker = town.user("worker_a1")
    assert scope_of(worker).all_grid_paths(Role.WORKER) == {town.a2.path}
    assert not Jurisdiction.objects.filter(user=worker, grid=town.a1, active=True).exists()


def test_village_operator_cannot_move_a_worker_out_of_the_village(town):
    post = Post.objects.get(staff__user__username="worker_a1", kind=PostKind.WORKER_FULL)
    with pytest.raises(PermissionDenied):
        services.move_post(post, to_grid=town.b2, by=town.user("village_a"))
    post.refresh_from_db()
    assert post.ended_on is None


@pytest.mark.parametrize("username", ["worker_a1", "leader", "env_handler", "worker_b1"])
def test_only_operators_appoint_people(town, username):
    with pytest.raises(PermissionDenied):
        services.assign_post(
            staff=new_staff(), kind=PostKind.VOLUNTEER, grid=town.a1, by=town.user(username)
        )


def test_office_appoints_inside_its_subtree_only(town):
    village_op = town.user("village_a")
    services.assign_post(staff=new_staff(), kind=PostKind.VOLUNTEER, grid=town.a1, by=village_op)
    with pytest.raises(PermissionDenied):
        services.assign_post(
            staff=new_staff(phone="13900000002"),
            kind=PostKind.VOLUNTEER,
            grid=town.b1,
            by=village_op,
        )


def test_operator_must_place_a_new_person(town):
    with pytest.raises(DomainError, match="首个岗位"):
        services.create_staff(name="无处安放", by=town.user("town_office"))
    staff = services.create_staff(
        name="新网格员",
        phone="13900000003",
        post=services.PostSpec(kind=PostKind.WORKER_PART, grid=town.b2),
        by=town.user("town_office"),
    )
    assert staff.posts.get().grid.code == town.b2.code


def test_deactivating_staff_ends_posts_liaisons_and_roles(town):
    leader_staff = Staff.objects.get(user__username="leader")
    services.deactivate_staff(leader_staff, by=town.user("admin"))
    assert not leader_staff.liaisons.filter(ended_on__isnull=True).exists()
    leader = town.user("leader")
    assert not scope_of(leader).roles
    assert not leader.groups.filter(name=Role.LEADER).exists()


def test_liaison_targets_exactly_one_unit_once(town):
    staff = Staff.objects.get(user__username="leader")
    with pytest.raises(DomainError, match="之一"):
        services.add_liaison(staff=staff, kind=LiaisonKind.LEADER)
    with pytest.raises(DomainError, match="已分包"):
        services.add_liaison(staff=staff, kind=LiaisonKind.LEADER, grid=town.village_a)
    liaison = services.add_liaison(
        staff=staff, kind=LiaisonKind.LEADER, grid=town.village_b, started_on=DAY
    )
    services.end_liaison(liaison, on=DAY, by=None)
    assert liaison.ended_on == DAY


@pytest.mark.parametrize(
    ("role", "target", "message"),
    [
        (Role.WORKER, "department", "按部门授权"),
        (Role.HANDLER, "grid", "须指定部门"),
        (Role.OFFICE, None, "之一"),
        (Role.ADMIN, "grid", "不限范围"),
        ("boss", "grid", "未知角色"),
    ],
)
def test_each_role_takes_its_kind_of_scope(town, role, target, message):
    scope = {"grid": {"grid": town.a1}, "department": {"department": town.env}, None: {}}[target]
    with pytest.raises(DomainError, match=message):
        services.grant_role(user=town.user("worker_b1"), role=role, **scope)


def test_duplicate_grant_is_rejected_and_only_admins_grant(town):
    with pytest.raises(DomainError, match="已有此授权"):
        services.grant_role(user=town.user("worker_a1"), role=Role.WORKER, grid=town.a1)
    with pytest.raises(PermissionDenied):
        services.grant_role(
            user=town.user("worker_b1"),
            role=Role.WORKER,
            grid=town.b2,
            by=town.user("town_office"),
        )


def test_leader_is_read_only_and_office_is_not(town):
    assert is_readonly_leader(town.user("leader"))
    assert not is_readonly_leader(town.user("town_office"))
    assert not is_readonly_leader(town.user("admin"))


@pytest.mark.parametrize(
    ("username", "code", "allowed"),
    [
        ("town_office", UNIT_B1, True),
        ("village_a", UNIT_A1, True),
        ("village_a", UNIT_B1, False),
        ("worker_a1", UNIT_A1, False),
        ("leader", UNIT_A1, False),
        ("admin", UNIT_B1, True),
    ],
)
def test_who_manages_people_in_a_grid(town, username, code, allowed):
    assert bool(can_manage_grid_people(town.user(username), town.grid(code))) is allowed
    assert town.user(username).has_perm("people.manage_grid_people", town.grid(code)) is allowed


def test_department_staff_and_posts_are_visible_to_the_town_office(town):
    office = town.user("town_office")
    handler = Staff.objects.get(user__username="env_handler")
    assert Staff.objects.visible_to(office).filter(pk=handler.pk).exists()
    assert Post.objects.visible_to(office).filter(staff=handler, grid__isnull=True).exists()
    assert not Staff.objects.visible_to(town.user("worker_b1")).filter(pk=handler.pk).exists()


def test_unit_codes_of_the_cast_are_serials(town):
    assert [town.a1.code, town.a2.code] == [UNIT_A1, UNIT_A2]
    assert UNIT_B1.endswith("001")
