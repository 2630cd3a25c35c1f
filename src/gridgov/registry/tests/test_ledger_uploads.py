"""Ledger uploads on the web: the file is queued (encrypted), the task queue imports it while
the page polls its progress, the report names rows and columns, one import runs at a time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gridgov.core.testing.town import UNIT_A1, UNIT_B1, VILLAGE_A
from gridgov.registry.ledgers import COLUMNS
from gridgov.registry.ledgers.uploads import run_upload
from gridgov.registry.models import Building, LedgerUpload, Person, UploadState
from gridgov.registry.tests.conftest import make_id

NUMBER = make_id(7, dt.date(1980, 1, 8))


def csv_file(kind: str, rows: list[dict], name: str = "ledger.csv") -> SimpleUploadedFile:
    lines = [",".join(COLUMNS[kind])]
    lines += [",".join(str(row.get(c, "")) for c in COLUMNS[kind]) for row in rows]
    return SimpleUploadedFile(name, "\n".join(lines).encode("utf-8-sig"))


def persons(grid: str = UNIT_A1) -> SimpleUploadedFile:
    return csv_file("persons", [{"姓名": "张三", "公民身份号码": NUMBER, "所属网格": grid}])


def upload(client, file, kind: str = "persons", **extra):
    return client.post("/registry/ledgers/", {"kind": kind, "file": file, **extra})


def test_upload_is_queued_encrypted_then_imported_by_the_task_queue(
    client_for, town, run_task_queue, django_capture_on_commit_callbacks
) -> None:
    office = client_for("town_office")
    assert office.get("/registry/ledgers/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office, persons())
    assert response.status_code == 302
    pending = LedgerUpload.objects.get()
    assert response["Location"] == f"/registry/ledgers/upload/{pending.pk}/"
    assert NUMBER.encode() not in bytes(pending.content)  # kept encrypted until imported
    page = office.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page  # the page polls while queued
    assert not Person.objects.exists()
    assert run_task_queue() == 1
    done = LedgerUpload.objects.get()
    assert (done.state, done.rows, done.created, bytes(done.content)) == ("done", 1, 1, b"")
    assert Person.objects.by_id_number(NUMBER).get().name == "张三"
    partial = office.get(f"/registry/ledgers/upload/{done.pk}/progress/").content.decode()
    assert "hx-trigger" not in partial  # finished: polling stops
    assert "新建 1" in partial


def test_a_rejected_upload_reports_rows_and_columns(client_for, town, immediate_tasks,
                                                     django_capture_on_commit_callbacks) -> None:  # fmt: skip
    office = client_for("village_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office, persons(grid=UNIT_B1))  # outside village A
    done = LedgerUpload.objects.get()
    assert done.state == UploadState.REJECTED
    assert done.errors == [[2, "所属网格", f"网格 {UNIT_B1} 不存在或不在您的辖区"]]
    page = office.get(response["Location"]).content.decode()
    assert "第 2 行" in page
    assert "所属网格" in page
    assert not Person.objects.exists()


def test_dry_run_writes_nothing(client_for, town, immediate_tasks,
                                django_capture_on_commit_callbacks) -> None:  # fmt: skip
    office = client_for("town_office")
    rows = [{"地址": "王村1号", "所属网格": UNIT_A1}]
    with django_capture_on_commit_callbacks(execute=True):
        upload(office, csv_file("buildings", rows), kind="buildings", dry_run="on")
    done = LedgerUpload.objects.get()
    assert (done.state, done.created) == ("done", 1)
    assert not Building.objects.exists()


@pytest.mark.parametrize(
    ("user", "status"), [("worker_a1", 404), ("leader", 404), ("village_a", 404)]
)
def test_uploads_are_the_uploaders_own(client_for, town, user, status) -> None:
    first = LedgerUpload.objects.create(
        kind="persons", file_name="a.csv", content=b"", uploaded_by=town.user("town_office")
    )
    client = client_for(user)
    assert client.get(f"/registry/ledgers/upload/{first.pk}/").status_code == status
    assert client.get(f"/registry/ledgers/upload/{first.pk}/progress/").status_code == status
    assert client_for("town_office").get(f"/registry/ledgers/upload/{first.pk}/").status_code == 200


def test_bad_uploads_are_form_errors(client_for, town) -> None:
    office = client_for("town_office")
    response = upload(office, SimpleUploadedFile("a.pdf", b"%PDF"), kind="persons")
    assert response.status_code == 400
    assert "只支持" in response.content.decode()
    assert upload(office, persons(), kind="cars").status_code == 400
    assert not LedgerUpload.objects.exists()


def test_one_import_at_a_time(client_for, town, run_task_queue,
                              django_capture_on_commit_callbacks) -> None:  # fmt: skip
    office = client_for("town_office")
    with django_capture_on_commit_callbacks(execute=True):
        upload(office, persons())
    queued = LedgerUpload.objects.get()
    busy = LedgerUpload.objects.create(
        kind="persons",
        file_name="earlier.csv",
        content=b"",
        uploaded_by=town.user("town_office"),
        state=UploadState.RUNNING,
        started_at=timezone.now(),
    )
    # While the earlier import runs, this one waits (re-queued for later), untouched.
    assert run_upload(queued.pk) == "waiting"
    queued.refresh_from_db()
    assert queued.state == UploadState.QUEUED
    assert not Person.objects.exists()
    # A run that lost its worker an hour ago is failed, and the queue moves on.
    LedgerUpload.objects.filter(pk=busy.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=2)
    )
    assert run_upload(queued.pk) == "waiting"
    assert LedgerUpload.objects.get(pk=busy.pk).state == UploadState.FAILED
    assert run_upload(queued.pk) == "done"
    assert run_upload(queued.pk) == "not queued"  # idempotent
    assert Person.objects.count() == 1


def test_export_page_masks_unless_a_reason_is_given(client_for, town) -> None:
    import io

    from openpyxl import load_workbook

    from gridgov.registry.models import AccessLog
    from gridgov.registry.services import create_person

    create_person(by=town.user("town_office"), grid=town.a1, name="张三", id_number=NUMBER)
    office = client_for("village_a")

    def cells(response) -> list:
        assert response.status_code == 200
        return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))[
            1
        ]

    masked = cells(office.post("/registry/ledgers/export/", {"kind": "persons", "grid": UNIT_A1}))
    assert NUMBER not in masked
    assert not AccessLog.objects.exists()
    clear = cells(
        office.post("/registry/ledgers/export/", {"kind": "persons", "reason": "核对户籍"})
    )
    assert NUMBER in clear
    log = AccessLog.objects.get()
    assert (log.reason, log.grid.code) == ("核对户籍", VILLAGE_A)
    outside = office.post("/registry/ledgers/export/", {"kind": "persons", "grid": UNIT_B1})
    assert outside.status_code == 400
    assert (
        client_for("worker_a1").post("/registry/ledgers/export/", {"kind": "persons"}).status_code
        == 404
    )
