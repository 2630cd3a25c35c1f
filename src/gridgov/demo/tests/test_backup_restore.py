"""`gridgov backup` then `gridgov restore` round-trips the cast the demo is built from (issue 9),
on the database the suite runs on: every table's row count, one case's full timeline and its
photo come back identical in a new, empty database."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from PIL import Image

from gridgov.cases import services
from gridgov.cases.attachments import check_photos
from gridgov.cases.catalogue import ensure_default_catalogue
from gridgov.cases.models import Case, CaseEvent, Channel, MatterItem
from gridgov.cases.services.intake import report_case
from gridgov.core.backup import _count_rows, count_rows, model_tables, restore
from gridgov.core.testing.town import INSIDE, UNIT_A1, Town

pytestmark = pytest.mark.slow


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A second database with no tables, of the suite's vendor."""
    if connection.vendor == "sqlite":
        yield {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "restored.sqlite3")}
        return
    import psycopg

    source = settings.DATABASES["default"]
    name = f"{connection.settings_dict['NAME']}_restore"
    admin = {key.lower(): source[key] for key in ("HOST", "PORT", "USER", "PASSWORD")}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**source, "NAME": name}
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def closed_case_with_photo(town: Town) -> Case:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 200)).save(buffer, format="JPEG")
    lon, lat = INSIDE[UNIT_A1]
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = report_case(
        by=town.user("worker_a1"),
        channel=Channel.PATROL,
        description="河边有暗管排污",
        item=MatterItem.objects.get(code="0401"),
        lon=lon,
        lat=lat,
        photos=check_photos(
            [SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")]
        ),
    ).case
    village, office = town.user("village_a"), town.user("town_office")
    case = services.accept_case(case=case, by=village)
    case = services.escalate_case(case=case, by=village, note="需镇环保所处理")
    case = services.dispatch_case(case=case, by=office, to=town.env)
    handler = town.user("env_handler")
    case = services.handle_case(case=case, by=handler)
    case = services.feedback_case(case=case, by=handler, result="已封堵暗管")
    case = services.verify_case(case=case, by=town.user("worker_a1"), passed=True)
    return services.close_case(case=case, by=office)


TIMELINE = (
    "SELECT kind, from_state, to_state, actor_id, at, note FROM cases_caseevent "
    "WHERE case_id = {} ORDER BY id"
)


def timeline(cursor: Any, case_id: int) -> list[tuple[Any, ...]]:
    cursor.execute(TIMELINE.format(int(case_id)))
    return [tuple(str(value) for value in row) for row in cursor.fetchall()]


def test_backup_and_restore_round_trip(
    town_tx: Town, tmp_path: Path, settings: Any, empty_database: dict[str, Any]
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_default_catalogue()  # an earlier transactional test may have flushed it
    case = closed_case_with_photo(town_tx)
    assert CaseEvent.objects.filter(case=case).count() >= 7
    photo = case.attachments.get()
    archive = tmp_path / "gridgov.backup"

    call_command("backup", str(archive), stdout=io.StringIO())

    with connection.cursor() as cursor:
        before = _count_rows(cursor, model_tables())
        events = timeline(cursor, case.pk)
    report = restore(archive, database=empty_database, media_root=tmp_path / "restored-media")
    after = count_rows(empty_database, model_tables())
    assert after == before
    assert report.rows == sum(before.values())
    assert before["cases_case"] >= 1
    assert before["auth_user"] >= 7
    if connection.vendor == "sqlite":
        import sqlite3

        with sqlite3.connect(empty_database["NAME"]) as restored:
            assert timeline(restored.cursor(), case.pk) == events
    else:
        from gridgov.core.backup import _pg_connect

        with _pg_connect(empty_database) as restored, restored.cursor() as cursor:
            assert timeline(cursor, case.pk) == events
    restored_photo = tmp_path / "restored-media" / photo.file.name
    assert restored_photo.read_bytes() == (tmp_path / "media" / photo.file.name).read_bytes()
    assert report.media_files == 1
