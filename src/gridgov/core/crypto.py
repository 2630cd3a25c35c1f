"""Encryption at rest for residents' and staff's personal data (PIPL; seed 003 "严格保守服务管理
对象的个人隐私").

- `EncryptedTextField` stores a Fernet token (AES-128-CBC + HMAC-SHA256, authenticated): a token
  altered in the database fails loudly instead of decrypting to garbage.
- Keys come from `GRIDGOV_FIELD_KEYS` (comma-separated Fernet keys, the newest first; all of
  them decrypt, the first one encrypts), never from SECRET_KEY, so leaking the Django secret does
  not open the data and the data keys can rotate on their own (`gridgov rotate-keys`).
- `BlindIndexField` stores HMAC-SHA256(index key, normalised value): equality look-up by an exact
  ID number or phone without decrypting every row. The index key (`GRIDGOV_BLIND_INDEX_KEY`) is
  separate from the encryption keys and does not rotate with them.
- Without the environment variables (development, demo, tests) both keys are generated once into
  var/ beside the Django secret, so the README's two commands need no extra step.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

FIELD_KEYS_ENV = "GRIDGOV_FIELD_KEYS"
INDEX_KEY_ENV = "GRIDGOV_BLIND_INDEX_KEY"
FIELD_KEYS_FILE = "field_keys"
INDEX_KEY_FILE = "blind_index_key"


class DecryptionError(Exception):
    """A stored token that none of the configured keys opens (tampered, or a key is missing)."""


def _read_or_create(file_name: str, make: Callable[[], str]) -> str:
    # Read once per process: every encryption, decryption and index asks for the keys.
    path_name = f"{getattr(settings, 'VAR_DIR', 'var')}/{file_name}"
    if path_name not in _FILE_VALUES:
        _FILE_VALUES[path_name] = _read_or_create_at(Path(path_name), make)
    return _FILE_VALUES[path_name]


_FILE_VALUES: dict[str, str] = {}


def _read_or_create_at(path: Path, make: Callable[[], str]) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def configured_field_keys() -> list[str]:
    """The Fernet keys, newest first, from the environment or the local key file."""
    raw = os.environ.get(FIELD_KEYS_ENV, "").strip()
    if not raw:
        raw = _read_or_create(FIELD_KEYS_FILE, lambda: Fernet.generate_key().decode())
    keys = [k.strip() for k in raw.replace("\n", ",").split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured(f"{FIELD_KEYS_ENV} holds no key")
    return keys


def configured_index_key() -> bytes:
    raw = os.environ.get(INDEX_KEY_ENV, "").strip()
    if not raw:
        raw = _read_or_create(INDEX_KEY_FILE, lambda: secrets.token_urlsafe(48))
    if len(raw) < 32:
        raise ImproperlyConfigured(f"{INDEX_KEY_ENV} must be at least 32 characters")
    return raw.encode()


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{FIELD_KEYS_ENV}: each key must be 32 url-safe base64-encoded bytes ({exc})"
        ) from None


def fernet() -> MultiFernet:
    """Read per call (cached per key set) so that tests and rotation can change the keys."""
    return _fernet_for(tuple(configured_field_keys()))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "a stored value does not decrypt with any configured key "
            f"({FIELD_KEYS_ENV}: add the old key back, newest first)"
        ) from None


def is_under_newest_key(token: str) -> bool:
    """True when the first (newest) key opens the token: rotation skips such rows."""
    newest = Fernet(configured_field_keys()[0].encode())
    try:
        newest.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def blind_index(value: str) -> str:
    """HMAC-SHA256 of an already normalised value, hex (64 characters)."""
    return hmac.new(configured_index_key(), value.encode(), hashlib.sha256).hexdigest()


def encryptor() -> Callable[[str], str]:
    """`encrypt` with the keys read once, for bulk loaders (a ledger of 100,000 rows)."""
    newest = fernet()
    return lambda value: newest.encrypt(value.encode()).decode()


def blind_indexer() -> Callable[[str], str]:
    """`blind_index` with the key read and the HMAC's key schedule done once, for bulk loaders."""
    base = hmac.new(configured_index_key(), digestmod=hashlib.sha256)

    def index(value: str) -> str:
        mac = base.copy()
        mac.update(value.encode())
        return mac.hexdigest()

    return index


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python sees the clear text, the database never.

    Empty strings are stored as empty (an absent phone is not a secret). Only `isnull`/exact-empty
    look-ups make sense: query the blind index for equality."""

    description = "Encrypted text (Fernet token)"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        return self.get_prep_value(value)


class BlindIndexField(models.CharField):
    """HMAC of another field's normalised clear value, kept in step on every save and bulk create.

    `source` names the clear (encrypted) attribute; `normalise` turns user input into the stored
    form (E.164 for phones, upper case for ID numbers) and is the same function look-ups use.
    `queryset.update()` and `bulk_update()` bypass it: services that use them set it themselves.
    """

    def __init__(
        self,
        *args: Any,
        source: str = "",
        normalise: Callable[[str], str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.source = source
        self.normalise = normalise
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, default in (("max_length", 64), ("editable", False)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        kwargs["null"] = self.null
        kwargs["blank"] = self.blank
        return name, path, args, kwargs

    def index_for(self, clear: str | None) -> str | None:
        if not clear:
            return None
        return blind_index(self.normalise(clear) if self.normalise else clear)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = self.index_for(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]


def models_with_encrypted_fields() -> Iterator[tuple[type[models.Model], list[str]]]:
    from django.apps import apps

    for model in apps.get_models():
        names = encrypted_fields(model)
        if names and not model._meta.proxy:
            yield model, names


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise TypeError(f"{model._meta.label}.{name} has no column")
    return column


def raw_tokens(model: type[models.Model], names: list[str]) -> Iterator[tuple[Any, list[Any]]]:
    """(pk, [stored token, …]) straight from the table, bypassing decryption."""
    from django.db import connections, router

    db = router.db_for_read(model)
    connection = connections[db]
    qn = connection.ops.quote_name
    columns = [_column(model, n) for n in names]
    sql = "SELECT {pk}, {cols} FROM {table} ORDER BY {pk}".format(  # noqa: S608 - quoted names
        pk=qn(_column(model, model._meta.pk.name)),  # type: ignore[union-attr]
        cols=", ".join(qn(c) for c in columns),
        table=qn(model._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for row in cursor.fetchall():
            yield row[0], list(row[1:])


def rotate_keys(*, batch_size: int = 1000) -> dict[str, int]:
    """Re-encrypt every encrypted column under the newest key (MultiFernet.rotate keeps the
    original timestamp). Rows already under the newest key are left alone, so an interrupted run
    can be started again. Returns rows rewritten per model label."""
    from django.db import connections, router, transaction

    counts: dict[str, int] = {}
    multi = fernet()
    for model, names in models_with_encrypted_fields():
        db = router.db_for_write(model)
        connection = connections[db]
        qn = connection.ops.quote_name
        columns = [_column(model, n) for n in names]
        pk_column = _column(model, model._meta.pk.name)  # type: ignore[union-attr]
        sql = "UPDATE {table} SET {sets} WHERE {pk} = %s".format(  # noqa: S608 - quoted names
            table=qn(model._meta.db_table),
            sets=", ".join(f"{qn(c)} = %s" for c in columns),
            pk=qn(pk_column),
        )
        done = 0
        pending: list[list[Any]] = []
        for pk, tokens in raw_tokens(model, names):
            if all(not t or is_under_newest_key(t) for t in tokens):
                continue
            try:
                new = [multi.rotate(t.encode()).decode() if t else t for t in tokens]
            except InvalidToken:
                raise DecryptionError(
                    f"{model._meta.label} #{pk}: a value does not decrypt with any configured key"
                ) from None
            pending.append([*new, pk])
            if len(pending) >= batch_size:
                with transaction.atomic(using=db), connection.cursor() as cursor:
                    cursor.executemany(sql, pending)
                done += len(pending)
                pending = []
        if pending:
            with transaction.atomic(using=db), connection.cursor() as cursor:
                cursor.executemany(sql, pending)
            done += len(pending)
        counts[model._meta.label] = done
    return counts


def _looks_encrypted(value: str) -> bool:
    # A Fernet token is url-safe base64 of version byte 0x80: it always starts with "gAAAAA".
    return value.startswith("gAAAAA") and len(value) >= 100


def encrypt_column_in_place(
    schema_editor: Any,
    model: type[models.Model],
    field: str,
    index_field: str | None = None,
    normalise: Callable[[str], str] | None = None,
) -> int:
    """Data-migration helper: encrypt clear values stored before the column became an
    EncryptedTextField, and fill its blind index. Raw, portable SQL (the historical model would
    try to decrypt the clear values). Values already encrypted are left alone; returns rows
    changed."""
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    pk = qn(_column(model, model._meta.pk.name))  # type: ignore[union-attr]
    column = qn(_column(model, field))
    sets = f"{column} = %s"
    if index_field:
        sets += f", {qn(_column(model, index_field))} = %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {column} FROM {table}")  # noqa: S608 - quoted names
        rows = [(p, v) for p, v in cursor.fetchall() if v and not _looks_encrypted(v)]
        params = []
        for row_pk, clear in rows:
            values: list[Any] = [encrypt(clear)]
            if index_field:
                values.append(blind_index(normalise(clear) if normalise else clear))
            params.append([*values, row_pk])
        if params:
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {pk} = %s",  # noqa: S608 - quoted names
                params,
            )
    return len(rows)


def decrypt_column_in_place(schema_editor: Any, model: type[models.Model], field: str) -> int:
    """The reverse of `encrypt_column_in_place`, for migrating back to a clear column."""
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    pk = qn(_column(model, model._meta.pk.name))  # type: ignore[union-attr]
    column = qn(_column(model, field))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {column} FROM {table}")  # noqa: S608 - quoted names
        params = [[decrypt(v), p] for p, v in cursor.fetchall() if v and _looks_encrypted(v)]
        if params:
            cursor.executemany(
                f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608 - quoted names
                params,
            )
    return len(params)
