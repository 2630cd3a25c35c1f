"""Admin pages for regions, levels and grids: platform admins only, saving through the services
(paths, derived columns, revision), rules shown on the form."""

from __future__ import annotations

import json

import pytest

from gridgov.core.testing.town import TOWN_CODE, UNIT_A1, UNIT_B1, VILLAGE_A, VILLAGE_B
from gridgov.grids.index import locate
from gridgov.grids.models import Grid, GridLevel, Region
from gridgov.grids.services import current_grid_revision

PAGES = ["region", "gridlevel", "grid"]


def grid_form(grid: Grid, **changes) -> dict:
    data = {
        "name": grid.name,
        "level": grid.level_id,
        "region": grid.region_id,
        "parent": grid.parent_id or "",
        "boundary": json.dumps(grid.boundary),
        "households": grid.households,
        "population": grid.population,
        "tier": grid.tier,
        "is_active": "on" if grid.is_active else "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("model", PAGES)
def test_pages_open_for_the_platform_admin(client_for, model):
    client = client_for("admin")
    assert client.get(f"/admin/grids/{model}/").status_code == 200
    assert client.get(f"/admin/grids/{model}/add/").status_code == 200


def test_grid_change_page_opens(client_for, town):
    assert client_for("admin").get(f"/admin/grids/grid/{town.a1.pk}/change/").status_code == 200


def test_pages_are_closed_to_operators(client_for):
    response = client_for("town_office").get("/admin/grids/grid/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_editing_a_boundary_updates_derived_columns_revision_and_index(client_for, town):
    revision = current_grid_revision()
    a1 = town.a1
    # A1 grows 0.002° west, outside the town: the page accepts it (coverage reports it).
    bigger = {
        "type": "Polygon",
        "coordinates": [
            [[113.298, 34.80], [113.31, 34.80], [113.31, 34.82], [113.298, 34.82], [113.298, 34.80]]
        ],
    }
    response = client_for("admin").post(
        f"/admin/grids/grid/{a1.pk}/change/", grid_form(a1, boundary=json.dumps(bigger))
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    a1.refresh_from_db()
    assert a1.min_lon == pytest.approx(113.298)
    assert a1.area_m2 > town.a2.area_m2
    assert current_grid_revision() == revision + 1
    assert locate(113.299, 34.81).code == UNIT_A1


def test_moving_a_grid_in_the_admin_rewrites_its_subtree_paths(client_for, town):
    village_a = town.village_a
    other = Grid.objects.create(
        code="410182100999",
        name="临时镇",
        level=GridLevel.objects.get(depth=0),
        region=town.town.region,
        path="/410182100999/",
    )
    response = client_for("admin").post(
        f"/admin/grids/grid/{village_a.pk}/change/", grid_form(village_a, parent=other.pk)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Grid.objects.get(code=UNIT_A1).path == f"/410182100999/{VILLAGE_A}/{UNIT_A1}/"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"boundary": json.dumps({"type": "Point", "coordinates": [113.3, 34.8]})}, "Polygon"),
        (
            {
                "boundary": json.dumps(
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [113.30, 34.80],
                                [113.31, 34.82],
                                [113.31, 34.80],
                                [113.30, 34.82],
                                [113.30, 34.80],
                            ]
                        ],
                    }
                )
            },
            "自相交",
        ),
        ({"tier": 5}, "5"),
    ],
)
def test_broken_rules_show_on_the_form(client_for, town, changes, message):
    revision = current_grid_revision()
    response = client_for("admin").post(
        f"/admin/grids/grid/{town.a1.pk}/change/", grid_form(town.a1, **changes)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="errorlist' in page
    assert message in page
    assert current_grid_revision() == revision


def test_a_grid_cannot_be_moved_below_itself(client_for, town):
    response = client_for("admin").post(
        f"/admin/grids/grid/{town.village_a.pk}/change/",
        grid_form(town.village_a, parent=town.a1.pk),
    )
    assert response.status_code == 200
    assert "下级" in response.content.decode()


def test_adding_a_grid_goes_through_the_service(client_for, town):
    revision = current_grid_revision()
    data = grid_form(town.b1, parent=town.village_b.pk)
    data["code"] = VILLAGE_B + "003"
    data["name"] = "小村第3网格"
    data["boundary"] = ""
    response = client_for("admin").post("/admin/grids/grid/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    grid = Grid.objects.get(code=VILLAGE_B + "003")
    assert grid.path == f"/{TOWN_CODE}/{VILLAGE_B}/{grid.code}/"
    assert current_grid_revision() == revision + 1


def test_a_grid_with_children_cannot_be_deleted(client_for, town):
    client = client_for("admin")
    assert client.get(f"/admin/grids/grid/{town.village_a.pk}/delete/").status_code == 403
    # A worker's post hangs on B1: the admin refuses and nothing changes.
    revision = current_grid_revision()
    response = client.post(f"/admin/grids/grid/{town.b1.pk}/delete/", {"post": "yes"})
    assert response.status_code in (200, 403)
    assert Grid.objects.filter(code=UNIT_B1).exists()
    assert current_grid_revision() == revision


def test_a_free_leaf_grid_is_deleted_through_the_service(client_for, town):
    from gridgov.grids.services import create_grid

    spare = create_grid(
        code=VILLAGE_B + "009",
        name="备用网格",
        level=town.b1.level,
        region=town.b1.region,
        parent=town.village_b,
    )
    revision = current_grid_revision()
    response = client_for("admin").post(f"/admin/grids/grid/{spare.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Grid.objects.filter(pk=spare.pk).exists()
    assert current_grid_revision() == revision + 1


def test_regions_are_renamed_through_the_service(client_for, town):
    region = Region.objects.get(code=VILLAGE_B)
    response = client_for("admin").post(
        f"/admin/grids/region/{region.pk}/change/", {"name": "小村(改)", "parent": region.parent_id}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    region.refresh_from_db()
    assert region.name == "小村(改)"


def test_region_add_checks_the_code_against_its_parent(client_for, town):
    parent = Region.objects.get(code="410182100000")
    client = client_for("admin")
    bad = client.post(
        "/admin/grids/region/add/", {"code": "410183100203", "name": "错村", "parent": parent.pk}
    )
    assert bad.status_code == 200
    assert not Region.objects.filter(code="410183100203").exists()
    good = client.post(
        "/admin/grids/region/add/", {"code": "410182100203", "name": "新村", "parent": parent.pk}
    )
    assert good.status_code == 302
    assert Region.objects.get(code="410182100203").path == "/41/4101/410182/410182100/410182100203/"


def test_region_added_without_parent_hangs_from_its_ancestor_or_is_refused_on_the_form(
    client_for, town
):
    client = client_for("admin")
    orphan = client.post("/admin/grids/region/add/", {"code": "370402104226", "name": "新村"})
    assert orphan.status_code == 200
    assert "上级区划不存在" in orphan.content.decode()
    assert not Region.objects.filter(code="370402104226").exists()
    inferred = client.post("/admin/grids/region/add/", {"code": "410182100205", "name": "后村"})
    assert inferred.status_code == 302
    assert Region.objects.get(code="410182100205").parent.code == "410182100000"
    village = Region.objects.get(code=VILLAGE_B)
    made_root = client.post(
        f"/admin/grids/region/{village.pk}/change/", {"name": village.name, "parent": ""}
    )
    assert made_root.status_code == 200
    assert "只有省级区划可以没有上级" in made_root.content.decode()
