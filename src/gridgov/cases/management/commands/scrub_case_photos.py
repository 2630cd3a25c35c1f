"""`gridgov scrub-case-photos`: re-encode the case photos stored before uploads were cleaned, so
none still carries the GPS position or device of whoever took it (cases/attachments.py). A photo
already clean is left as it is; the command can be run again safely."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gridgov.cases.attachments import scrub_stored_photo
from gridgov.cases.models import CaseAttachment


class Command(BaseCommand):
    help = "Remove EXIF/XMP metadata (GPS, device) from stored case photos"

    def handle(self, *args: Any, **options: Any) -> None:
        scrubbed = missing = 0
        for attachment in CaseAttachment.objects.order_by("pk").iterator():
            try:
                scrubbed += scrub_stored_photo(attachment)
            except (FileNotFoundError, OSError, ValueError):
                missing += 1
        self.stdout.write(f"scrubbed {scrubbed} photo(s); {missing} unreadable or missing")
