"""Hostile text (issue 9, defects 1 and 3): a NUL anywhere in a request is a 400 naming the
field, never a query (PostgreSQL refuses NUL, SQLite would store it); every importer refuses a
file with a NUL naming the row or feature, and a CSV cell over the csv module's limit names its
row; nothing of such a file is written."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.cases.catalogue import export_catalogue_xlsx, import_catalogue
from gridgov.cases.models import Case, MatterItem
from gridgov.cases.services.intake import import_hotline_cases
from gridgov.core.calendar import parse_calendar_csv
from gridgov.core.errors import ImportRejectedError
from gridgov.core.inputguard import MAX_CSV_CELL, nul_field, read_csv_rows
from gridgov.core.testing.town import UNIT_A1
from gridgov.grids.models import Grid, Region
from gridgov.people.models import Post

HOTLINE_HEADER = "工单编号,受理时间,诉求内容,地址\n"


def test_nul_field_names_the_dotted_path():
    assert nul_field({"a": [1, {"b": "x\x00"}]}) == "a.1.b"
    assert nul_field({"k\x00": 1}) == "k\x00"
    assert nul_field("\x00") == ""
    assert nul_field({"a": ["clean", 3.5, None]}) is None


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/cases/track/a%00b", "path"),
        ("/api/v1/grids/locate?lon=113.5&lat=34.8&crs=wgs%0084", "crs"),
        ("/api/v1/boards/a%00b", "path"),
    ],
)
def test_api_nul_in_path_or_query_is_a_400_naming_it(client, db, url, field):
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert "\\x00" in response.json()["detail"]


def test_page_nul_in_path_is_the_400_page(client, db):
    response = client.get("/board/a%00b/")
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
    assert "path" in response.content.decode()


def test_json_body_with_escaped_nul_is_refused_before_any_write(client_for, town):
    post = Post.objects.filter(grid__code=UNIT_A1).first()
    assert post is not None
    before = Post.objects.count()
    response = client_for("admin").post(
        f"/api/v1/people/posts/{post.pk}/move",
        data=json.dumps({"grid_code": "a\u0000b", "on": "2026-01-05"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "grid_code"
    assert Post.objects.count() == before


def test_an_idempotency_key_header_with_nul_is_refused(client_for, town):
    before = Case.objects.count()
    response = client_for("worker_a1").post(
        "/api/v1/cases/",
        {"description": "x", "address": "y"},
        HTTP_IDEMPOTENCY_KEY="k\x00",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"
    assert Case.objects.count() == before


def test_public_report_form_field_with_nul_stores_nothing(client, db):
    before = Case.objects.count()
    response = client.post("/report/", {"description": "路灯\x00坏了", "address": "x"})
    assert response.status_code == 400
    assert Case.objects.count() == before


# --- importers ------------------------------------------------------------------------------


def test_csv_reader_names_the_row_with_a_nul():
    with pytest.raises(ImportRejectedError) as info:
        read_csv_rows("code,name\n1,ok\n2,b\x00ad\n", source="f.csv")
    assert "第 3 行" in info.value.report()
    assert "name" in info.value.report()


def test_import_regions_with_nul_reports_the_row_and_writes_nothing(tmp_path, town):
    path = tmp_path / "regions.csv"
    path.write_text("code,name,parent_code\n410182100299,坏\x00村,410182100000\n")
    before = Region.objects.count()
    with pytest.raises(CommandError):
        call_command("import_regions", str(path), stderr=io.StringIO(), stdout=io.StringIO())
    assert Region.objects.count() == before
    assert not any("\x00" in name for name in Region.objects.values_list("name", flat=True))


def test_import_grids_with_escaped_nul_reports_the_feature_and_writes_nothing(tmp_path, town):
    feature = {
        "type": "Feature",
        "properties": {"code": UNIT_A1, "name": "坏\u0000网格"},
        "geometry": None,
    }
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_grids", str(path), stderr=err, stdout=io.StringIO())
    assert f"#0({UNIT_A1})" in err.getvalue()
    assert not any("\x00" in name for name in Grid.objects.values_list("name", flat=True))


def test_hotline_import_with_nul_reports_the_row(town):
    data = (HOTLINE_HEADER + "H-1,2026-01-05 09:00,路灯坏了,齐东村\nH-2,,坏\x00了,x\n").encode()
    before = Case.objects.count()
    with pytest.raises(ImportRejectedError) as info:
        import_hotline_cases(data=data, filename="h.csv", by=town.user("town_office"))
    assert "第 3 行" in info.value.report()
    assert Case.objects.count() == before


def test_hotline_cell_over_the_csv_limit_names_the_row_and_refuses_the_file(town):
    data = (HOTLINE_HEADER + "H-1,,ok,x\nH-2,," + "长" * (MAX_CSV_CELL + 1) + ",x\n").encode()
    with pytest.raises(ImportRejectedError) as info:
        import_hotline_cases(data=data, filename="h.csv", by=town.user("town_office"))
    assert "第 3 行" in info.value.report()
    assert "131072" in info.value.report()


def test_hotline_import_api_answers_400_for_an_oversized_cell(client_for, town):
    data = (HOTLINE_HEADER + "H-2,," + "x" * (MAX_CSV_CELL + 10) + ",x\n").encode()
    upload = io.BytesIO(data)
    upload.name = "h.csv"
    response = client_for("town_office").post("/api/v1/cases/import-hotline", {"file": upload})
    assert response.status_code == 400
    assert "第 2 行" in " ".join(response.json()["problems"])


def test_calendar_csv_with_nul_reports_the_row():
    with pytest.raises(ImportRejectedError) as info:
        parse_calendar_csv("date,is_workday,name\n2027-01-01,0,元\x00旦\n", year=2027)
    assert "第 2 行" in info.value.report()


def test_catalogue_sheet_with_nul_reports_the_row(town):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(export_catalogue_xlsx()))
    sheet = workbook.active
    # OOXML escapes control characters as _xHHHH_; a reader that honours the escape gets a NUL.
    sheet.cell(row=2, column=4).value = "坏_x0000_名"
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = list(MatterItem.objects.values_list("code", "name"))
    with pytest.raises(ImportRejectedError) as info:
        import_catalogue(data=buffer.getvalue(), filename="c.xlsx", by=town.user("admin"))
    assert "第 2 行" in info.value.report()
    assert list(MatterItem.objects.values_list("code", "name")) == before
