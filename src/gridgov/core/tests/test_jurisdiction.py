import pytest

from gridgov.core.jurisdiction import Role, scope_of
from gridgov.core.testing.town import UNIT_A1, UNIT_A2, UNIT_B1, USERNAMES
from gridgov.grids.models import Grid


def codes(qs):
    return sorted(qs.values_list("code", flat=True))


def test_cast_has_every_user(town):
    for username in USERNAMES:
        assert town.user(username).is_active


def test_worker_sees_only_own_unit_grid(town):
    worker = town.user("worker_a1")
    assert codes(Grid.objects.visible_to(worker)) == [UNIT_A1]


def test_village_operator_sees_village_subtree(town):
    village_op = town.user("village_a")
    assert codes(Grid.objects.visible_to(village_op)) == sorted(
        [town.village_a.code, UNIT_A1, UNIT_A2]
    )


def test_town_office_and_leader_see_whole_town(town):
    for username in ("town_office", "leader"):
        assert Grid.objects.visible_to(town.user(username)).count() == 7


def test_outsider_does_not_see_neighbour(town):
    outsider = town.user("worker_b1")
    assert codes(Grid.objects.visible_to(outsider)) == [UNIT_B1]


def test_anonymous_sees_nothing(town):
    from django.contrib.auth.models import AnonymousUser

    assert Grid.objects.visible_to(AnonymousUser()).count() == 0


@pytest.mark.parametrize(
    ("username", "role"),
    [("admin", Role.ADMIN), ("env_handler", Role.HANDLER), ("leader", Role.LEADER)],
)
def test_scope_reports_roles(town, username, role):
    assert scope_of(town.user(username)).has_role(role)
