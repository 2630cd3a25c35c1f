"""The hotline pages: import by upload with a mapping saved per source, discovery rates with the
round list and trend data, a round's detail; role checks and form errors instead of 500s."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.core.testing.town import UNIT_A1, UNIT_B1
from gridgov.hotline.models import CrosscheckRound, HotlineRecord, HotlineSource
from gridgov.hotline.services.crosscheck import run_crosscheck
from gridgov.hotline.tests.test_api import make
from gridgov.hotline.tests.test_crosscheck import MONDAY
from gridgov.hotline.tests.test_import import MAPPING, csv_bytes, good_row


def upload(client, *, mapping=MAPPING, rows=None, **extra):
    data = csv_bytes(rows or [good_row("P1")])
    return client.post(
        "/hotline/import/",
        {
            "source": "s12345",
            "file": SimpleUploadedFile("export.csv", data, content_type="text/csv"),
            "mapping": mapping,
            **extra,
        },
    )


def test_office_imports_a_file_and_sees_the_bad_rows(town, client_for):
    bad = good_row("P2")
    bad[1] = "not a date"
    response = upload(client_for("town_office"), rows=[good_row("P1"), bad])
    assert response.status_code == 200
    text = response.content.decode()
    assert "第 3 行" in text
    assert HotlineRecord.objects.filter(external_number="P1").exists()
    assert HotlineSource.objects.get(name="s12345").mapping_text.strip() == MAPPING.strip()
    # The saved mapping is offered for the next import of the same source.
    again = client_for("town_office").get("/hotline/import/?source=s12345")
    assert "placeholder_points" in again.content.decode()


def test_strict_upload_refuses_with_400_and_writes_nothing(town, client_for):
    bad = good_row("P2")
    bad[1] = "not a date"
    response = upload(client_for("town_office"), rows=[good_row("P1"), bad], strict="on")
    assert response.status_code == 400
    assert not HotlineRecord.objects.exists()


def test_a_bad_mapping_is_a_form_error(town, client_for):
    response = upload(client_for("town_office"), mapping="[columns\n")
    assert response.status_code == 400
    assert "TOML" in response.content.decode()


def test_worker_and_leader_may_not_import(town, client_for):
    assert client_for("worker_a1").get("/hotline/import/").status_code == 403
    assert client_for("leader").get("/hotline/import/").status_code == 403
    assert client_for("").get("/hotline/import/").status_code == 302


def test_discovery_page_shows_rates_rounds_and_trend(town, client_for):
    make("A", UNIT_A1)
    make("B", UNIT_B1)
    run_crosscheck(start=MONDAY, end=MONDAY + dt.timedelta(days=6), by=None)
    response = client_for("village_a").get("/hotline/discovery/?start=2026-03-01&end=2026-03-31")
    assert response.status_code == 200
    text = response.content.decode()
    assert f'data-code="{UNIT_A1}"' in text
    assert f'data-code="{UNIT_B1}"' not in text  # outside village A
    assert 'id="trend-data"' in text
    assert "第 1 期" in text
    assert client_for("worker_a1").get("/hotline/discovery/").status_code == 403


def test_office_runs_a_round_from_the_page_and_reads_its_detail(town, client_for):
    make("A", UNIT_A1)
    client = client_for("town_office")
    response = client.post("/hotline/discovery/", {"start": "2026-03-02", "end": "2026-03-08"})
    made = CrosscheckRound.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/hotline/rounds/{made.number}/"
    detail = client.get(response["Location"]).content.decode()
    assert "未主动发现" in detail
    assert "A" in detail
    bad = client.post("/hotline/discovery/", {"start": "2026-03-08", "end": "2026-03-02"})
    assert bad.status_code == 400
    assert client.get("/hotline/rounds/999/").status_code == 404


def test_kpis_page_shows_the_months_of_a_source(town, client_for):
    make("A", UNIT_A1)
    make("B", UNIT_B1, satisfaction=3)
    response = client_for("village_a").get("/hotline/kpis/?source=s12345&year=2026")
    assert response.status_code == 200
    text = response.content.decode()
    row = text[text.index('data-month="2026-03"') :].split("</tr>")[0]
    assert '<td data-label="受理">1</td>' in row  # only village A's record
    assert client_for("town_office").get("/hotline/kpis/?source=nope").status_code == 404
    assert client_for("town_office").get("/hotline/kpis/?year=abc").status_code == 404
    assert client_for("worker_a1").get("/hotline/kpis/").status_code == 403
