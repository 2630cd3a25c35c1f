"""Intake from every channel: where a report lands, seed 003's handling modes, coordinates in
GCJ-02/BD-09, possible duplicates, hotline numbers and the batch file, and bad input."""

from __future__ import annotations

import datetime as dt
import io

import prcoords
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from gridgov.cases import services
from gridgov.cases.location import to_wgs84
from gridgov.cases.models import (
    Case,
    CaseEvent,
    CaseState,
    Channel,
    ClosureType,
    EventKind,
    HandlingMode,
    PlatformLevel,
)
from gridgov.cases.services import intake
from gridgov.core.errors import DomainError, ImportRejectedError
from gridgov.core.testing.town import INSIDE, OUTSIDE_POINT, UNIT_A1, UNIT_A2, UNIT_B1

from .conftest import SHANGHAI

S = CaseState
pytestmark = pytest.mark.usefixtures("clock")


def kinds(case):
    return list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))


@pytest.mark.parametrize(
    ("channel", "level"),
    [
        (Channel.PATROL, PlatformLevel.VILLAGE),
        (Channel.PARTY_MEMBER, PlatformLevel.VILLAGE),
        (Channel.DEPARTMENT, PlatformLevel.TOWN),
        (Channel.OFFSITE, PlatformLevel.TOWN),
    ],
)
def test_channel_decides_the_receiving_platform(town, report, channel, level):
    case = report(by="town_office", channel=channel)
    assert (case.channel, case.level, case.state) == (channel, level, S.REPORTED)
    assert case.grid == town.a1


def test_hotline_transfer_keeps_the_hotline_number_and_is_idempotent(town, report):
    case = report(by="town_office", channel=Channel.HOTLINE, external_number="96361-0001")
    assert (case.level, case.external_number) == (PlatformLevel.TOWN, "96361-0001")
    again = intake.report_case(
        by=town.user("town_office"),
        channel=Channel.HOTLINE,
        external_number="96361-0001",
        description="重复推送",
    )
    assert (again.case.pk, again.created) == (case.pk, False)
    with pytest.raises(DomainError) as err:
        report(by="town_office", channel=Channel.HOTLINE)
    assert err.value.field == "external_number"


def test_a_hotline_number_known_in_another_jurisdiction_is_not_shown(town, report, client_for):
    """Re-sending a hotline number answers with the first case only to someone who may see
    it: another village's operator learns that the number is taken, not the case or its
    tracking code (which opens the public tracking page)."""
    from gridgov.core.errors import ConflictError
    from gridgov.core.jurisdiction import Role
    from gridgov.core.testing.town import VILLAGE_B
    from gridgov.people.services import create_user, grant_role

    case = report(by="town_office", channel=Channel.HOTLINE, external_number="96361-0002")
    neighbour = create_user(username="village_b_op", password="x-2026-village-b")
    grant_role(user=neighbour, role=Role.OFFICE, grid=town.grid(VILLAGE_B))
    before = Case.objects.count()
    with pytest.raises(ConflictError, match="已由其他辖区受理"):
        intake.report_case(
            by=neighbour,
            channel=Channel.HOTLINE,
            external_number="96361-0002",
            description="重复推送",
            grid_code=VILLAGE_B,
        )
    response = client_for("village_b_op").post(
        "/api/v1/cases/",
        data={"channel": "hotline", "external_number": "96361-0002", "description": "重复推送"},
    )
    assert response.status_code == 409
    assert case.tracking_code not in response.content.decode()
    assert set(response.json()) <= {"detail", "state", "allowed"}
    assert case.number not in response.content.decode()
    assert Case.objects.count() == before
    with pytest.raises(DomainError, match="64") as err:
        report(by="town_office", channel=Channel.HOTLINE, external_number="9" * 65)
    assert err.value.field == "external_number"


def test_on_the_spot_handling_needs_a_matter_from_the_catalogue(town, report):
    before = Case.objects.count()
    with pytest.raises(DomainError, match="现场处理须选择事项分类") as err:
        report(category=None, mode=HandlingMode.ON_SPOT, result="已当场清理")
    assert err.value.field == "category"
    assert Case.objects.count() == before


