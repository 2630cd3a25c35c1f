"""`gridgov restore` refuses what it must (issue 9): a file whose checksums or schema version do
not match, a database that has tables, media that would be overwritten; nothing is written."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gridgov.core.backup import (
    MANIFEST,
    BackupError,
    backup,
    existing_tables,
    restore,
    schema_digest,
)

# SQLite's backup API waits for the test's open transaction: these tests commit instead.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def archive(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "cases").mkdir(parents=True)
    (tmp_path / "media" / "cases" / "a.jpg").write_bytes(b"\xff\xd8photo")
    path = tmp_path / "backup.tar"
    backup(path)
    return path


@pytest.fixture
def empty_target(tmp_path: Path) -> dict[str, Any]:
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL round trip is in demo/tests/test_backup_restore.py")
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "new.sqlite3")}


def rewrite(path: Path, change: Any) -> None:
    """Copy the archive with `change(name, data, manifest) -> data` applied to its members."""
    with tarfile.open(path) as source:
        members = {m.name: source.extractfile(m).read() for m in source.getmembers()}
    manifest = json.loads(members[MANIFEST])
    for name in list(members):
        if name != MANIFEST:
            members[name] = change(name, members[name], manifest)
    members[MANIFEST] = json.dumps(manifest).encode()
    with tarfile.open(path, "w") as target:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))


def test_manifest_names_version_schema_counts_and_checksums(archive: Path) -> None:
    with tarfile.open(archive) as source:
        manifest = json.loads(source.extractfile(MANIFEST).read())
        names = source.getnames()
    assert manifest["vendor"] == connection.vendor
    assert manifest["schema_version"] == schema_digest(manifest["migrations"])
    assert {"auth_user", "cases_caseevent", "grids_grid"} <= set(manifest["row_counts"])
    assert set(manifest["files"]) == set(names) - {MANIFEST}
    assert "media/cases/a.jpg" in manifest["files"]


def test_restore_refuses_an_altered_member(archive: Path, empty_target, tmp_path) -> None:
    def corrupt(name: str, data: bytes, manifest: dict) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("database") else data

    rewrite(archive, corrupt)
    with pytest.raises(BackupError, match="checksum"):
        restore(archive, database=empty_target, media_root=tmp_path / "m2")
    assert not Path(empty_target["NAME"]).exists()
    assert not (tmp_path / "m2").exists()


def test_restore_refuses_another_schema_version(archive: Path, empty_target, tmp_path) -> None:
    def older(name: str, data: bytes, manifest: dict) -> bytes:
        manifest["migrations"] = manifest["migrations"][:-1]
        manifest["schema_version"] = schema_digest(manifest["migrations"])
        return data

    rewrite(archive, older)
    with pytest.raises(BackupError, match="schema version"):
        restore(archive, database=empty_target, media_root=tmp_path / "m2")
    assert not Path(empty_target["NAME"]).exists()


def test_restore_refuses_a_database_with_tables(archive: Path, tmp_path: Path) -> None:
    """The suite's own database has every table: the command says so and exits 1."""
    assert existing_tables(dict(connection.settings_dict)) or connection.vendor == "sqlite"
    if connection.vendor == "sqlite":
        # The SQLite test database lives in memory: a migrated file plays the non-empty one.
        import sqlite3

        full = tmp_path / "full.sqlite3"
        with sqlite3.connect(full) as conn:
            conn.execute("CREATE TABLE auth_user (id integer)")
        target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(full)}
        with pytest.raises(BackupError, match="not empty"):
            restore(archive, database=target, media_root=tmp_path / "m2")
        return
    with pytest.raises(CommandError, match="not empty") as info:
        call_command("restore", str(archive))
    assert info.value.returncode == 1


def test_restore_refuses_to_overwrite_media(archive: Path, empty_target, tmp_path) -> None:
    taken = tmp_path / "m2" / "cases" / "a.jpg"
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"other")
    with pytest.raises(BackupError, match="media files exist"):
        restore(archive, database=empty_target, media_root=tmp_path / "m2")
    assert taken.read_bytes() == b"other"
    assert not Path(empty_target["NAME"]).exists()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file at all")
    with pytest.raises(CommandError, match="not a readable backup") as info:
        call_command("restore", str(junk))
    assert info.value.returncode == 1


def test_backup_refuses_to_overwrite_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "b.tar"
    existing.write_bytes(b"keep")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(existing))
    assert existing.read_bytes() == b"keep"
