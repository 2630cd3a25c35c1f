"""Members of a 条块融合 group see the group's cases (by its classes and territory) through the
one scoping path, `Case.objects.visible_to`: the case page answers 200 instead of 404."""

from __future__ import annotations

import pytest

from gridgov.cases.models import Case, MatterItem
from gridgov.oversight.coordination import create_group, group_cases
from gridgov.people.models import Staff


@pytest.fixture
def river_group(town):
    water = MatterItem.objects.get(code="0401").matter_class
    return create_group(
        name="河道治理组",
        grid=town.village_a,
        supervised_objects="河道、排污口",
        duties="巡河、查排污",
        departments=[town.police],
        members=[Staff.objects.get(user__username="worker_b1")],
        matter_classes=[water],
        by=town.user("town_office"),
    )


def test_members_see_the_groups_cases_and_nothing_more(town, make_case, river_group, client):
    inside = make_case("A1", item="0401")
    other_class = make_case("A1", item="0301")
    outside = make_case("B2", item="0401")
    assert list(group_cases(river_group)) == [inside]
    seen = set(Case.objects.visible_to(town.user("worker_b1")).values_list("pk", flat=True))
    assert inside.pk in seen
    assert other_class.pk not in seen
    assert outside.pk not in seen  # B2: neither the group's territory nor worker_b1's unit grid
    client.force_login(town.user("worker_b1"))
    assert client.get(f"/cases/{inside.pk}/").status_code == 200
    assert client.get(f"/cases/{other_class.pk}/").status_code == 404


def test_member_department_handlers_see_them_too_and_leaving_ends_it(
    town, make_case, river_group, client
):
    inside = make_case("A1", item="0401")
    police = town.user("env_handler")  # not a member department: env, not police
    assert not Case.objects.visible_to(police).filter(pk=inside.pk).exists()
    river_group.departments.set([town.env])
    assert Case.objects.visible_to(police).filter(pk=inside.pk).exists()
    river_group.is_active = False
    river_group.save()
    assert not Case.objects.visible_to(police).filter(pk=inside.pk).exists()
    assert not Case.objects.visible_to(town.user("worker_b1")).filter(pk=inside.pk).exists()


def test_outsiders_and_anonymous_users_gain_nothing(town, make_case, river_group):
    from django.contrib.auth.models import AnonymousUser

    inside = make_case("A1", item="0401")
    assert not Case.objects.visible_to(AnonymousUser()).exists()
    assert list(Case.objects.visible_to(town.user("worker_a1")).filter(pk=inside.pk)) == [inside]