def test_on_the_spot_handling_is_closed_and_still_counted(town, report):
    case = report(category="0501", mode=HandlingMode.ON_SPOT, result="已当场清理")
    assert (case.state, case.closure_type, case.closed_level) == (
        S.CLOSED,
        ClosureType.NORMAL,
        PlatformLevel.VILLAGE,
    )
    assert kinds(case) == [EventKind.REPORT, EventKind.CLOSE]
    close = CaseEvent.objects.get(case=case, kind=EventKind.CLOSE)
    assert (close.reason, close.note, close.actor) == (
        "on_spot",
        "已当场清理",
        town.user("worker_a1"),
    )


def test_on_the_spot_needs_a_result_and_an_item_that_allows_it(report):
    with pytest.raises(DomainError) as err:
        report(category="0501", mode=HandlingMode.ON_SPOT)
    assert err.value.field == "result"
    with pytest.raises(DomainError) as err:
        report(category="0401", mode=HandlingMode.ON_SPOT, result="已处理")  # 违法排污: no
    assert err.value.field == "mode"
    assert Case.objects.count() == 0


def test_only_a_patrolling_worker_chooses_the_mode(report):
    with pytest.raises(DomainError):
        report(by="town_office", channel=Channel.PATROL, mode=HandlingMode.ON_SPOT, result="x")
    with pytest.raises(DomainError):
        report(by=None, mode=HandlingMode.APPROVAL)


def test_matter_needing_approval_is_recorded_for_information(report):
    case = report(category="0302", mode=HandlingMode.APPROVAL)
    assert case.state == S.RECORDED
    assert kinds(case) == [EventKind.REPORT, EventKind.RECORD]
    assert not Case.objects.open().filter(pk=case.pk).exists()


def test_emergency_goes_straight_to_the_town(report):
    case = report(mode=HandlingMode.EMERGENCY)
    assert (case.urgency, case.mode, case.level) == (
        "emergency",
        HandlingMode.EMERGENCY,
        PlatformLevel.TOWN,
    )


def test_gcj02_and_bd09_points_are_stored_in_wgs84(town, report):
    lon, lat = INSIDE[UNIT_A2]
    glat, glon = prcoords.wgs_gcj((lat, lon))
    case = report(point=(glon, glat), crs="gcj02")
    assert case.grid == town.a2
    assert abs(case.lon - lon) < 1e-6
    assert abs(case.lat - lat) < 1e-6
    blat, blon = prcoords.wgs_bd((lat, lon))
    case = report(point=(blon, blat), crs="bd09")
    assert case.grid == town.a2
    assert abs(case.lon - lon) < 1e-5
    assert abs(case.lat - lat) < 1e-5


@settings(max_examples=50, deadline=None)
@given(
    lon=st.floats(min_value=73.6, max_value=134.7),
    lat=st.floats(min_value=18.2, max_value=53.5),
)
def test_gcj02_inverse_agrees_with_the_reference_within_a_metre(lon, lat):
    glat, glon = prcoords.wgs_gcj((lat, lon))
    back = to_wgs84(glon, glat, "gcj02")
    assert abs(back[0] - lon) < 1e-5
    assert abs(back[1] - lat) < 1e-5


def test_bad_coordinates_and_crs_are_clear_errors(report):
    with pytest.raises(DomainError) as err:
        report(point=(200.0, 34.8))
    assert err.value.field == "lon"
    with pytest.raises(DomainError) as err:
        report(crs="mercator")
    assert err.value.field == "crs"
    with pytest.raises(DomainError):
        report(point=None, lon=113.3)


def test_point_outside_every_grid_is_taken_in_at_the_top_with_a_flag(town, report):
    case = report(by=None, point=OUTSIDE_POINT)
    assert case.outside_jurisdiction
    assert (case.grid, case.level) == (town.town, PlatformLevel.TOWN)
    assert (case.lon, case.lat) == OUTSIDE_POINT
    assert CaseEvent.objects.get(case=case).extra == {"outside_jurisdiction": True}


def test_address_only_reports(town, report):
    worker_case = report(point=None, address="王村东头石桥边")
    assert (worker_case.grid, worker_case.needs_location) == (town.a1, False)
    resident_case = report(by=None, point=None, address="王村东头石桥边")
    assert (resident_case.grid, resident_case.needs_location) == (town.town, True)
    operator_case = report(by="town_office", channel=Channel.PATROL, point=None, grid_code=UNIT_B1)
    assert operator_case.grid == town.b1
    public_case = report(by=None, point=None, grid_code=UNIT_B1)
    assert (public_case.grid, public_case.level) == (town.b1, PlatformLevel.VILLAGE)
    with pytest.raises(DomainError) as err:
        report(by=None, point=None)
    assert err.value.field == "address"
    with pytest.raises(DomainError) as err:
        report(by="town_office", point=None, grid_code="nope")
    assert err.value.field == "grid"


