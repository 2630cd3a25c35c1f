"""`gridgov open311-key create NAME [--scope GRID_CODE]` prints the new key alone on its last
line (shown once: only its hash is kept); `list` shows the keys and their use; `revoke NAME`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gridgov.core.errors import DomainError
from gridgov.open311 import services
from gridgov.open311.models import ApiKey


class Command(BaseCommand):
    help = "Open311 API keys: create NAME [--scope GRID_CODE] | list | revoke NAME"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key for an app; prints the key last")
        create.add_argument("name")
        create.add_argument("--scope", default="", help="grid code the app may report into")
        sub.add_parser("list", help="the keys, their scope and use")
        revoke = sub.add_parser("revoke", help="stop an app's key")
        revoke.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                key, raw = services.create_key(name=options["name"], scope_code=options["scope"])
                scope = key.scope.code if key.scope else "-"
                self.stdout.write(f"created key for {key.name} (scope {scope}); shown once:")
                self.stdout.write(raw)
            elif options["action"] == "revoke":
                key = services.revoke_key(name=options["name"])
                self.stdout.write(f"revoked {key.name}")
            else:
                for key in ApiKey.objects.select_related("scope").order_by("name"):
                    state = "revoked" if key.revoked_at else "active"
                    used = timezone.localtime(key.last_used_at) if key.last_used_at else "never"
                    self.stdout.write(
                        f"{key.name}\t{key.prefix}…\t{state}\t"
                        f"scope={key.scope.code if key.scope else '-'}\tuses={key.use_count}\t"
                        f"last={used}"
                    )
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from None
