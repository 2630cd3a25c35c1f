"""Personal data is encrypted at rest, masked by default, revealed only with a logged reason."""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from cryptography.fernet import Fernet
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection

from gridgov.core import crypto
from gridgov.core.errors import DomainError
from gridgov.registry.models import AccessAction, AccessLog, Person
from gridgov.registry.services import close_person, create_person, reveal_value, update_person
from gridgov.registry.tests.conftest import make_id

ID = make_id(7, dt.date(1975, 6, 15))
PHONE = "13912345678"


@pytest.fixture
def resident(town):
    return create_person(
        by=town.user("worker_a1"), grid=town.a1, name="张三", id_number=ID, phone=PHONE
    )


def raw_database_bytes() -> bytes:
    """The whole database as stored: the SQLite file's pages, or PostgreSQL's columns as text."""
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "copy.sqlite3"
            dest = sqlite3.connect(target)
            connection.connection.backup(dest)
            dest.close()
            return target.read_bytes()
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the catalogue
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks).encode()


@pytest.mark.django_db(transaction=True)
def test_no_id_number_or_phone_in_clear_anywhere_in_the_database(town_tx) -> None:
    """Committed data, so the SQLite pages can be copied and read as bytes."""
    town = town_tx
    resident = create_person(
        by=town.user("worker_a1"), grid=town.a1, name="张三", id_number=ID, phone=PHONE
    )
    update_person(resident, by=town.user("town_office"), phone="13987654321")
    from gridgov.cases.models import Case, Channel
    from gridgov.cases.services.intake import report_case
    from gridgov.core.testing.town import INSIDE, UNIT_A1

    lon, lat = INSIDE[UNIT_A1]
    intake = report_case(
        by=None,
        channel=Channel.RESIDENT,
        description="路灯不亮",
        lon=lon,
        lat=lat,
        contact_phone="13700001234",
    )
    assert Case.objects.get(pk=intake.case.pk).contact_phone == "+8613700001234"
    # The ledgers write in bulk past the ORM's fields (ledgers.base.fast_insert), and a web
    # upload keeps its file until imported: neither may leave a clear value.
    from gridgov.registry.ledgers import COLUMNS, import_ledger
    from gridgov.registry.ledgers.uploads import queue_upload

    ledger_id = make_id(77, dt.date(1966, 6, 6))
    header = ",".join(COLUMNS["persons"])
    row = {
        "姓名": "李四",
        "公民身份号码": ledger_id,
        "联系电话": "13655556666",
        "所属网格": UNIT_A1,
    }
    body = ",".join(row.get(c, "") for c in COLUMNS["persons"])
    content = f"{header}\n{body}".encode()
    import_ledger("persons", Path("p.csv"), by=None, content=content)
    queue_upload(
        kind="persons", file_name="p.csv", content=content, dry_run=True, by=town.user("admin")
    )
    roster = ",".join(COLUMNS["staff"]) + "\n" + "王五,,13644443333,,,,志愿者,," + UNIT_A1 + ",,"
    import_ledger("staff", Path("s.csv"), by=None, content=roster.encode())
    raw = raw_database_bytes()
    staff_phones = [f"1380000000{i}" for i in range(1, 7)]  # the cast's staff (people.Staff)
    ledger_values = (ledger_id, "13655556666", "13644443333")
    for secret in (ID, PHONE, "13987654321", "13700001234", *staff_phones, *ledger_values):
        assert secret.encode() not in raw
        assert secret.encode("utf-16-le") not in raw
    assert Person.objects.get(pk=resident.pk).phone == "+8613987654321"


def test_audit_diffs_are_masked(town, resident) -> None:
    update_person(resident, by=town.user("town_office"), phone="13987654321")
    text = " ".join(str(e.changes) for e in LogEntry.objects.get_for_object(resident))
    assert "13987654321" not in text
    assert ID not in text
    assert "id_number_index" not in text


def test_exact_lookup_through_the_blind_index(town, resident) -> None:
    assert list(Person.objects.by_id_number(ID.lower())) == [resident]
    assert list(Person.objects.by_phone("139-1234-5678")) == [resident]
    assert not Person.objects.by_phone("13912345679").exists()


def test_a_person_is_unique_by_id_number_across_grids(town, resident) -> None:
    with pytest.raises(DomainError) as err:
        create_person(by=town.user("town_office"), grid=town.b1, name="张三", id_number=ID)
    assert town.a1.code in err.value.message
    assert err.value.field == "id_number"