def test_text_limits_and_html_kept_as_text(report):
    with pytest.raises(DomainError):
        report(description=" ")
    with pytest.raises(DomainError):
        report(description="长" * 4001)
    with pytest.raises(DomainError):
        report(title="题" * 121)
    case = report(description="<img src=x onerror=alert(1)>")
    assert case.description == "<img src=x onerror=alert(1)>"
    assert case.title == "违法排污(废水、废气)"


def test_possible_duplicate_is_flagged_and_merged_by_an_operator(town, report, clock):
    first = report()
    near = report(point=(INSIDE[UNIT_A1][0] + 0.0003, INSIDE[UNIT_A1][1]))  # about 27 m east
    assert near.duplicate_of == first
    far = report(point=(INSIDE[UNIT_A1][0] + 0.003, INSIDE[UNIT_A1][1]))  # about 270 m
    assert far.duplicate_of is None
    other_item = report(category="0501")
    assert other_item.duplicate_of is None
    clock.move_to(dt.datetime(2026, 6, 12, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    later = report()
    assert later.duplicate_of is None  # 0401's window is 72 hours
    services.merge_case(case=near, into=first, by=town.user("village_a"), note="同一排污口")
    assert Case.objects.get(pk=near.pk).state == S.MERGED


@pytest.mark.parametrize("bearing", [0, 45, 90, 135, 180, 270])
@pytest.mark.parametrize(("metres", "duplicate"), [(95, True), (105, False)])
def test_duplicate_radius_is_measured_in_metres_in_every_direction(
    report, bearing, metres, duplicate
):
    """The database pre-selects a box around the point; the radius (0401: 100 m) decides."""
    import math

    lon, lat = INSIDE[UNIT_A1]
    first = report()
    north = metres * math.cos(math.radians(bearing)) / 111_320
    east = metres * math.sin(math.radians(bearing)) / (111_320 * math.cos(math.radians(lat)))
    second = report(point=(lon + east, lat + north))
    assert (second.duplicate_of == first) is duplicate


def test_classifying_later_checks_for_duplicates(town, report):
    first = report()
    unclassified = report(category=None)
    assert unclassified.duplicate_of is None
    unclassified = services.classify_case(
        case=unclassified, item=first.item, by=town.user("village_a")
    )
    assert unclassified.duplicate_of == first


def test_retried_submission_returns_the_first_case(town):
    kwargs = {
        "by": town.user("worker_a1"),
        "channel": Channel.PATROL,
        "description": "路灯不亮",
        "lon": INSIDE[UNIT_A1][0],
        "lat": INSIDE[UNIT_A1][1],
        "idempotency_key": "f3a1c0de-0001",
    }
    first = intake.report_case(**kwargs)
    second = intake.report_case(**kwargs)
    assert (first.created, second.created, first.case.pk) == (True, False, second.case.pk)
    assert CaseEvent.objects.filter(kind=EventKind.REPORT).count() == 1
    with pytest.raises(DomainError):
        intake.report_case(**{**kwargs, "idempotency_key": "k" * 101})


# ---------------------------------------------------------------------------------------------
# Hotline batch transfer


def csv_file(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    lines = [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


HEADER = [
    "工单编号",
    "受理时间",
    "诉求内容",
    "事项编码",
    "紧急程度",
    "地址",
    "经度",
    "纬度",
    "联系人",
    "联系电话",
]


def row(number: str, **overrides: str) -> list[str]:
    lon, lat = INSIDE[UNIT_A1]
    values = {
        "工单编号": number,
        "受理时间": "2026-06-07 10:20",
        "诉求内容": f"来电反映 {number}",
        "事项编码": "0501",
        "紧急程度": "一般",
        "地址": "王村",
        "经度": str(lon),
        "纬度": str(lat),
        "联系人": "王先生",
        "联系电话": "13700000000",
    }
    values.update(overrides)
    return [values[h] for h in HEADER]


def test_hotline_batch_import_creates_cases_and_skips_known_numbers(town):
    data = csv_file([HEADER, row("12345-01"), row("12345-02"), row("12345-03", 经度="", 纬度="")])
    result = intake.import_hotline_cases(
        data=data, filename="热线.csv", by=town.user("town_office")
    )
    assert len(result.created) == 3
    case = Case.objects.get(external_number="12345-01")
    assert (case.channel, case.level, case.contact_phone) == (
        Channel.HOTLINE,
        PlatformLevel.TOWN,
        "+8613700000000",
    )
    # A typed, indexed column that acceptance-time KPIs read, not the event's JSON.
    assert case.received_at.astimezone(SHANGHAI) == dt.datetime(2026, 6, 7, 10, 20, tzinfo=SHANGHAI)
    assert "received_at" not in CaseEvent.objects.get(case=case).extra
    again = intake.import_hotline_cases(data=data, filename="热线.csv", by=town.user("town_office"))
    assert (again.created, again.skipped) == ([], ["12345-01", "12345-02", "12345-03"])


def test_hotline_batch_with_bad_rows_writes_nothing_and_names_each_row(town):
    data = csv_file(
        [
            HEADER,
            row("12345-01"),
            row("12345-02", 事项编码="9999"),
            row("12345-01"),
            row("12345-04", 受理时间="昨天"),
            row("12345-05", 经度="113.3", 纬度=""),
            row("", 诉求内容=""),
        ]
    )
    with pytest.raises(ImportRejectedError) as err:
        intake.import_hotline_cases(data=data, filename="热线.csv", by=town.user("town_office"))
    report = err.value.report()
    for line in ("第3行", "第4行", "第5行", "第6行", "第7行"):
        assert line in report, report
    assert "热线.csv: 第2行" not in report
    assert "9999" in report
    assert "与第2行重复" in report
    assert Case.objects.count() == 0


def test_hotline_batch_reads_excel_and_gb18030_csv(town):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(row("XL-1"))
    buffer = io.BytesIO()
    book.save(buffer)
    result = intake.import_hotline_cases(
        data=buffer.getvalue(), filename="热线.xlsx", by=town.user("town_office")
    )
    assert len(result.created) == 1
    gbk = csv_file([HEADER, row("GB-1", 诉求内容="噪声扰民")], encoding="gb18030")
    result = intake.import_hotline_cases(data=gbk, filename="热线.csv", by=town.user("town_office"))
    assert result.created[0].description == "噪声扰民"


def test_hotline_batch_needs_its_columns_and_a_known_format(town):
    with pytest.raises(ImportRejectedError, match="缺少列"):
        intake.import_hotline_cases(
            data=csv_file([["编号", "内容"]]), filename="a.csv", by=town.user("town_office")
        )
    with pytest.raises(ImportRejectedError, match="CSV 或 Excel"):
        intake.import_hotline_cases(data=b"x", filename="a.pdf", by=town.user("town_office"))
    with pytest.raises(ImportRejectedError, match="无法读取"):
        intake.import_hotline_cases(
            data=b"not a zip", filename="a.xlsx", by=town.user("town_office")
        )


def test_hotline_batch_through_the_api(client_for):
    upload = io.BytesIO(csv_file([HEADER, row("API-1"), row("API-2", 事项编码="bad")]))
    upload.name = "hotline.csv"
    response = client_for("town_office").post("/api/v1/cases/import-hotline", data={"file": upload})
    assert response.status_code == 400
    body = response.json()
    assert body["problems"] == ["hotline.csv: 第3行: 事项编码 bad 不存在或已停用"]
    upload = io.BytesIO(csv_file([HEADER, row("API-1")]))
    upload.name = "hotline.csv"
    response = client_for("town_office").post("/api/v1/cases/import-hotline", data={"file": upload})
    assert response.status_code == 200
    assert len(response.json()["created"]) == 1
    assert (
        client_for("leader").post("/api/v1/cases/import-hotline", data={"file": upload}).status_code
        == 403
    )


def test_a_header_only_hotline_file_is_refused_saying_so(client_for, town):
    upload = io.BytesIO("工单编号,受理时间,诉求内容,地址\n".encode())
    upload.name = "hotline.csv"
    response = client_for("town_office").post("/api/v1/cases/import-hotline", {"file": upload})
    assert response.status_code == 400
    assert "只有表头" in response.json()["detail"]
