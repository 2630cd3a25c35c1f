"""Importing hotline exports by mapping (issue 13): formats, bad rows, re-import, grids, and the
real Baltimore and NYC 311 samples with KPIs equal to a direct computation from the file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from gridgov.core.errors import DomainError, ImportRejectedError
from gridgov.core.testing import require_realdata
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_B2
from gridgov.hotline import dates
from gridgov.hotline.mapping import MappingError, parse_mapping
from gridgov.hotline.models import HotlineImport, HotlineRecord, RecordStatus
from gridgov.hotline.services import hotline_kpis, import_hotline, month_bounds

MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"
SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC

MAPPING = """
crs = "wgs84"
placeholder_points = [[0.0, 0.0]]

[columns]
external_number = "工单编号"
received_at = "受理时间"
description = "诉求内容"
category = "诉求分类"
lon = "经度"
lat = "纬度"
status = "状态"
due_at = "办理期限"
closed_at = "办结时间"
satisfaction = "满意度"

[categories]
"噪音扰民" = "0404"

[statuses]
"已办结" = "closed"
"办理中" = "open"
"已撤销" = "cancelled"
"""
HEADER = [
    "工单编号",
    "受理时间",
    "诉求内容",
    "诉求分类",
    "经度",
    "纬度",
    "状态",
    "办理期限",
    "办结时间",
    "满意度",
]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def good_row(number: str = "R1", lon: float = INSIDE[UNIT_A1][0]) -> list[str]:
    return [
        number,
        "2026/03/02 09:15",
        "夜间施工噪音",
        "噪音扰民",
        str(lon),
        str(INSIDE[UNIT_A1][1]),
        "已办结",
        "2026/03/05 18:00",
        "2026/03/04 10:00",
        "满意",
    ]


def run(data: bytes, *, mapping: str | None = MAPPING, filename: str = "x.csv", by_user=None, **kw):
    return import_hotline(
        data=data, filename=filename, source="s12345", by=by_user, mapping_text=mapping, **kw
    )


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02T09:15:00+08:00", dt.datetime(2026, 3, 2, 1, 15, tzinfo=UTC)),
        ("2026-03-02 09:15", dt.datetime(2026, 3, 2, 1, 15, tzinfo=UTC)),
        ("2026/03/02 09:15", dt.datetime(2026, 3, 2, 1, 15, tzinfo=UTC)),
        ("2026/03/02 09:15:30", dt.datetime(2026, 3, 2, 1, 15, 30, tzinfo=UTC)),
        ("03/02/2026 09:15:30 PM", dt.datetime(2026, 3, 2, 13, 15, 30, tzinfo=UTC)),
        ("03/02/2026 09:15 AM", dt.datetime(2026, 3, 2, 1, 15, tzinfo=UTC)),
        ("3/2/26 9:15", dt.datetime(2026, 3, 2, 1, 15, tzinfo=UTC)),
        ("46083.385416666664", dt.datetime(2026, 3, 2, 1, 15, tzinfo=UTC)),
        ("2026年3月2日 09:15", dt.datetime(2026, 3, 2, 1, 15, tzinfo=UTC)),
    ],
)
def test_date_formats_are_recognised_and_read_in_the_mapping_zone(text, expected):
    pattern = dates.detect([text])
    assert pattern is not None
    parsed = dates.parse_with(text, pattern)
    assert parsed is not None
    assert dates.aware(parsed, "Asia/Shanghai") == expected


def test_a_column_keeps_one_format_so_month_first_never_mixes_with_others():
    assert dates.detect(["04/12/2018 11:11:26 AM", "12/31/2018 01:00:00 PM"]) == (
        "%m/%d/%Y %I:%M:%S %p"
    )
    assert dates.parse_with("31/12/2018 01:00:00 PM", "%m/%d/%Y %I:%M:%S %p") is None


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (
            ["2026/11/03 08:30", "2026/11/03 08:30:10"],
            [
                dt.datetime(2026, 11, 3, 8, 30, tzinfo=UTC),
                dt.datetime(2026, 11, 3, 8, 30, 10, tzinfo=UTC),
            ],
        ),
        (
            ["11/03/2026 08:30:10 PM", "11/03/2026 08:30 AM"],
            [
                dt.datetime(2026, 11, 3, 20, 30, 10, tzinfo=UTC),
                dt.datetime(2026, 11, 3, 8, 30, tzinfo=UTC),
            ],
        ),
        (
            ["2026年11月3日 08:30", "2026年11月3日 08:30:59"],
            [
                dt.datetime(2026, 11, 3, 8, 30, tzinfo=UTC),
                dt.datetime(2026, 11, 3, 8, 30, 59, tzinfo=UTC),
            ],
        ),
    ],
)
def test_one_column_reads_times_with_and_without_seconds(column, expected):
    pattern = dates.detect(column)
    assert [dates.aware(dates.parse_with(v, pattern), "UTC") for v in column] == expected
    # The family stays fixed: a day-first or 24-hour reading does not creep in.
    assert dates.parse_with("31/12/2026 08:30 AM", pattern) is None


def test_an_import_takes_rows_with_and_without_seconds_in_one_column(town):
    second = good_row("R2")
    second[1] = "2026/03/02 10:20:45"
    second[8] = "2026/03/04 10:00:05"
    result = run(csv_bytes([good_row("R1"), second]))
    assert (result.created, len(result.problems)) == (2, 0)
    received = HotlineRecord.objects.get(external_number="R2").received_at
    assert received == dt.datetime(2026, 3, 2, 2, 20, 45, tzinfo=UTC)
    closed = HotlineRecord.objects.get(external_number="R2").closed_at
    assert closed == dt.datetime(2026, 3, 4, 2, 0, 5, tzinfo=UTC)


# --- the mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[columns]\nreceived_at = "a"', "columns.external_number"),
        ('[columns]\nexternal_number = "a"\nreceived_at = "b"\nwhen = "c"', "columns.when"),
        ('crs = "utm"\n[columns]\nexternal_number = "a"\nreceived_at = "b"', "crs"),
        ('timezone = "Mars/Base"\n[columns]\nexternal_number = "a"\nreceived_at = "b"', "timezone"),
        (
            '[columns]\nexternal_number = "a"\nreceived_at = "b"\n[statuses]\nX = "done"',
            "statuses.X",
        ),
        (
            'placeholder_points = [1, 2]\n[columns]\nexternal_number = "a"\nreceived_at = "b"',
            "placeholder_points",
        ),
        ('colums = 1\n[columns]\nexternal_number = "a"\nreceived_at = "b"', "colums"),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_key(text, field):
    with pytest.raises(MappingError) as caught:
        parse_mapping(text)
    assert caught.value.field == field


def test_a_category_mapped_to_a_missing_item_refuses_the_mapping(db):
    with pytest.raises(MappingError, match="9999"):
        run(csv_bytes([good_row()]), mapping=MAPPING.replace('= "0404"', '= "9999"'))
    assert not HotlineRecord.objects.exists()


def test_mapping_without_a_saved_one_is_asked_for(db):
    with pytest.raises(MappingError, match="--mapping"):
        run(csv_bytes([good_row()]), mapping=None)


# --- importing -------------------------------------------------------------------------------


def test_a_record_keeps_its_own_dates_status_rating_and_lands_in_its_grid(town):
    result = run(csv_bytes([good_row()]))
    assert (result.created, result.bad, result.located) == (1, 0, 1)
    record = HotlineRecord.objects.get(external_number="R1")
    assert record.received_at == dt.datetime(2026, 3, 2, 9, 15, tzinfo=SHANGHAI)
    assert record.due_at == dt.datetime(2026, 3, 5, 18, 0, tzinfo=SHANGHAI)
    assert record.closed_at == dt.datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)
    assert record.status == RecordStatus.CLOSED
    assert record.satisfaction == 5
    assert record.item is not None
    assert record.item.code == "0404"
    assert record.grid is not None
    assert record.grid.code == UNIT_A1
    # A historical closed record is stored as such: no case, no dispatch work.
    assert record.case is None
    run_row = HotlineImport.objects.get()
    assert (run_row.rows, run_row.created, run_row.bad) == (1, 1, 0)


def test_unknown_category_is_unclassified_and_placeholder_point_is_missing(town):
    row = good_row()
    row[3] = "其他问题"
    row[4], row[5] = "0", "0"
    run(csv_bytes([row]))
    record = HotlineRecord.objects.get()
    assert record.item is None
    assert record.category_value == "其他问题"
    assert (record.lon, record.lat, record.grid) == (None, None, None)


def test_gcj02_points_are_converted_before_locating(town):
    from gridgov.core.coords import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(*INSIDE[UNIT_B2])
    row = good_row()
    row[4], row[5] = str(lon), str(lat)
    run(csv_bytes([row]), mapping='crs = "gcj02"\n' + MAPPING.replace('crs = "wgs84"', ""))
    record = HotlineRecord.objects.get()
    assert record.grid.code == UNIT_B2
    assert abs(record.lon - INSIDE[UNIT_B2][0]) < 1e-5


def test_bad_rows_are_reported_by_number_and_the_good_rows_import(town):
    rows = [good_row("R1")]
    bad_date = good_row("R2")
    bad_date[1] = "2026/13/45 09:15"
    no_number = good_row("")
    repeated = good_row("R1")
    bad_status = good_row("R5")
    bad_status[6] = "挂起"
    bad_point = good_row("R6")
    bad_point[4] = "东经113"
    rows += [bad_date, no_number, repeated, bad_status, bad_point, good_row("R7")]
    result = run(csv_bytes(rows))
    assert result.created == 2
    found = {p.location: p.message for p in result.problems}
    assert set(found) == {"第 3 行", "第 4 行", "第 5 行", "第 6 行", "第 7 行"}
    assert "2026/13/45" in found["第 3 行"]
    assert "工单编号" in found["第 4 行"]
    assert "第 2 行" in found["第 5 行"]
    assert "挂起" in found["第 6 行"]
    assert "东经113" in found["第 7 行"]
    assert set(HotlineRecord.objects.values_list("external_number", flat=True)) == {"R1", "R7"}
    assert HotlineImport.objects.get().bad == 5


def test_strict_refuses_the_whole_file_for_one_bad_row(town):
    bad = good_row("R2")
    bad[8] = "yesterday"
    with pytest.raises(ImportRejectedError) as caught:
        run(csv_bytes([good_row("R1"), bad]), strict=True)
    assert "第 3 行" in str(caught.value.problems[0])
    assert not HotlineRecord.objects.exists()
    assert not HotlineImport.objects.exists()


def test_dry_run_writes_nothing(town):
    result = run(csv_bytes([good_row()]), dry_run=True)
    assert (result.created, result.dry_run) == (1, True)
    assert not HotlineRecord.objects.exists()


def test_reimport_updates_by_external_number_with_the_saved_mapping(town):
    run(csv_bytes([good_row("R1")]))
    changed = good_row("R1")
    changed[6], changed[8], changed[9] = "办理中", "", ""
    result = run(csv_bytes([changed, good_row("R2")]), mapping=None)
    assert (result.created, result.updated) == (1, 1)
    record = HotlineRecord.objects.get(external_number="R1")
    assert (record.status, record.closed_at, record.satisfaction) == (RecordStatus.OPEN, None, None)
    assert HotlineRecord.objects.count() == 2


def test_xlsx_with_date_cells_and_excel_serials(town):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    row: list[object] = good_row("X1")
    row[1] = dt.datetime(2026, 3, 2, 9, 15)  # noqa: DTZ001 - a naive Excel date cell
    row[7] = 46086.75  # 2026-03-05 18:00 as a bare serial number
    row[8] = None
    row[6] = "办理中"
    sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    run(buf.getvalue(), filename="export.xlsx")
    record = HotlineRecord.objects.get()
    assert record.received_at == dt.datetime(2026, 3, 2, 9, 15, tzinfo=SHANGHAI)
    assert record.due_at == dt.datetime(2026, 3, 5, 18, 0, tzinfo=SHANGHAI)
    assert record.status == RecordStatus.OPEN


def test_command_imports_reports_bad_rows_and_strict_exits_1(town, tmp_path, capsys):
    data = tmp_path / "export.csv"
    bad = good_row("R2")
    bad[1] = ""
    data.write_bytes(csv_bytes([good_row("R1"), bad]))
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    call_command(
        "import_hotline", str(data), "--source", "s12345", "--mapping", str(mapping), "--json"
    )
    out, err = capsys.readouterr()
    assert json.loads(out)["created"] == 1
    assert "第 3 行" in err
    with pytest.raises(CommandError) as caught:
        call_command("import_hotline", str(data), "--source", "s12345", "--strict")
    assert caught.value.returncode == 1
    with pytest.raises(CommandError) as usage:
        call_command("import_hotline", str(data), "--source", "other")
    assert usage.value.returncode == 2


def test_write_mapping_gives_a_usable_starting_mapping(db, tmp_path):
    data = tmp_path / "export.csv"
    data.write_bytes(csv_bytes([good_row("R1")]))
    out = tmp_path / "start.toml"
    call_command("import_hotline", str(data), "--write-mapping", str(out))
    mapping = parse_mapping(out.read_text(encoding="utf-8"))
    assert mapping.columns["external_number"] == "工单编号"
    assert mapping.columns["received_at"] == "受理时间"
    assert mapping.columns["closed_at"] == "办结时间"
    assert mapping.statuses == {"已办结": "closed"}


def test_kpis_follow_the_standard(town):
    on_time = good_row("K1")
    late = good_row("K2")
    late[8] = "2026/03/06 10:00"
    late[9] = "不满意"
    still_open = good_row("K3")
    still_open[6], still_open[8], still_open[9] = "办理中", "", ""
    cancelled = good_row("K4")
    cancelled[6] = "已撤销"
    next_month = good_row("K5")
    next_month[1] = "2026/04/01 00:30"
    run(csv_bytes([on_time, late, still_open, cancelled, next_month]))
    start, end = month_bounds("2026-03")
    kpis = hotline_kpis(HotlineRecord.objects.all(), start=start, end=end).as_dict()
    assert kpis["received"] == 3
    assert kpis["closed"] == 2
    assert kpis["closed_on_time"] == 1
    assert kpis["closure_rate"] == pytest.approx(2 / 3)
    assert kpis["on_time_rate"] == pytest.approx(1 / 3)
    assert kpis["satisfaction_rate"] == pytest.approx(1 / 2)


# --- the real 311 samples --------------------------------------------------------------------


def direct_kpis(path: Path, mapping_path: Path, month: str, fmt: str | list[str]) -> dict:
    """The STANDARDS figures computed straight from the file, without the import code."""
    mapping = tomllib.loads(mapping_path.read_text(encoding="utf-8"))
    cols, statuses = mapping["columns"], mapping["statuses"]
    zone = ZoneInfo(mapping["timezone"])
    formats = [fmt] if isinstance(fmt, str) else fmt

    def when(text: str) -> dt.datetime | None:
        if not text:
            return None
        for f in formats:
            try:
                return dt.datetime.strptime(text, f).replace(tzinfo=zone)
            except ValueError:
                continue
        raise AssertionError(text)

    received = closed = on_time = 0
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            status = statuses[row[cols["status"]]]
            got = when(row[cols["received_at"]])
            assert got is not None
            if status == "cancelled" or got.astimezone(SHANGHAI).strftime("%Y-%m") != month:
                continue
            received += 1
            if status == "closed":
                closed += 1
                close, due = when(row[cols["closed_at"]]), when(row[cols["due_at"]])
                if close is not None and due is not None and close <= due:
                    on_time += 1
    return {
        "received": received,
        "closed": closed,
        "closed_on_time": on_time,
        "closure_rate": closed / received if received else None,
        "on_time_rate": on_time / received if received else None,
        "satisfaction_rate": None,
    }


def command_kpis(source: str, month: str, capsys) -> dict:
    capsys.readouterr()
    call_command("hotline_kpis", "--source", source, "--month", month, "--json")
    return json.loads(capsys.readouterr().out)


def test_baltimore_sample_imports_and_its_kpis_equal_a_direct_computation(town, capsys):
    path = require_realdata("us311_baltimore_sample", "311_sample.csv")
    mapping = MAPPINGS / "baltimore311.toml"
    call_command(
        "import_hotline", str(path), "--source", "baltimore", "--mapping", str(mapping), "--strict"
    )
    assert HotlineRecord.objects.filter(source__name="baltimore").count() == 10_000
    # The (39, -77) placeholder is a missing point, never a place.
    assert not HotlineRecord.objects.filter(lon=-77.0, lat=39.0).exists()
    assert HotlineRecord.objects.filter(lon__isnull=True).count() == 590 + 885
    for month in ("2014-01", "2016-07", "2018-04", "2018-12"):
        got = command_kpis("baltimore", month, capsys)
        want = direct_kpis(path, mapping, month, "%m/%d/%Y %I:%M:%S %p")
        assert want["received"] > 0
        assert {k: got[k] for k in want} == pytest.approx(want)


def test_nyc_samples_import_and_their_kpis_equal_a_direct_computation(town, capsys):
    mapping = MAPPINGS / "nyc311.toml"
    for name, month, fmt in (
        ("311_sample.csv", "2018-10", ["%m/%d/%y %H:%M"]),
        ("311_2025-03-24_sample.csv", "2025-03", ["%m/%d/%Y %I:%M:%S %p"]),
    ):
        path = require_realdata("us311_nyc_sample", name)
        source = "nyc" + month.replace("-", "")
        call_command(
            "import_hotline", str(path), "--source", source, "--mapping", str(mapping), "--strict"
        )
        got = command_kpis(source, month, capsys)
        want = direct_kpis(path, mapping, month, fmt)
        assert want["received"] > 200
        assert {k: got[k] for k in want} == pytest.approx(want)


def test_open_records_enter_the_intake_and_closed_ones_do_not(town):
    from gridgov.cases.models import Case, Channel

    still_open = good_row("O1")
    still_open[6], still_open[8], still_open[9] = "办理中", "", ""
    result = run(
        csv_bytes([good_row("C1"), still_open]), intake_open=True, by_user=town.user("town_office")
    )
    assert result.taken_in == 1
    record = HotlineRecord.objects.get(external_number="O1")
    assert record.case is not None
    assert (record.case.channel, record.case.external_number) == (Channel.HOTLINE, "O1")
    assert record.case.received_at == record.received_at
    assert HotlineRecord.objects.get(external_number="C1").case is None
    assert Case.objects.filter(channel=Channel.HOTLINE).count() == 1
    # A re-import does not take the same record in twice.
    again = run(csv_bytes([still_open]), intake_open=True, by_user=town.user("town_office"))
    assert again.taken_in == 0


def test_intake_needs_an_operator_who_may_file_hotline_cases(town):
    with pytest.raises(DomainError):
        run(csv_bytes([good_row()]), intake_open=True, by_user=None)
    with pytest.raises(PermissionDenied):
        run(csv_bytes([good_row()]), by_user=town.user("worker_a1"))
    assert not HotlineRecord.objects.exists()
