"""The demo registry on the test cast's town: declared households, completion gaps, shares."""

from __future__ import annotations

from gridgov.core.masking import id_number_problem
from gridgov.registry.demo import completion_rate, seed_demo_registry
from gridgov.registry.models import Household, HouseholdTag, Organisation, Person
from gridgov.registry.services import completion


def test_demo_registry_fills_the_declared_households(town) -> None:
    counts = seed_demo_registry(root=town.town)
    # Two villages (index 0 and 1): both complete in this small town.
    assert completion_rate(0) == completion_rate(1) == 1.0
    assert completion_rate(3) < 1.0
    assert counts["households"] == Household.objects.count() == 400
    assert 900 < Person.objects.count() < 1700
    assert all(id_number_problem(p.id_number) is None for p in Person.objects.all()[:200])
    assert Household.objects.filter(head__isnull=True).count() == 0
    assert 0 < HouseholdTag.objects.count() < 200
    assert Organisation.objects.filter(kind="party", party_level="grid_group").count() == 4
    rows = completion([town.town, town.village_a])
    assert [r.rate for r in rows] == [1.0, 1.0]


def test_clear_registry_removes_every_row(town) -> None:
    from gridgov.registry.demo import clear_registry

    seed_demo_registry(root=town.town)
    clear_registry()
    assert not Person.objects.exists()
    assert not Household.objects.exists()
    assert not Organisation.objects.exists()


def test_demo_hook_adds_log_ins_for_the_two_registry_roles(town) -> None:
    from gridgov.core.jurisdiction import Role
    from gridgov.people.models import Jurisdiction
    from gridgov.registry.demo import seed_hook

    assert seed_hook(town.town.code)["households"] == 400
    roles = dict(
        Jurisdiction.objects.filter(
            user__username__in=["special_officer", "discipline"]
        ).values_list("user__username", "role")
    )
    assert roles == {"special_officer": Role.SPECIAL, "discipline": Role.DISCIPLINE}
    assert seed_hook(town.town.code) is None
