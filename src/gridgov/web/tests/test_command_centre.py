"""The command centre's figures: tiles, grid colours, markers and charts count what the user
may see, with the filters applied; a grid's card shows its people and cases."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from gridgov.cases import services
from gridgov.core.testing.town import TOWN_CODE, UNIT_A1, UNIT_A2, UNIT_B1, VILLAGE_A, Town


def figures(client: Any, **params: str) -> dict[str, Any]:
    response = client.get("/command/figures.json", params)
    assert response.status_code == 200
    return json.loads(response.content)


def test_figures_count_open_overdue_and_closed_cases(
    client_for: Any, town: Town, report: Any, closed_case: Any
) -> None:
    report(grid=UNIT_A2, item="0502", description="积存垃圾")
    report(grid=UNIT_B1, item="0401", by="worker_b1")
    body = figures(client_for("town_office"))
    assert body["tiles"]["reported"] == 3
    assert body["tiles"]["open"] == 2
    assert body["tiles"]["closed"] == 1
    assert body["tiles"]["closure_rate"] == 1 / 3
    assert body["grids"] == {UNIT_A2: [1, 0], UNIT_B1: [1, 0]}
    assert len(body["markers"]) == 3
    assert {m[3] for m in body["markers"]} == {"closed", "reported"}
    assert sum(d[1] for d in body["per_day"]) == 3
    assert sum(d[2] for d in body["per_day"]) == 1
    assert {c[0]: c[1] for c in body["by_class"]} == {"生态环境": 2, "城市管理": 1}
    assert body["closed_where"] == [["town", "乡镇(街道)", 1]]
    units = {u[0]: u for u in body["units"]}
    assert set(units) == {"王村", "小村"}
    assert units["王村"][1:4] == [2, 1, 0.5]


def test_a_village_operator_sees_only_the_village(client_for: Any, report: Any) -> None:
    report(grid=UNIT_A1)
    report(grid=UNIT_B1, by="worker_b1")
    body = figures(client_for("village_a"))
    assert body["tiles"]["reported"] == 1
    assert list(body["grids"]) == [UNIT_A1]
    assert [u[0] for u in body["units"]] == ["王村第1网格", "王村第2网格"]


def test_filters_narrow_markers_and_charts_but_not_the_open_colours(
    client_for: Any, report: Any, closed_case: Any
) -> None:
    report(grid=UNIT_A2, item="0502")
    client = client_for("town_office")
    base = figures(client)
    closed_only = figures(
        client, state="closed", date_from=base["per_day"][0][0], date_to=base["per_day"][-1][0]
    )
    assert closed_only["tiles"]["reported"] == 1
    assert [m[3] for m in closed_only["markers"]] == ["closed"]
    assert closed_only["grids"] == {UNIT_A2: [1, 0]}
    by_channel = figures(
        client, channel="hotline", date_from=base["per_day"][0][0], date_to=base["per_day"][-1][0]
    )
    assert by_channel["tiles"]["reported"] == 0


def test_a_bad_period_is_reported_on_the_field(client_for: Any) -> None:
    response = client_for("town_office").get(
        "/command/", {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    body = figures(client_for("town_office"), date_from="2026-05-02", date_to="2026-05-01")
    assert "date_to" in body["errors"]


def test_tiles_refresh_as_an_htmx_fragment(client_for: Any, report: Any) -> None:
    report()
    response = client_for("leader").get("/command/tiles/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-tile="open">1<' in body


def test_grid_card_shows_people_on_duty_and_the_cases(
    client_for: Any, town: Town, report: Any
) -> None:
    case = report()
    services.urge_case(case=case, by=town.user("town_office"), note="尽快受理")
    body = client_for("town_office").get(f"/command/grid/{UNIT_A1}/").content.decode()
    assert "李娜" in body
    assert "138 0000 0003" in body
    assert case.title in body
    village = client_for("town_office").get(f"/command/grid/{VILLAGE_A}/").content.decode()
    assert "王建国" in village
    assert f'data-grid-card="{VILLAGE_A}"' in village


def test_the_person_on_duty_shows_on_the_command_centre(client_for: Any, town: Town) -> None:
    from django.utils import timezone

    from gridgov.fieldwork import records

    page = client_for("town_office").get("/command/").content.decode()
    assert 'id="cc-duty"' in page
    assert "无人值班" in page
    now = timezone.now()
    records.add_duty_shift(
        by=town.user("town_office"),
        username="town_office",
        grid_code=TOWN_CODE,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=7),
        note="应急值守",
    )
    page = client_for("leader").get("/command/").content.decode()
    assert 'data-user="town_office"' in page
    assert "应急值守" in page
    assert "无人值班" not in page
