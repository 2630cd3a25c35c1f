"""Importing regions (统计用区划代码) from CSV: both layouts, several files in one run, encodings
from Chinese Excel, bad rows located by file and row with nothing half-imported, and the real
NBS tables at full size."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.core.errors import DomainError, ImportRejectedError
from gridgov.core.testing import require_realdata
from gridgov.grids import services
from gridgov.grids.models import Region, RegionLevel
from gridgov.grids.services import import_regions

SIMPLE = "code,name,parent_code\n41,河南省,\n4101,郑州市,41\n410182,荥阳市,4101\n"


def run(*files: tuple[str, str | bytes], **options):
    encoded = [(name, data.encode() if isinstance(data, str) else data) for name, data in files]
    return import_regions(files=encoded, **options)


def rejected(*files: tuple[str, str | bytes]) -> list[str]:
    before = list(Region.objects.order_by("code").values_list("code", "name", "path"))
    with pytest.raises(ImportRejectedError) as info:
        run(*files)
    assert list(Region.objects.order_by("code").values_list("code", "name", "path")) == before
    return [str(p) for p in info.value.problems]


def region(code: str) -> Region:
    return Region.objects.select_related("parent").get(code=code.ljust(12, "0"))


def test_parent_code_layout_with_new_rows_under_existing_ones(db):
    result = run(
        (
            "towns.csv",
            "code,name,parent_code\n410182102,崔庙镇,410182\n410182102201,崔庙村,410182102\n",
        )
    )
    assert (result.created, result.unchanged) == (2, 0)
    village = region("410182102201")
    assert village.level == RegionLevel.VILLAGE
    assert village.parent.code == "410182102000"
    assert village.path == "/41/4101/410182/410182102/410182102201/"


def test_modood_layout_picks_the_most_specific_parent_column(db):
    run(
        ("areas.csv", 'code,name,cityCode,provinceCode\n130102,"长安区",1301,13\n'),
        ("provinces.csv", 'code,name\n13,"河北省"\n'),
        ("cities.csv", 'code,name,provinceCode\n1301,"石家庄市",13\n'),
        (
            "streets.csv",
            'code,name,areaCode,provinceCode,cityCode\n130102001,"建北街道",130102,13,1301\n',
        ),
    )
    street = region("130102001")
    assert street.parent.code == "130102000000"
    assert street.path == "/13/1301/130102/130102001/"


def test_twelve_digit_codes_are_accepted_as_well(db):
    run(("padded.csv", "code,name,parent_code\n410182103000,高山镇,410182000000\n"))
    assert region("410182103").parent.code == "410182000000"


def test_reimport_renames_and_is_otherwise_idempotent(db):
    run(("a.csv", "code,name,parent_code\n410182102,崔庙镇,410182\n"))
    result = run(("a.csv", "code,name,parent_code\n410182102,崔庙镇(新),410182\n"))
    assert (result.created, result.renamed, result.unchanged) == (0, 1, 0)
    assert region("410182102").name == "崔庙镇(新)"
    again = run(("a.csv", "code,name,parent_code\n410182102,崔庙镇(新),410182\n"))
    assert (again.created, again.renamed, again.unchanged) == (0, 0, 1)


def test_dry_run_writes_nothing(db):
    result = run(("a.csv", "code,name,parent_code\n410182102,崔庙镇,410182\n"), dry_run=True)
    assert result.created == 1
    assert not Region.objects.filter(code="410182102000").exists()


def test_nbs_rows_repeating_their_parent_are_merged_into_it(db):
    """东莞市 4419 has no counties: the NBS table repeats it as "county" 441900, and its streets
    hang from that row."""
    result = run(
        ("provinces.csv", "code,name\n44,广东省\n"),
        ("cities.csv", "code,name,provinceCode\n4419,东莞市,44\n"),
        ("areas.csv", "code,name,cityCode,provinceCode\n441900,东莞市,4419,44\n"),
        (
            "streets.csv",
            "code,name,areaCode,provinceCode,cityCode\n441900003,东城街道,441900,44,4419\n",
        ),
    )
    assert result.created == 3
    assert any("东莞市" in note for note in result.notes)
    assert region("441900003").parent.code == "441900000000"
    assert region("4419").level == RegionLevel.CITY


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("41018210,某镇,410182", "位数为 8"),
        ("41018A102,某镇,410182", "须全为数字"),
        ("410182102,,410182", "名称为空"),
        ("410183102,某镇,410183", "上级区划 410183 不存在"),
        ("410183102,某镇,410182", "不以上级代码 410182 开头"),
        ("410182,某市,410182102", "不以上级代码"),
        ("000000,某地,", "全为零"),
    ],
)
def test_bad_rows_are_reported_with_file_and_row(db, row, expected):
    [problem] = rejected(("bad.csv", f"code,name,parent_code\n{row}\n"))
    assert problem.startswith("bad.csv: 第 2 行: ")
    assert expected in problem


def test_row_without_parent_and_no_ancestor_is_an_unknown_parent_not_an_orphan_root(db):
    [problem] = rejected(("bad.csv", "code,name,parent_code\n370402104226,新村,\n"))
    assert problem.startswith("bad.csv: 第 2 行: 上级区划不存在")
    assert "370402104、370402、3704、37" in problem
    assert not Region.objects.filter(code="370402104226").exists()


def test_row_without_parent_hangs_from_its_nearest_ancestor_in_the_file_or_stored(db):
    result = run(
        (
            "towns.csv",
            "code,name,parent_code\n410182102201,崔庙村,\n410182102,崔庙镇,\n",
        )
    )
    assert result.created == 2
    assert region("410182102201").parent.code == "410182102000"  # in the same run
    assert region("410182102").parent.code == "410182000000"  # stored (the cast's county)
    assert region("410182102201").path == "/41/4101/410182/410182102/410182102201/"
    [warning] = result.warnings
    assert warning.startswith("2 行未填上级代码,已按代码前缀挂在最近的上级区划下")


def test_modood_file_without_parent_columns_gets_parents_from_the_codes(db):
    run(("cities.csv", "code,name\n4102,开封市\n"))
    assert region("4102").parent.code == "410000000000"


def test_only_a_province_is_a_root(db):
    result = run(("provinces.csv", "code,name,parent_code\n37,山东省,\n"))
    assert result.created == 1
    assert result.warnings == []
    assert region("37").parent is None


def test_header_only_file_is_refused_as_no_rows(db):
    [problem] = rejected(("empty.csv", "code,name,parent_code\n"))
    assert problem == "empty.csv: 只有表头,没有数据行"


def test_header_only_file_makes_the_command_exit_nonzero(db, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("code,name,parent_code\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_regions", str(empty), stdout=StringIO(), stderr=err)
    assert info.value.returncode == 1
    assert "empty.csv: 只有表头,没有数据行" in err.getvalue()


def test_create_region_without_parent_finds_its_ancestor_or_refuses(db):
    village = services.create_region(code="410182100299", name="新村")
    assert village.parent.code == "410182100000"
    with pytest.raises(DomainError, match="上级区划不存在"):
        services.create_region(code="370402104226", name="新村")
    with pytest.raises(DomainError, match="只有省级区划可以没有上级"):
        services.update_region(village, parent=None)


def test_duplicate_codes_across_files_name_both_places(db):
    problems = rejected(
        ("a.csv", "code,name,parent_code\n410182102,崔庙镇,410182\n"),
        ("b.csv", "code,name,parent_code\n410182103,高山镇,410182\n410182102,又一个,410182\n"),
    )
    assert problems == ["b.csv: 第 3 行: 区划代码 410182102 重复(与 a.csv 第 2 行相同)"]


def test_every_bad_row_is_listed_and_nothing_is_written(db):
    problems = rejected(
        (
            "bad.csv",
            "code,name,parent_code\n"
            "410182102,崔庙镇,410182\n"
            "4101821,错,410182\n"
            "410182103201,孤儿村,410182103\n"
            "410182102201,崔庙村,410182102\n",
        )
    )
    assert [p.split(": ")[1] for p in problems] == ["第 3 行", "第 4 行"]
    assert not Region.objects.filter(code="410182102000").exists()


def test_header_must_name_code_and_name(db):
    [problem] = rejected(("bad.csv", "id,title\n1,x\n"))
    assert "code 和 name" in problem


def test_utf8_with_bom_is_read(db):
    result = run(("bom.csv", "\ufeff" + "code,name,parent_code\n410182102,崔庙镇,410182\n"))
    assert result.created == 1
    assert result.notes == []


def test_gbk_file_from_excel_is_read_and_says_so(db):
    data = "code,name,parent_code\n410182102,崔庙镇,410182\n".encode("gbk")
    result = run(("excel.csv", data))
    assert region("410182102").name == "崔庙镇"
    assert result.notes == ["excel.csv 不是 UTF-8 编码,已按 GBK(GB18030)读取"]


def test_utf16_from_excel_unicode_text_is_read(db):
    data = "code,name,parent_code\n410182102,崔庙镇,410182\n".encode("utf-16")
    run(("unicode.csv", data))
    assert region("410182102").name == "崔庙镇"


def test_undecodable_bytes_get_a_clear_message(db):
    data = b"code,name,parent_code\n410182102,\xff\xfe\xff\x80,410182\n"
    [problem] = rejected(("broken.csv", data))
    assert problem.startswith("broken.csv: 第 2 行含有无法按 UTF-8 或 GBK 解码的字节")


def test_command_reports_problems_and_exits_nonzero(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code\n999999102,崔庙镇,999999\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="数据库未作任何修改"):
        call_command("import_regions", str(bad), stderr=err)
    assert "bad.csv: 第 2 行: 上级区划 999999 不存在" in err.getvalue()


def test_command_imports_several_files(db, tmp_path):
    towns = tmp_path / "towns.csv"
    villages = tmp_path / "villages.csv"
    villages.write_text("code,name,parent_code\n410182102201,崔庙村,410182102\n", encoding="utf-8")
    towns.write_text("code,name,parent_code\n410182102,崔庙镇,410182\n", encoding="utf-8")
    out = StringIO()
    call_command("import_regions", str(villages), str(towns), stdout=out)
    assert "已新建 2 个区划" in out.getvalue()


# --- the real NBS tables ------------------------------------------------------------------------

MODOOD = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")


def real_files(*names: str, folder: str = "regions-modood") -> list[tuple[str, bytes]]:
    paths = [require_realdata(folder, name) for name in names]
    return [(p.name, p.read_bytes()) for p in paths]


def test_real_country_tables_import_in_seconds(db):
    # streets first: the order of files in a run does not matter
    files = real_files(*reversed(MODOOD))
    started = time.monotonic()
    result = import_regions(files=files)
    elapsed = time.monotonic() - started
    # 31 + 342 + 2,978 + 41,352 rows; 4 rows repeat their parent (东莞, 中山, 儋州, 金门)
    # and the cast's Henan chain (4 rows) is already there.
    assert result.created + result.unchanged == 31 + 342 + 2978 + 41352 - 4
    assert result.unchanged == 3  # 41, 4101, 410182: same names as the cast's
    assert result.renamed == 0
    assert Region.objects.filter(level=RegionLevel.TOWN).count() >= 41352 - 1
    assert region("110101001").path == "/11/1101/110101/110101001/"
    assert elapsed < 30, f"{elapsed:.1f} s"


def test_real_henan_villages_import_after_the_country(db):
    import_regions(files=real_files(*MODOOD))
    villages = real_files("villages_henan_41.csv", folder="cn_divisions_modood")
    started = time.monotonic()
    result = import_regions(files=villages)
    elapsed = time.monotonic() - started
    assert result.created + result.unchanged == 52378
    assert (
        Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith="410182").count() >= 320
    )
    assert region("410102001002").name == "碧沙岗社区居委会"
    assert elapsed < 60, f"{elapsed:.1f} s"


def test_reimport_with_another_parent_moves_the_subtree(town):
    """A village filed directly under the county: its path (and the scopes built on it) follow."""
    result = run(("fix.csv", "code,name,parent_code\n410182100201,王村,410182\n"))
    assert result.moved == 1
    village = region("410182100201")
    assert village.parent.code == "410182000000"
    assert village.path == "/41/4101/410182/410182100201/"
