"""`gridgov rotate-keys`: re-encrypt every encrypted column under the newest field key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gridgov.core.crypto import DecryptionError, rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (ID numbers, phones) under the newest key. Put the new "
        "key first in GRIDGOV_FIELD_KEYS and keep the old ones after it; when this has run, the "
        "old keys can be removed. Rows already under the newest key are skipped, so a run that "
        "stopped half-way can simply be started again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = rotate_keys()
        except DecryptionError as exc:
            raise CommandError(str(exc)) from None
        for label, count in sorted(counts.items()):
            self.stdout.write(f"{label}: {count} rows re-encrypted")
        self.stdout.write(f"total: {sum(counts.values())}")
