"""Ledgers: templates, all-or-nothing imports with Excel row numbers, formats, exports."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gridgov.core.testing.town import UNIT_A1, UNIT_A2, UNIT_B1
from gridgov.registry.ledgers import (
    HOUSEHOLD_COLUMNS,
    PERSON_COLUMNS,
    LedgerFileError,
    LedgerRejectedError,
    export_ledger,
    import_ledger,
    write_template,
    write_xlsx,
)
from gridgov.registry.models import AccessLog, Household, HouseholdTag, Person
from gridgov.registry.tests.conftest import make_id

HEADER = ["姓名", "公民身份号码", "性别", "出生日期", "联系电话", "人口类型", "户籍地", "现住地址",
          "所属网格", "户编号", "与户主关系", "政治面貌"]  # fmt: skip


def person_row(serial: int, *, grid: str = UNIT_A1, household: str = "H001", **over: str) -> list:
    number = make_id(serial, dt.date(1980, 1, 1 + serial % 28))
    row = {
        "姓名": f"居民{serial}",
        "公民身份号码": number,
        "性别": "男" if serial % 2 else "女",
        "出生日期": f"1980-01-{1 + serial % 28:02d}",
        "联系电话": f"1391234{serial:04d}",
        "人口类型": "户籍人口",
        "户籍地": "河南省荥阳市",
        "现住地址": "王村1号",
        "所属网格": grid,
        "户编号": household,
        "与户主关系": "户主" if serial == 1 else "子",
        "政治面貌": "群众",
    }
    row.update(over)
    return [row[c] for c in HEADER]


def xlsx(tmp_path: Path, header: list[str], rows: list[list]) -> Path:
    path = tmp_path / "ledger.xlsx"
    write_xlsx(path, header, rows)
    return path


def test_template_has_the_town_column_names(tmp_path) -> None:
    path = tmp_path / "t.xlsx"
    write_template("persons", path)
    header = next(load_workbook(path).active.iter_rows(values_only=True))
    assert list(header) == PERSON_COLUMNS
    assert {"姓名", "公民身份号码", "联系电话", "所属网格", "户编号", "与户主关系"} <= set(header)


def test_persons_import_creates_households_and_heads(town, tmp_path) -> None:
    rows = [person_row(1), person_row(2), person_row(3, household="H002", grid=UNIT_A2)]
    result = import_ledger("persons", xlsx(tmp_path, HEADER, rows), by=town.user("town_office"))
    assert (result.created, result.updated, result.households_created) == (3, 0, 2)
    h1 = Household.objects.get(number="H001")
    assert h1.grid.code == UNIT_A1
    assert h1.head.name == "居民1"
    assert h1.members.count() == 2
    assert Household.objects.get(number="H002").grid.code == UNIT_A2
    p = Person.objects.by_id_number(make_id(2, dt.date(1980, 1, 3))).get()
    assert (p.phone, p.relation_to_head, p.political_status) == ("+8613912340002", "20", "13")


def test_reimport_updates_by_id_number(town, tmp_path) -> None:
    import_ledger("persons", xlsx(tmp_path, HEADER, [person_row(1)]), by=None)
    result = import_ledger(
        "persons", xlsx(tmp_path, HEADER, [person_row(1, **{"姓名": "改名了"})]), by=None
    )
    assert (result.created, result.updated) == (0, 1)
    assert Person.objects.get().name == "改名了"


def test_bad_rows_are_all_named_and_nothing_is_written(town, tmp_path) -> None:
    good = person_row(1)
    bad_checksum = person_row(2)
    bad_checksum[1] = bad_checksum[1][:17] + ("0" if bad_checksum[1][17] != "0" else "1")
    rows = [
        good,
        bad_checksum,
        person_row(3, grid="999999999999999"),
        person_row(4, **{"政治面貌": "火星党"}),
        person_row(1),
        person_row(5, **{"出生日期": "1999-01-01"}),
        person_row(6, **{"联系电话": "12"}),
    ]
    with pytest.raises(LedgerRejectedError) as err:
        import_ledger("persons", xlsx(tmp_path, HEADER, rows), by=None)
    found = {(e.row, e.column) for e in err.value.result.errors}
    assert found == {
        (3, "公民身份号码"),
        (4, "所属网格"),
        (5, "政治面貌"),
        (6, "公民身份号码"),
        (7, "出生日期"),
        (8, "联系电话"),
    }
    assert "第3行" in str(err.value.result.errors[0])
    assert not Person.objects.exists()
    assert not Household.objects.exists()


def test_out_of_scope_grid_is_refused_for_a_village_operator(town, tmp_path) -> None:
    with pytest.raises(LedgerRejectedError) as err:
        import_ledger(
            "persons",
            xlsx(tmp_path, HEADER, [person_row(1, grid=UNIT_B1)]),
            by=town.user("village_a"),
        )
    assert err.value.result.errors[0].column == "所属网格"


def test_duplicate_in_another_grid_is_reported_not_created(town, tmp_path) -> None:
    import_ledger("persons", xlsx(tmp_path, HEADER, [person_row(1)]), by=None)
    with pytest.raises(LedgerRejectedError) as err:
        import_ledger("persons", xlsx(tmp_path, HEADER, [person_row(1, grid=UNIT_B1)]), by=None)
    assert UNIT_A1 in err.value.result.errors[0].message
    assert Person.objects.count() == 1


def test_dry_run_writes_nothing(town, tmp_path) -> None:
    result = import_ledger(
        "persons", xlsx(tmp_path, HEADER, [person_row(1)]), by=None, dry_run=True
    )
    assert result.created == 1
    assert not Person.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_each_encoding(town, tmp_path, encoding) -> None:
    text = "\n".join(",".join(r) for r in [HEADER, person_row(1), person_row(2)])
    path = tmp_path / "ledger.csv"
    path.write_bytes(text.encode(encoding))
    assert import_ledger("persons", path, by=None).created == 2
    assert Person.objects.filter(name="居民1").exists()


def test_unreadable_files_and_missing_columns(tmp_path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a workbook")
    with pytest.raises(LedgerFileError):
        import_ledger("persons", path, by=None)
    with pytest.raises(LedgerFileError):
        import_ledger("persons", xlsx(tmp_path, ["姓名"], [["a"]]), by=None)


def test_households_ledger_sets_tags_head_and_contact_worker(town, tmp_path) -> None:
    import_ledger("persons", xlsx(tmp_path, HEADER, [person_row(1)]), by=None)
    rows = [
        ["H001", make_id(1, dt.date(1980, 1, 2)), "王村1号", UNIT_A1, "家庭户", "低保五保户、空巢老人户", "李娜"],
        ["H009", "", "王村9号", UNIT_A1, "集体户", "", ""],
    ]  # fmt: skip
    result = import_ledger("households", xlsx(tmp_path, HOUSEHOLD_COLUMNS, rows), by=None)
    assert (result.created, result.updated) == (1, 1)
    h = Household.objects.get(number="H001")
    assert h.contact_worker.name == "李娜"
    assert set(h.tags.values_list("kind", flat=True)) == {"low_income", "empty_nest"}
    rows[0][5] = "空巢老人户"
    import_ledger("households", xlsx(tmp_path, HOUSEHOLD_COLUMNS, rows), by=None)
    assert set(HouseholdTag.objects.filter(until__isnull=True).values_list("kind", flat=True)) == {
        "empty_nest"
    }
    assert HouseholdTag.objects.filter(kind="low_income", until__isnull=False).exists()


def test_households_ledger_bad_rows(town, tmp_path) -> None:
    rows = [
        ["H001", "", "", UNIT_A1, "大户", "富豪户", "无此人"],
        ["H001", make_id(99), "", "nope", "", "", ""],
    ]
    with pytest.raises(LedgerRejectedError) as err:
        import_ledger("households", xlsx(tmp_path, HOUSEHOLD_COLUMNS, rows), by=None)
    assert {(e.row, e.column) for e in err.value.result.errors} == {
        (2, "户别"),
        (2, "重点户类型"),
        (2, "联系网格员"),
        (3, "户编号"),
        (3, "所属网格"),
        (3, "户主公民身份号码"),
    }


def test_export_is_masked_unless_a_permitted_user_gives_a_reason(town, tmp_path) -> None:
    import_ledger("persons", xlsx(tmp_path, HEADER, [person_row(1), person_row(2)]), by=None)
    number = make_id(1, dt.date(1980, 1, 2))
    out = io.BytesIO()
    assert export_ledger("persons", out, by=town.user("worker_a1"), grid=town.village_a) == 2
    cells = [c for row in load_workbook(out).active.iter_rows(values_only=True) for c in row]
    assert number not in cells
    assert number[:6] + "********" + number[-4:] in cells
    assert "139****0001" in cells
    assert not AccessLog.objects.exists()
    from gridgov.core.errors import DomainError

    with pytest.raises(DomainError):
        export_ledger("persons", io.BytesIO(), by=town.user("worker_a1"), clear_reason="上报")
    out = io.BytesIO()
    export_ledger("persons", out, by=town.user("town_office"), clear_reason="民政核对")
    cells = [c for row in load_workbook(out).active.iter_rows(values_only=True) for c in row]
    assert number in cells
    log = AccessLog.objects.get()
    assert (log.action, log.rows, log.reason) == ("export", 2, "民政核对")
    assert export_ledger("persons", io.BytesIO(), by=town.user("worker_b1")) == 0
