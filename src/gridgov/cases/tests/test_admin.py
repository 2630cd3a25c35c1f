"""Admin pages: the catalogue is edited there (with the Excel ledger), cases are read-only."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.cases.catalogue import HEADERS
from gridgov.cases.models import Case, MatterItem


@pytest.fixture
def admin_client(client_for, settings):
    settings.ROOT_URLCONF = "gridgov.urls"
    return client_for("admin")


def test_catalogue_pages_and_excel_buttons(admin_client):
    for name in ("admin:cases_matterclass_changelist", "admin:cases_matteritem_changelist"):
        assert admin_client.get(reverse(name)).status_code == 200
    item = MatterItem.objects.get(code="0401")
    assert (
        admin_client.get(reverse("admin:cases_matteritem_change", args=[item.pk])).status_code
        == 200
    )
    export = admin_client.get(reverse("admin:cases_matteritem_export"))
    assert export.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(export.content)).active[1]] == HEADERS


def test_admin_import_shows_row_errors_and_writes_nothing(admin_client):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADERS)
    book.active.append(
        ["05", "城市管理", "0501", "暴露垃圾", "", "abc", 4, 2, "是", "", "", "", "", "是"]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "c.xlsx"
    response = admin_client.post(reverse("admin:cases_matteritem_import"), {"file": upload})
    assert response.status_code == 200
    assert "第2行" in response.content.decode()
    assert MatterItem.objects.get(code="0501").limit_days == 1


def test_cases_are_read_only_in_the_admin(admin_client, report):
    case = report()
    assert admin_client.get(reverse("admin:cases_case_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert page.status_code == 200
    assert admin_client.get(reverse("admin:cases_case_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:cases_case_change", args=[case.pk]), {"title": "改"}
    )
    assert Case.objects.get(pk=case.pk).title == case.title
    assert response.status_code == 403


def test_step_limits_are_edited_in_the_admin(admin_client):
    from gridgov.cases.deadlines import step_limits
    from gridgov.cases.models import StepLimit

    assert step_limits()[("dispatch", "ordinary")] == (30, True)

    assert admin_client.get(reverse("admin:cases_steplimit_changelist")).status_code == 200
    row = StepLimit.objects.get(step="dispatch", urgency="ordinary")
    assert (row.minutes, row.working_time) == (30, True)
    response = admin_client.post(
        reverse("admin:cases_steplimit_change", args=[row.pk]),
        {"step": "dispatch", "urgency": "ordinary", "minutes": 45, "working_time": "on"},
    )
    assert response.status_code == 302
    assert StepLimit.objects.get(pk=row.pk).minutes == 45
    assert step_limits()[("dispatch", "ordinary")] == (45, True)  # no stale copy after an edit
