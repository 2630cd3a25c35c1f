"""Cases that belong nowhere land in the queue of the reporter's own top grid."""

from shapely.geometry import box

from gridgov.cases.location import top_grid
from gridgov.core.jurisdiction import Role
from gridgov.core.testing.town import PASSWORD, TOWN_CODE, build_region_chain
from gridgov.grids.models import GridLevel, Region
from gridgov.grids.services import create_grid
from gridgov.people.services import create_user, grant_role


def test_region_scoped_county_operator_gets_the_root_inside_their_county(town):
    # Another county's town whose code sorts first: the fallback "first root" would pick it.
    other_town = build_region_chain(
        [("41", "河南省"), ("4101", "郑州市"), ("410181", "巩义市"), ("410181100", "某镇")]
    )
    create_grid(
        code="410181100000",
        name="某镇",
        level=GridLevel.objects.get(depth=0),
        region=other_town,
        boundary=box(113.0, 34.7, 113.02, 34.72),
    )
    county_op = create_user(username="county_op", password=PASSWORD)
    grant_role(user=county_op, role=Role.OFFICE, region=Region.objects.get(code="410182000000"))
    assert top_grid(county_op).code == TOWN_CODE
    assert top_grid(None).code == "410181100000"