def test_bad_id_numbers_are_refused_with_the_field(town) -> None:
    with pytest.raises(DomainError) as err:
        create_person(by=town.user("worker_a1"), grid=town.a1, name="李四", id_number=ID[:17] + "0")
    assert err.value.field == "id_number"


def test_masked_by_default(resident) -> None:
    assert resident.id_number_masked == ID[:6] + "********" + ID[-4:]
    assert resident.phone_masked == "139****5678"


def test_reveal_is_logged_with_the_reason(town, resident) -> None:
    office = town.user("town_office")
    value = reveal_value(resident, "id_number", by=office, reason="核对低保申请")
    assert value == ID
    log = AccessLog.objects.get()
    assert (log.username, log.action, log.field, log.reason) == (
        "town_office",
        AccessAction.REVEAL,
        "id_number",
        "核对低保申请",
    )
    assert log.object_id == str(resident.pk)


def test_reveal_needs_a_reason_and_a_role_that_allows_it(town, resident) -> None:
    with pytest.raises(DomainError):
        reveal_value(resident, "id_number", by=town.user("town_office"), reason=" ")
    with pytest.raises(PermissionDenied):
        reveal_value(resident, "id_number", by=town.user("worker_a1"), reason="看看")
    with pytest.raises(PermissionDenied):
        reveal_value(resident, "phone", by=town.user("leader"), reason="看看")
    assert reveal_value(resident, "phone", by=town.user("worker_a1"), reason="入户联系") == (
        "+86" + PHONE
    )
    assert AccessLog.objects.count() == 1


def test_out_of_scope_rows_are_invisible(town, resident) -> None:
    assert not Person.objects.visible_to(town.user("worker_b1")).exists()
    assert Person.objects.visible_to(town.user("village_a")).count() == 1


def test_closing_a_record_keeps_it_in_history(town, resident) -> None:
    close_person(resident, by=town.user("worker_a1"), on=dt.date(2026, 1, 5), reason="died")
    assert not Person.objects.current().exists()
    assert Person.objects.get().closed_reason == "died"
    with pytest.raises(DomainError):
        close_person(resident, by=town.user("worker_a1"), on=dt.date(2026, 1, 6))


def test_rotate_keys_reencrypts_under_the_newest_key(town, resident, monkeypatch) -> None:
    old = crypto.configured_field_keys()
    new = Fernet.generate_key().decode()
    monkeypatch.setenv(crypto.FIELD_KEYS_ENV, ",".join([new, *old]))
    call_command("rotate_keys", stdout=__import__("io").StringIO())
    tokens = dict(crypto.raw_tokens(Person, ["id_number", "phone"]))[resident.pk]
    assert all(crypto.is_under_newest_key(t) for t in tokens)
    # The old keys can now go.
    monkeypatch.setenv(crypto.FIELD_KEYS_ENV, new)
    again = Person.objects.get(pk=resident.pk)
    assert (again.id_number, again.phone) == (ID, "+86" + PHONE)
    assert crypto.rotate_keys()["registry.Person"] == 0


def test_phones_of_staff_and_case_reporters_are_encrypted_in_place(town) -> None:
    """What the 0005_h10 (people) and 0004_h10 (cases) data migrations do to rows stored in clear
    before: encrypt them and fill the blind index, leaving encrypted rows alone."""
    from gridgov.core.crypto import encrypt_column_in_place
    from gridgov.core.masking import normalise_phone_lenient
    from gridgov.people.models import Staff

    staff = town.user("worker_a1").staff
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE people_staff SET phone = %s, phone_index = NULL WHERE id = %s",
            ["+8613800000003", staff.pk],
        )

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection  # type: ignore[attr-defined]
    changed = encrypt_column_in_place(
        editor, Staff, "phone", "phone_index", normalise_phone_lenient
    )
    assert changed == 1
    assert (
        encrypt_column_in_place(editor, Staff, "phone", "phone_index", normalise_phone_lenient) == 0
    )
    tokens = dict(crypto.raw_tokens(Staff, ["phone"]))
    assert all(t[0].startswith("gAAAAA") for t in tokens.values() if t[0])
    assert Staff.objects.get(pk=staff.pk).phone == "+8613800000003"
    assert Staff.objects.filter(phone_index=crypto.blind_index("+8613800000003")).get() == staff
