"""Backup and restore of a whole deployment: `gridgov backup FILE`, `gridgov restore FILE`.

A backup is a tar archive of
  manifest.json      format, gridgov version, database vendor, the applied migrations and their
                     digest (the schema version), row counts per table, sha256 of every member
  database.sqlite3   SQLite: a copy made with SQLite's online backup API (consistent while
                     the platform keeps writing), or
  database.pgdump    PostgreSQL: `pg_dump --format=custom`, taken in the same exported snapshot
                     as the row counts, so counts and dump agree
  media/...          the uploaded files (photos), copied after the database snapshot: a file
                     uploaded meanwhile is extra, never missing

A restore checks every member's checksum and the schema version against this installation's
migrations before it writes anything, restores only into a database without tables (a new
SQLite file, a freshly created PostgreSQL database) and a media folder without the files, then
counts the rows again and compares them with the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

FORMAT = "gridgov-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
MEDIA_PREFIX = "media/"


class BackupError(Exception):
    """A backup or restore that was refused; nothing was written (README exit status 1)."""


@dataclass(frozen=True)
class RestoreReport:
    vendor: str
    tables: int
    rows: int
    media_files: int


def gridgov_version() -> str:
    try:
        return version("gridgov")
    except PackageNotFoundError:  # pragma: no cover - always installed by run.sh
        return "unknown"


def code_migrations() -> list[str]:
    """Every migration this installation's code has, as sorted `app.name`."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.graph.nodes)


def schema_digest(migrations: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(migrations)).encode()).hexdigest()


def model_tables() -> list[str]:
    """The tables of every installed model (many-to-many tables included), sorted."""
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quote(table: str) -> str:
    return '"' + table.replace('"', '""') + '"'


# --- database access outside Django's connection (the target of a restore has no tables) ---


def _pg_env(database: dict[str, Any]) -> dict[str, str]:
    env = {**os.environ, "PGPASSWORD": str(database.get("PASSWORD") or "")}
    sslmode = (database.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _pg_args(database: dict[str, Any]) -> list[str]:
    return [
        "--host",
        str(database.get("HOST") or "127.0.0.1"),
        "--port",
        str(database.get("PORT") or 5432),
        "--username",
        str(database.get("USER") or "postgres"),
        "--dbname",
        str(database["NAME"]),
    ]


@contextmanager
def _pg_connect(database: dict[str, Any]) -> Iterator[Any]:
    import psycopg

    conn = psycopg.connect(
        host=str(database.get("HOST") or "127.0.0.1"),
        port=int(database.get("PORT") or 5432),
        user=str(database.get("USER") or "postgres"),
        password=str(database.get("PASSWORD") or ""),
        dbname=str(database["NAME"]),
        **{k: v for k, v in (database.get("OPTIONS") or {}).items() if k == "sslmode"},
    )
    try:
        yield conn
    finally:
        conn.close()


def _count_rows(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - our own table names
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _applied(cursor: Any) -> list[str]:
    cursor.execute("SELECT app, name FROM django_migrations")
    return sorted(f"{app}.{name}" for app, name in cursor.fetchall())


def existing_tables(database: dict[str, Any]) -> list[str]:
    """Tables in the target database (a restore needs none)."""
    if database["ENGINE"].endswith("sqlite3"):
        name = str(database["NAME"])
        if name == ":memory:" or not Path(name).exists():
            return []
        with sqlite3.connect(name) as conn:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        return sorted(row[0] for row in rows)
    with _pg_connect(database) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
    return sorted(row[0] for row in rows)


def count_rows(database: dict[str, Any], tables: list[str]) -> dict[str, int]:
    if database["ENGINE"].endswith("sqlite3"):
        conn = sqlite3.connect(str(database["NAME"]))
        try:
            return _count_rows(conn.cursor(), tables)
        finally:
            conn.close()
    with _pg_connect(database) as conn, conn.cursor() as cursor:
        return _count_rows(cursor, tables)


# --- backup ---


def _snapshot_sqlite(alias: str, target: Path) -> tuple[list[str], dict[str, int]]:
    """SQLite's online backup API from Django's own connection (a file or, in tests, memory)."""
    connection = connections[alias]
    connection.ensure_connection()
    destination = sqlite3.connect(str(target))
    try:
        connection.connection.backup(destination)
        cursor = destination.cursor()
        return _applied(cursor), _count_rows(cursor, model_tables())
    finally:
        destination.close()


def _snapshot_postgresql(
    database: dict[str, Any], target: Path
) -> tuple[list[str], dict[str, int]]:
    """Counts and dump from one exported snapshot (REPEATABLE READ): they describe one moment."""
    import psycopg

    with _pg_connect(database) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction(), conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            applied = _applied(cursor)
            counts = _count_rows(cursor, model_tables())
            result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
                [
                    shutil.which("pg_dump") or "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    *_pg_args(database),
                ],
                env=_pg_env(database),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return applied, counts


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def backup(path: Path, *, alias: str = "default") -> dict[str, Any]:
    """Write the backup archive to `path` (written beside it, then renamed: never half a file).
    Returns the manifest."""
    database = settings.DATABASES[alias]
    vendor = connections[alias].vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"backups of a {vendor} database are not supported")
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="gridgov-backup-") as scratch:
        member = SQLITE_MEMBER if vendor == "sqlite" else PG_MEMBER
        dump = Path(scratch) / member
        if vendor == "sqlite":
            applied, counts = _snapshot_sqlite(alias, dump)
        else:
            applied, counts = _snapshot_postgresql(database, dump)
        files = {member: _sha256(dump)}
        media = _media_files(media_root)
        for file in media:
            files[MEDIA_PREFIX + file.relative_to(media_root).as_posix()] = _sha256(file)
        manifest = {
            "format": FORMAT,
            "gridgov_version": gridgov_version(),
            "created_at": timezone.now().isoformat(),
            "vendor": vendor,
            "migrations": applied,
            "schema_version": schema_digest(applied),
            "row_counts": counts,
            "files": files,
        }
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=member, recursive=False)
            for file in media:
                archive.add(
                    file,
                    arcname=MEDIA_PREFIX + file.relative_to(media_root).as_posix(),
                    recursive=False,
                )
        partial.replace(path)
    return manifest


