"""Import of a persons ledger (台账) with its households from .xlsx, beside the time to read the
same file alone (issue 10). Target: 100,000 persons under 60 s on the 2-core machines.

    .venv/bin/python bench/bench_ledger.py [--persons 100000] [--db FILE | --pg URL]

Builds the test cast's town into a database of its own (SQLite file under var/ by default, or the
PostgreSQL database given), writes the ledger once into var/, imports it into an empty registry
and prints: read-only time, import time, ratio, then the time of importing the same file again
(every row an update). During both imports another thread writes one row every 0.2 s through
its own connection, as the rest of the platform would; it prints how many of those writes
succeeded and the longest any of them waited for the write lock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench_ledger.sqlite3")
    parser.add_argument("--pg", default="", help="postgres://… instead of the SQLite file")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.pg or f"sqlite:///{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gridgov.core.masking import id_check_digit
    from gridgov.core.testing.town import UNIT_A1, UNIT_A2, UNIT_B1, UNIT_B2, build_test_town
    from gridgov.registry.ledgers import (
        HOUSEHOLD_COLUMNS,
        PERSON_COLUMNS,
        import_ledger,
        read_rows,
        write_xlsx,
    )
    from gridgov.registry.models import Household, HouseholdTag, Person

    build_test_town()
    path = ROOT / "var" / f"bench_ledger_{args.persons}.xlsx"
    if not path.exists():
        rng = random.Random(10)
        rows = []
        grids = [UNIT_A1, UNIT_A2, UNIT_B1, UNIT_B2]
        household = 0
        left = 0
        for i in range(args.persons):
            if left == 0:
                household += 1
                left = rng.choice((1, 2, 2, 3, 3, 3, 4, 5))
                relation = "户主"
            else:
                relation = rng.choice(("配偶", "子", "女", "父亲", "母亲"))
            left -= 1
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 30000))
            first17 = f"410182{birth:%Y%m%d}{i % 1000:03d}"
            # Vary the region code so 100,000 numbers stay distinct.
            first17 = f"{410100 + i // 1000 % 100:06d}{first17[6:]}"
            number = first17 + id_check_digit(first17)
            row = dict.fromkeys(PERSON_COLUMNS, "")
            row.update(
                {
                    "姓名": f"居民{i}",
                    "公民身份号码": number,
                    "联系电话": f"139{i:08d}",
                    "人口类型": "户籍人口",
                    "现住地址": f"王村{household}号",
                    "所属网格": grids[household % 4],
                    "户编号": f"H{household:07d}",
                    "与户主关系": relation,
                    "政治面貌": "群众",
                }
            )
            rows.append([row[c] for c in PERSON_COLUMNS])
        write_xlsx(path, PERSON_COLUMNS, rows)
        del rows
    assert HOUSEHOLD_COLUMNS

    started = time.perf_counter()
    header, body = read_rows(path)
    read_s = time.perf_counter() - started
    print(f"read alone: {len(body):,} rows in {read_s:.1f} s")

    from auditlog.context import disable_auditlog

    with disable_auditlog():
        HouseholdTag.objects.all().delete()
        Household.objects.update(head=None)
        Person.objects.all().delete()
        Household.objects.all().delete()
    writer = ConcurrentWriter()
    started = time.perf_counter()
    with writer:
        result = import_ledger("persons", path, by=None)
    import_s = time.perf_counter() - started
    print(
        f"import: {result.created:,} persons, {result.households_created:,} households in "
        f"{import_s:.1f} s ({import_s / read_s:.1f} × reading) on {os.environ['DATABASE_URL'].split(':')[0]}"
    )
    print(f"target < 60 s: {'PASS' if import_s < 60 else 'FAIL'}")
    print(f"  meanwhile {writer.report()}")
    # A town re-imports its ledger after corrections: every row is then an update.
    writer = ConcurrentWriter()
    started = time.perf_counter()
    with writer:
        again = import_ledger("persons", path, by=None)
    reimport_s = time.perf_counter() - started
    print(
        f"re-import: {again.updated:,} persons updated in {reimport_s:.1f} s "
        f"({reimport_s / read_s:.1f} × reading)"
    )
    print(f"  meanwhile {writer.report()}")


class ConcurrentWriter:
    """Another user's short writes while an import runs: one row updated every 0.2 s on a
    connection of its own, each write timed (waiting for the write lock included)."""

    def __init__(self) -> None:
        import threading

        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.waits: list[float] = []
        self.failures: list[str] = []

    def __enter__(self) -> ConcurrentWriter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def run(self) -> None:
        from django.db import OperationalError, connection

        from gridgov.registry.models import CodeItem

        item = CodeItem.objects.first()
        try:
            while not self.stop.wait(0.2):
                started = time.perf_counter()
                try:
                    CodeItem.objects.filter(pk=item.pk).update(standard=f"t{len(self.waits)}")
                except OperationalError as exc:
                    self.failures.append(str(exc))
                    continue
                self.waits.append(time.perf_counter() - started)
        finally:
            connection.close()

    def report(self) -> str:
        longest = max(self.waits, default=0.0)
        failed = f", {len(self.failures)} failed ({self.failures[0]})" if self.failures else ""
        return (
            f"another connection wrote {len(self.waits)} times{failed}, "
            f"longest wait {longest:.2f} s"
        )


if __name__ == "__main__":
    main()
