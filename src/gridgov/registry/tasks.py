"""Background jobs of the registry (django-tasks, DB queue)."""

from __future__ import annotations

from django_tasks import task

from gridgov.registry.ledgers import uploads


@task()
def import_ledger_upload(upload_id: int) -> str:
    """Import a ledger uploaded on the web (see `ledgers.uploads.run_upload`); idempotent."""
    return uploads.run_upload(upload_id)