# --- restore ---


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.getmember(MANIFEST)
        handle = archive.extractfile(member)
        manifest = json.loads(handle.read()) if handle is not None else None
    except (KeyError, ValueError) as exc:
        raise BackupError("not a gridgov backup: manifest.json is missing or unreadable") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"not a gridgov backup of format {FORMAT}")
    return manifest


def _safe_member_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return not pure.is_absolute() and ".." not in pure.parts and name == pure.as_posix()


def verify(archive: tarfile.TarFile, manifest: dict[str, Any], scratch: Path) -> dict[str, Path]:
    """Extract every member into `scratch` and check it against the manifest's checksums: a
    member missing, added, altered or with an unsafe name refuses the whole file."""
    listed: dict[str, str] = manifest.get("files") or {}
    found: dict[str, Path] = {}
    for member in archive.getmembers():
        if member.name == MANIFEST:
            continue
        if not member.isfile() or not _safe_member_name(member.name):
            raise BackupError(f"refused: unexpected member {member.name!r} in the backup")
        if member.name not in listed:
            raise BackupError(f"refused: {member.name!r} is not listed in the manifest")
        target = scratch / "members" / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        source = archive.extractfile(member)
        if source is None:
            raise BackupError(f"refused: {member.name!r} cannot be read")
        with target.open("wb") as out:
            shutil.copyfileobj(source, out)
        if _sha256(target) != listed[member.name]:
            raise BackupError(f"refused: checksum of {member.name!r} does not match the manifest")
        found[member.name] = target
    missing = sorted(set(listed) - set(found))
    if missing:
        raise BackupError(f"refused: the backup lacks {', '.join(missing[:5])}")
    return found


def restore(
    path: Path,
    *,
    database: dict[str, Any] | None = None,
    media_root: Path | None = None,
) -> RestoreReport:
    """Restore the archive at `path` into `database` (a DATABASES entry; the default one unless
    given) and `media_root`, which must be empty of tables and of the backup's files."""
    database = dict(database if database is not None else settings.DATABASES["default"])
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    vendor = "sqlite" if str(database["ENGINE"]).endswith("sqlite3") else "postgresql"
    try:
        archive = tarfile.open(path, "r")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"not a readable backup archive: {exc}") from exc
    with archive, tempfile.TemporaryDirectory(prefix="gridgov-restore-") as scratch_dir:
        manifest = read_manifest(archive)
        if manifest.get("schema_version") != schema_digest(manifest.get("migrations") or []):
            raise BackupError(
                "refused: the manifest's schema version does not match its migrations"
            )
        ours = code_migrations()
        if manifest["schema_version"] != schema_digest(ours):
            theirs = set(manifest["migrations"])
            differ = sorted(theirs.symmetric_difference(ours))
            raise BackupError(
                "refused: the backup's schema version does not match this installation "
                f"(gridgov {manifest.get('gridgov_version')} there, {gridgov_version()} here; "
                f"migrations that differ: {', '.join(differ[:5])})"
            )
        if manifest.get("vendor") != vendor:
            raise BackupError(
                f"refused: this is a {manifest.get('vendor')} backup and the target database is "
                f"{vendor}"
            )
        members = verify(archive, manifest, Path(scratch_dir))
        tables = existing_tables(database)
        if tables:
            raise BackupError(
                f"refused: the target database {database['NAME']} is not empty ({len(tables)} "
                "tables, e.g. "
                f"{', '.join(tables[:3])}); restore into a new database (a new SQLite file, or "
                "`createdb`) and point DATABASE_URL at it"
            )
        media = {name: p for name, p in members.items() if name.startswith(MEDIA_PREFIX)}
        clashes = [name for name in media if (media_root / name[len(MEDIA_PREFIX) :]).exists()]
        if clashes:
            raise BackupError(
                f"refused: {len(clashes)} media files exist already in {media_root} "
                f"(e.g. {clashes[0][len(MEDIA_PREFIX) :]}); restore into an empty media folder"
            )
        if vendor == "sqlite":
            _restore_sqlite(members[SQLITE_MEMBER], database)
        else:
            _restore_postgresql(members[PG_MEMBER], database)
        counts = count_rows(database, sorted(manifest["row_counts"]))
        if counts != manifest["row_counts"]:
            wrong = [t for t in counts if counts[t] != manifest["row_counts"][t]]
            raise BackupError(f"restored row counts differ from the manifest: {', '.join(wrong)}")
        for name, extracted in media.items():
            destination = media_root / name[len(MEDIA_PREFIX) :]
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(extracted, destination)
    return RestoreReport(
        vendor=vendor, tables=len(counts), rows=sum(counts.values()), media_files=len(media)
    )


def _restore_sqlite(dump: Path, database: dict[str, Any]) -> None:
    name = str(database["NAME"])
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(str(dump))
    target = sqlite3.connect(name)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _restore_postgresql(dump: Path, database: dict[str, Any]) -> None:
    result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
        [
            shutil.which("pg_restore") or "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *_pg_args(database),
            str(dump),
        ],
        env=_pg_env(database),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing was restored: {result.stderr.strip()}")
