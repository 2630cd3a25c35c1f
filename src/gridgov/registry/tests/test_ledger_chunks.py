"""A large ledger import writes in short transactions, chunk by chunk, so other writes of the
platform get the SQLite write lock between chunks instead of failing with "database is locked"
for the whole import; a failure in a later chunk undoes the earlier ones (all or nothing)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from gridgov.core.testing.town import UNIT_A1, UNIT_A2
from gridgov.registry.ledgers import HOUSEHOLD_COLUMNS, base, import_ledger, residents
from gridgov.registry.models import CodeItem, Household, HouseholdTag, Person
from gridgov.registry.tests.test_ledgers import HEADER, person_row, xlsx

CHUNK = 40


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "CHUNK_ROWS", CHUNK)


@pytest.fixture
def code_tables(transactional_db: None) -> None:
    """The national code tables the ledgers check against, as the registry migration loads
    them: an earlier transactional test may have flushed them (serialized_rollback cannot
    restore them here: its reload collides with the rows a non-transactional run left)."""
    from importlib import import_module

    from django.apps import apps

    import_module("gridgov.registry.migrations.0002_code_tables").load(apps, None)


def persons(first: int, count: int) -> list[list[Any]]:
    """`count` persons from serial `first`, ten to a household (H-<n>), two grids."""
    return [
        person_row(
            s,
            household=f"H-{s // 10}",
            grid=UNIT_A1 if s % 2 else UNIT_A2,
            **{"与户主关系": "户主" if s % 10 == 0 else "子"},
        )
        for s in range(first, first + count)
    ]


class WriteBetweenChunks(base.Progress):
    """At each committed chunk: is a transaction still open here, how many persons does
    another connection see, and can another connection write (it would be refused or kept
    waiting while the import held the write lock)?"""

    def __init__(self) -> None:
        self.seen: list[tuple[int, bool, int]] = []
        self.written = 0

    def stage(self, name: str, done: int = 0, total: int = 0) -> None:
        if name != "writing" or done == 0:
            return
        outside: dict[str, int] = {}

        def other_connection() -> None:
            from django.db import connections

            try:
                outside["persons"] = Person.objects.count()
                CodeItem.objects.create(table="ethnicity", code=f"9{done}", name=f"t{done}")
                outside["wrote"] = 1
            finally:
                connections.close_all()

        thread = threading.Thread(target=other_connection)
        thread.start()
        thread.join(30)
        self.written += outside.get("wrote", 0)
        self.seen.append((done, connection.in_atomic_block, outside.get("persons", -1)))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("small_chunks", "code_tables")
def test_a_large_import_commits_chunk_by_chunk_and_others_write_meanwhile(
    town_tx: Any, tmp_path: Any
) -> None:
    progress = WriteBetweenChunks()
    path = xlsx(tmp_path, HEADER, persons(1, 200))
    result = import_ledger("persons", path, by=None, progress=progress)
    assert (result.created, result.updated) == (200, 0)
    # 200 persons in chunks of 40: five commits, each seen by another connection at once.
    assert progress.seen == [
        (40, False, 40),
        (80, False, 80),
        (120, False, 120),
        (160, False, 160),
        (200, False, 200),
    ]
    assert progress.written == 5
    assert Person.objects.count() == 200
    assert Household.objects.count() == 21  # H-0 … H-20
    assert Household.objects.get(number="H-3").head.name == "居民30"


def failing_on_call(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, call: int) -> None:
    """Make `module.name` raise on its `call`-th call (a disk full, a bug) part-way through."""
    real = getattr(module, name)
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == call:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("small_chunks", "code_tables")
def test_a_failure_in_a_later_chunk_undoes_what_the_import_wrote(
    town_tx: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_ledger("persons", xlsx(tmp_path, HEADER, persons(1, 30)), by=None)
    before = {
        p.id_number_index: (p.name, p.phone, p.grid_id, p.household_id, p.updated_at)
        for p in Person.objects.all()
    }
    heads = dict(Household.objects.values_list("number", "head_id"))
    assert len(before) == 30
    assert len(heads) == 4

    # Re-import: the first 30 renamed with new phones (updates), 170 new persons in new
    # households; the fourth chunk of persons fails after three were committed.
    rows = persons(1, 200)
    for row in rows[:30]:
        row[HEADER.index("姓名")] = "改过的名字"
        row[HEADER.index("联系电话")] = "13912349999"
    failing_on_call(monkeypatch, residents, "fast_update", 4)
    with pytest.raises(OSError, match="disk full"):
        import_ledger("persons", xlsx(tmp_path, HEADER, rows), by=None)

    after = {
        p.id_number_index: (p.name, p.phone, p.grid_id, p.household_id, p.updated_at)
        for p in Person.objects.all()
    }
    assert after == before
    assert dict(Household.objects.values_list("number", "head_id")) == heads

    # The same file again, nothing failing: every row written.
    monkeypatch.undo()
    monkeypatch.setattr(base, "CHUNK_ROWS", CHUNK)
    result = import_ledger("persons", xlsx(tmp_path, HEADER, rows), by=None)
    assert (result.created, result.updated) == (170, 30)
    assert Person.objects.filter(name="改过的名字").count() == 30


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("small_chunks", "code_tables")
def test_a_households_import_failing_part_way_leaves_households_and_tags_as_they_were(
    town_tx: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = [
        [f"K{n:03d}", "", f"王村{n}号", UNIT_A1, "家庭户", "空巢老人户", ""] for n in range(50)
    ]
    import_ledger("households", xlsx(tmp_path, HOUSEHOLD_COLUMNS, first), by=None)
    tags_before = sorted(HouseholdTag.objects.values_list("household__number", "kind", "until"))
    addresses = dict(Household.objects.values_list("number", "address"))
    assert len(tags_before) == 50

    # Every household moves and changes its tag (the old one closes today), 100 new ones;
    # the third chunk fails after the first two were committed.
    second = [
        [f"K{n:03d}", "", f"新址{n}号", UNIT_A1, "家庭户", "低保五保户", ""] for n in range(150)
    ]
    failing_on_call(monkeypatch, residents, "update_objects", 3)
    with pytest.raises(OSError, match="disk full"):
        import_ledger("households", xlsx(tmp_path, HOUSEHOLD_COLUMNS, second), by=None)
    assert dict(Household.objects.values_list("number", "address")) == addresses
    assert sorted(HouseholdTag.objects.values_list("household__number", "kind", "until")) == (
        tags_before
    )
    assert Household.objects.count() == 50
