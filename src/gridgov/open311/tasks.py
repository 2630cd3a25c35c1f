"""The Open311 intake queue: one task per submission, safe to run twice (services.process)."""

from __future__ import annotations

from django_tasks import task

from gridgov.open311 import services


@task()
def process_submission(submission_id: int) -> None:
    services.process(submission_id)
