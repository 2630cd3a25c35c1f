"""The catalogue of matters: the seeded starting list, routing as data, and the Excel ledger
(export and import in one layout; a bad row rejects the whole file with its row number)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from gridgov.cases.catalogue import (
    HEADERS,
    ensure_default_catalogue,
    export_catalogue_xlsx,
    import_catalogue,
    route_department,
)
from gridgov.cases.models import MatterClass, MatterItem, MatterRoute, PlatformLevel
from gridgov.core.errors import ImportRejectedError
from gridgov.people.models import DepartmentKind, DepartmentLevel
from gridgov.people.services import create_department


def test_starting_catalogue_covers_the_seeds_focus_areas(db):
    assert MatterClass.objects.count() >= 7
    assert MatterItem.objects.count() >= 27
    names = " ".join(MatterClass.objects.values_list("name", flat=True))
    for area in (
        "安全生产",
        "非法生产经营",
        "违法建设",
        "生态环境",
        "城市管理",
        "信访稳定",
        "民生服务",
        "基层组织",
    ):
        assert area in names
    items = " ".join(MatterItem.objects.values_list("name", flat=True))
    for topic in ("社会保险", "低保", "老人", "残疾人"):
        assert topic in items
    # STANDARDS: exposed rubbish 1 working day, accumulated waste 4, illegal building 15.
    assert MatterItem.objects.get(name="暴露垃圾").limit_days == 1
    assert MatterItem.objects.get(name="积存垃圾渣土").limit_days == 4
    assert MatterItem.objects.get(name="新增违法建设").limit_days == 15
    assert not MatterItem.objects.filter(routes__isnull=True).exists()


def test_ensure_default_catalogue_restores_only_what_is_missing(db):
    item = MatterItem.objects.get(code="0501")
    item.limit_days = 2
    item.save()
    MatterItem.objects.filter(code="0902").delete()
    assert ensure_default_catalogue() == 1
    assert MatterItem.objects.get(code="0501").limit_days == 2
    assert MatterItem.objects.get(code="0902").routes.count() == 2


def test_route_picks_the_department_of_the_kind_serving_the_region(town):
    item = MatterItem.objects.get(code="0401")
    assert (
        route_department(item=item, level=PlatformLevel.TOWN, region=town.town.region) == town.env
    )
    assert (
        route_department(item=item, level=PlatformLevel.COUNTY, region=town.town.region)
        == town.county_env
    )
    assert route_department(item=item, level=PlatformLevel.VILLAGE, region=town.a1.region) is None
    assert route_department(item=None, level=PlatformLevel.TOWN, region=town.town.region) is None


def test_route_naming_a_department_wins_over_the_kind(town):
    item = MatterItem.objects.get(code="0401")
    other = create_department(
        code="410182100-ENV2",
        name="王村镇第二环保站",
        kind=DepartmentKind.ENVIRONMENT,
        level=DepartmentLevel.TOWN,
        region=town.town.region,
    )
    MatterRoute.objects.create(item=item, level=PlatformLevel.TOWN, department=other)
    assert route_department(item=item, level=PlatformLevel.TOWN, region=town.town.region) == other
    other.is_active = False
    other.save()
    assert (
        route_department(item=item, level=PlatformLevel.TOWN, region=town.town.region) == town.env
    )


def _book(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_export_then_import_round_trips(town):
    data = export_catalogue_xlsx()
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == MatterItem.objects.count() + 1
    before = list(
        MatterItem.objects.order_by("code").values_list(
            "code", "name", "limit_days", "on_spot_allowed"
        )
    )
    routes_before = sorted(
        MatterRoute.objects.values_list("item__code", "level", "department_kind")
    )
    report = import_catalogue(data=data, filename="事项清单.xlsx", by=town.user("admin"))
    assert (report.items_created, report.items_updated) == (0, len(before))
    assert (
        list(
            MatterItem.objects.order_by("code").values_list(
                "code", "name", "limit_days", "on_spot_allowed"
            )
        )
        == before
    )
    assert (
        sorted(MatterRoute.objects.values_list("item__code", "level", "department_kind"))
        == routes_before
    )


def test_import_adds_and_updates_items_with_department_codes(town):
    data = _book(
        [
            HEADERS,
            [
                "10",
                "文化旅游",
                "1001",
                "文物安全隐患",
                "",
                3,
                8,
                2,
                "否",
                "",
                "410182100-POLICE",
                "生态环境",
                "",
                "是",
            ],
            ["05", "城市管理", "0501", "暴露垃圾", "", 2, 4, 2, "是", "", "环卫", "", "", "是"],
        ]
    )
    report = import_catalogue(data=data, filename="c.xlsx", by=town.user("admin"))
    assert (report.classes_created, report.items_created, report.items_updated) == (1, 1, 1)
    item = MatterItem.objects.get(code="1001")
    routes = {(r.level, r.department_kind, r.department_id) for r in item.routes.all()}
    assert routes == {("town", "", town.police.pk), ("county", "environment", None)}
    assert MatterItem.objects.get(code="0501").limit_days == 2


def test_bad_rows_reject_the_whole_file_with_row_numbers(town):
    data = _book(
        [
            HEADERS,
            ["05", "城市管理", "0501", "暴露垃圾", "", 0, 4, 2, "是", "", "环卫", "", "", "是"],
            [
                "05",
                "城市管理",
                "0599",
                "新事项",
                "",
                2,
                4,
                2,
                "也许",
                "",
                "不存在的类别",
                "",
                "",
                "",
            ],
            ["05", "城市管理", "0599", "重复编码", "", 2, 4, 2, "否", "", "", "", "", ""],
            ["77", "", "7701", "无名大类", "", 2, 4, 2, "否", "", "", "", "", ""],
        ]
    )
    before = MatterItem.objects.get(code="0501").limit_days
    with pytest.raises(ImportRejectedError) as err:
        import_catalogue(data=data, filename="c.xlsx", by=town.user("admin"))
    text = err.value.report()
    assert "c.xlsx: 第2行: “办理时限(工作日)”须为 1–1000 的整数" in text
    assert "第3行: “可现场处理”须为“是”或“否”" in text
    assert "第3行: “镇级处置部门”中的 '不存在的类别'" in text
    assert "第4行: 事项编码 0599 与第3行重复" in text
    assert "第5行: 新大类 77 须填写大类名称" in text
    assert MatterItem.objects.get(code="0501").limit_days == before
    assert not MatterItem.objects.filter(code="0599").exists()


def test_import_refuses_a_file_that_is_not_a_workbook(town):
    with pytest.raises(ImportRejectedError, match="无法读取"):
        import_catalogue(data=b"PK\x03\x04 broken", filename="c.xlsx", by=town.user("admin"))
    with pytest.raises(ImportRejectedError, match="缺少列"):
        import_catalogue(data=_book([["编码", "名称"]]), filename="c.xlsx", by=town.user("admin"))


def test_catalogue_api_lists_and_exports(client_for, settings):
    settings.ROOT_URLCONF = "gridgov.cases.tests.urls"
    client = client_for("worker_a1")
    items = client.get("/api/v1/cases/catalogue").json()
    assert any(i["code"] == "0401" and i["routes"] for i in items)
    response = client.get("/api/v1/cases/catalogue.xlsx")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).active["C1"].value == "事项编码"
