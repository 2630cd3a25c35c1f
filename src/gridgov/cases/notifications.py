"""Who hears about a case step, sent through core.notify once the transaction commits (Zulip:
events go out on commit, so a rolled-back step never notifies anyone)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet

from gridgov.core.jurisdiction import Role

if TYPE_CHECKING:
    from gridgov.cases.models import Case
    from gridgov.core.notify import Text


_silenced: ContextVar[bool] = ContextVar("gridgov_cases_silenced", default=False)


@contextmanager
def silenced() -> Iterator[None]:
    """Send nothing from the block: replaying history (the demo) must not fill inboxes and SMS
    queues with news of events months old."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def case_url(case: Case) -> str:
    return f"/cases/{case.pk}/"


def handlers_of(department_ids: Iterable[int]) -> QuerySet[Any]:
    """Active users holding the handler role for one of these departments."""
    ids = list(department_ids)
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            jurisdictions__active=True,
            jurisdictions__role=Role.HANDLER,
            jurisdictions__department_id__in=ids,
        )
        .distinct()
    )


def operators_of(region_ids: Iterable[int]) -> QuerySet[Any]:
    """Active operators of the platforms serving these regions."""
    ids = list(region_ids)
    return (
        get_user_model()
        .objects.filter(
            Q(jurisdictions__region_id__in=ids) | Q(jurisdictions__grid__region_id__in=ids),
            is_active=True,
            jurisdictions__active=True,
            jurisdictions__role=Role.OFFICE,
        )
        .distinct()
    )


def notify_on_commit(
    users: Iterable[Any],
    *,
    kind: str,
    title: Text,
    body: Text,
    case: Case,
    by: Any = None,
) -> None:
    """Queue one in-app notification per user, sent after the surrounding transaction commits.

    The recipients and texts are read now (inside the transaction), the messages sent later;
    pass our own texts through `in_every_language` so each reader sees their language."""
    from gridgov.core.notify import notify

    if _silenced.get():
        return
    recipients = [u for u in users if by is None or u.pk != getattr(by, "pk", None)]
    if not recipients:
        return
    url = case_url(case)

    def send() -> None:
        for user in recipients:
            notify(user=user, kind=kind, title=title, body=body, url=url, target=case, by=by)

    transaction.on_commit(send)
