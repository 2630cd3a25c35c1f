"""The ledgers of buildings, organisations, facilities and the staff roster (花名册): each kind's
bad rows named by Excel row and column, re-import by natural key, scope, masked export."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from stdnum.cn import uscc

from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_A2, UNIT_B1, VILLAGE_A
from gridgov.people.models import Post, PostKind, Staff
from gridgov.registry.ledgers import (
    COLUMNS,
    LedgerRejectedError,
    export_ledger,
    import_ledger,
    write_template,
    write_xlsx,
)
from gridgov.registry.models import AccessLog, Building, Facility, Organisation, RiskGrade


def ledger(tmp_path: Path, kind: str, rows: list[dict], *, suffix: str = ".xlsx") -> Path:
    header = COLUMNS[kind]
    path = tmp_path / f"{kind}{suffix}"
    body = [[row.get(c, "") for c in header] for row in rows]
    if suffix == ".csv":
        lines = [",".join(header), *(",".join(str(v) for v in r) for r in body)]
        path.write_bytes("\n".join(lines).encode("gbk"))
    else:
        write_xlsx(path, header, body)
    return path


def rejected(kind: str, path: Path, by) -> set[tuple[int, str]]:
    with pytest.raises(LedgerRejectedError) as info:
        import_ledger(kind, path, by=by)
    return {(e.row, e.column) for e in info.value.result.errors}


def credit_code(serial: int) -> str:
    body = f"91410182MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


def export_rows(kind: str, by, **kwargs) -> list[tuple]:
    out = io.BytesIO()
    export_ledger(kind, out, by=by, **kwargs)
    return list(load_workbook(out).active.iter_rows(values_only=True))[1:]


@pytest.mark.parametrize("kind", ["buildings", "organisations", "facilities", "staff"])
def test_templates_use_the_town_column_names(kind, tmp_path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(kind, path)
    assert list(next(load_workbook(path).active.iter_rows(values_only=True))) == COLUMNS[kind]


def test_buildings_are_numbered_in_order_inside_their_community(town, tmp_path) -> None:
    office = town.user("town_office")
    rows = [
        {"地址": "王村1号", "所属网格": UNIT_A1},
        {"地址": "王村2号", "所属网格": UNIT_A2, "用途": "商业服务", "层数": 3},
        {"地址": "李村1号", "所属网格": UNIT_B1},
        # No grid code: the point decides (unit A2).
        {"地址": "王村3号", "经度": INSIDE[UNIT_A2][0], "纬度": INSIDE[UNIT_A2][1]},
    ]
    result = import_ledger("buildings", ledger(tmp_path, "buildings", rows), by=office)
    assert (result.created, result.updated) == (4, 0)
    numbers = dict(Building.objects.values_list("address", "number"))
    # A1 and A2 are in one community (village A): 00001, 00002, 00003; village B starts over.
    assert numbers == {
        "王村1号": "00001",
        "王村2号": "00002",
        "李村1号": "00001",
        "王村3号": "00003",
    }
    assert Building.objects.get(address="王村3号").grid.code == UNIT_A2
    # A later file appends after the last number; a given number (Excel drops the zeros) updates.
    more = [
        {"地址": "王村4号", "所属网格": UNIT_A1},
        {"楼栋编号": 2, "地址": "王村2号改", "所属网格": UNIT_A2},
    ]
    result = import_ledger("buildings", ledger(tmp_path, "buildings", more), by=office)
    assert (result.created, result.updated) == (1, 1)
    assert Building.objects.get(address="王村4号").number == "00004"
    assert Building.objects.get(number="00002", community__code=VILLAGE_A).address == "王村2号改"
    assert [r[0] for r in export_rows("buildings", office, grid=town.grid(UNIT_A1))] == [
        "00001",
        "00004",
    ]


def test_bad_building_rows_are_named_and_nothing_is_written(town, tmp_path) -> None:
    rows = [
        {"地址": "王村1号", "所属网格": UNIT_A1},
        {"地址": "", "所属网格": UNIT_A1, "用途": "宫殿", "层数": "三"},
        {"楼栋编号": "123456", "地址": "王村2号", "所属网格": UNIT_A1},
        {"地址": "李村1号", "所属网格": UNIT_B1},  # outside village A's operator
        {"地址": "王村3号", "经度": 200, "纬度": 34.8},
    ]
    errors = rejected("buildings", ledger(tmp_path, "buildings", rows), town.user("village_a"))
    assert errors == {(3, "地址"), (3, "用途"), (3, "层数"), (4, "楼栋编号"), (5, "所属网格"),
                      (6, "经度"), (6, "所属网格")}  # fmt: skip
    assert not Building.objects.exists()


def test_organisations_by_credit_code_with_check_character(town, tmp_path) -> None:
    office = town.user("town_office")
    good = {"统一社会信用代码": credit_code(1), "名称": "荥阳机械厂", "所属网格": UNIT_A1,
            "法定代表人": "张三", "行业": "制造业", "安全风险等级": "橙", "重点监管": "是"}  # fmt: skip
    wrong_check = credit_code(2)[:-1] + ("0" if credit_code(2)[-1] != "0" else "1")
    rows = [
        good,
        {"统一社会信用代码": wrong_check, "名称": "坏码", "所属网格": UNIT_A1},
        {"统一社会信用代码": credit_code(1), "名称": "重复", "所属网格": UNIT_A1},
        {
            "统一社会信用代码": credit_code(3),
            "名称": "X",
            "所属网格": UNIT_A1,
            "安全风险等级": "紫",
        },
    ]
    errors = rejected("organisations", ledger(tmp_path, "organisations", rows), office)
    assert errors == {(3, "统一社会信用代码"), (4, "统一社会信用代码"), (5, "安全风险等级")}
    import_ledger("organisations", ledger(tmp_path, "organisations", [good]), by=office)
    org = Organisation.objects.get(credit_code=credit_code(1))
    assert (org.legal_representative, org.industry, org.risk_grade, org.key_supervision) == (
        "张三", "制造业", RiskGrade.HIGH, True)  # fmt: skip
    again = dict(good, 名称="荥阳机械厂有限公司", 重点监管="否")
    result = import_ledger("organisations", ledger(tmp_path, "organisations", [again]), by=office)
    assert (result.created, result.updated) == (0, 1)
    org.refresh_from_db()
    assert (org.name, org.key_supervision) == ("荥阳机械厂有限公司", False)
    [row] = export_rows("organisations", office)
    assert row[:3] == (credit_code(1), "荥阳机械厂有限公司", "生产经营单位")


def test_facilities_from_gbk_csv_with_owner_departments(town, tmp_path) -> None:
    lon, lat = INSIDE[UNIT_B1]
    rows = [
        {
            "部件标识码": "JG-0001",
            "部件类别代码": "010101",
            "名称": "井盖",
            "经度": lon,
            "纬度": lat,
            "主管部门": "王村派出所",
            "养护单位": "410182100-ENV",
        },  # fmt: skip
        {"部件标识码": "LD-0001", "部件类别代码": "0203", "名称": "路灯", "所属网格": UNIT_A1},
    ]
    errors = rejected("facilities", ledger(tmp_path, "facilities", rows, suffix=".csv"), None)
    assert errors == {(3, "部件类别代码"), (3, "经度")}
    result = import_ledger(
        "facilities", ledger(tmp_path, "facilities", rows[:1], suffix=".csv"), by=None
    )
    assert result.created == 1
    facility = Facility.objects.get(code="JG-0001")
    assert (facility.grid.code, facility.owner.name, facility.maintainer.code) == (
        UNIT_B1, "王村派出所", "410182100-ENV")  # fmt: skip


def test_staff_roster_appoints_updates_and_ends_posts(town, tmp_path) -> None:
    office = town.user("town_office")
    rows = [
        {
            "姓名": "赵六",
            "性别": "男",
            "联系电话": "13900001111",
            "岗位类型": "专职网格员",
            "所属网格": UNIT_A2,
            "任职日期": "2026-01-05",
        },  # fmt: skip
        {"姓名": "钱七", "联系电话": "13900002222", "岗位类型": "志愿者", "所属网格": UNIT_B1},
    ]
    result = import_ledger("staff", ledger(tmp_path, "staff", rows), by=office)
    assert (result.created, result.updated) == (2, 0)
    zhao = Staff.objects.get(name="赵六")
    assert zhao.phone == "+8613900001111"
    post = zhao.posts.get()
    assert (post.kind, post.grid.code, str(post.started_on)) == (
        PostKind.WORKER_FULL, UNIT_A2, "2026-01-05")  # fmt: skip
    # Re-import: found by phone (blind index), name corrected, post ended.
    again = [dict(rows[0], 姓名="赵六一", 离任日期="2026-06-30")]
    result = import_ledger("staff", ledger(tmp_path, "staff", again), by=office)
    assert (result.created, result.updated) == (0, 1)
    zhao.refresh_from_db()
    assert zhao.name == "赵六一"
    assert str(zhao.posts.get().ended_on) == "2026-06-30"
    # The phone is masked in the export unless a reason is given; the reason is logged.
    names = {r[0]: r for r in export_rows("staff", office)}
    assert names["钱七"][2] == "139****2222"
    assert "13900002222" not in str(export_rows("staff", office))
    assert names["钱七"][6:9] == ("志愿者", None, UNIT_B1)
    clear = export_rows("staff", office, clear_reason="核对花名册")
    assert "13900002222" in {r[2] for r in clear}
    assert AccessLog.objects.get().target == "ledger:staff"


def test_staff_roster_rejects_a_post_outside_scope_and_rolls_back(town, tmp_path) -> None:
    rows = [
        {"姓名": "孙八", "联系电话": "13900003333", "岗位类型": "志愿者", "所属网格": UNIT_A1},
        {"姓名": "周九", "联系电话": "13900004444", "岗位类型": "志愿者", "所属网格": UNIT_B1},
        {"姓名": "吴十", "岗位类型": "网格长", "所属网格": VILLAGE_A},  # no key; village has one
        {"姓名": "郑十一", "联系电话": "13900005555", "岗位类型": "网格长", "所属网格": VILLAGE_A},
    ]
    errors = rejected("staff", ledger(tmp_path, "staff", rows), town.user("village_a"))
    assert errors == {(3, "所属网格"), (4, "联系电话")}
    # Rows that pass the checks run through the services; their rules reject in the same report.
    errors = rejected(
        "staff", ledger(tmp_path, "staff", [rows[0], rows[3]]), town.user("village_a")
    )
    assert errors == {(3, "岗位类型")}
    assert not Staff.objects.filter(name__in=["孙八", "郑十一"]).exists()
    # A dry run checks through the services and writes nothing.
    result = import_ledger(
        "staff", ledger(tmp_path, "staff", rows[:1]), by=town.user("village_a"), dry_run=True
    )
    assert result.created == 1
    assert not Staff.objects.filter(name="孙八").exists()
    assert Post.objects.filter(grid__code=UNIT_A1, kind=PostKind.VOLUNTEER).count() == 0
