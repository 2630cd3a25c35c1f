"""Ledger files uploaded on the web: queued, imported by the background task queue with the
progress saved on the upload row for the page to poll, one import at a time.

The file is stored encrypted (it holds ID numbers and phones) and dropped when the import ends.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks.exceptions import InvalidTaskError

from gridgov.core.crypto import fernet
from gridgov.core.errors import DomainError
from gridgov.registry.ledgers import LEDGERS, import_ledger
from gridgov.registry.ledgers.base import LedgerRejectedError, Progress
from gridgov.registry.models import LedgerUpload, UploadState

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

MAX_BYTES = 30 * 1024 * 1024
SUFFIXES = (".xlsx", ".xls", ".csv")
# A running import older than this lost its worker (killed, machine restarted): it is failed so
# the queue moves on. 100,000 persons take well under a minute.
STALE_AFTER = dt.timedelta(hours=1)
RETRY_AFTER = dt.timedelta(seconds=3)


def queue_upload(
    *, kind: str, file_name: str, content: bytes, dry_run: bool, by: User
) -> LedgerUpload:
    """Keep the file (encrypted) and queue its import once the upload is committed."""
    if kind not in LEDGERS:
        raise DomainError(_("未知的台账类型 %(k)s") % {"k": kind}, field="kind")
    if not file_name.lower().endswith(SUFFIXES):
        raise DomainError(_("只支持 .xlsx .xls .csv 文件"), field="file")
    if not content:
        raise DomainError(_("文件为空"), field="file")
    if len(content) > MAX_BYTES:
        raise DomainError(_("文件超过 30 MB,请分成几个文件上传"), field="file")
    upload = LedgerUpload.objects.create(
        kind=kind,
        file_name=Path(file_name).name[:200],
        content=fernet().encrypt(content),
        dry_run=dry_run,
        uploaded_by=by,
    )
    from gridgov.registry.tasks import import_ledger_upload

    transaction.on_commit(lambda: import_ledger_upload.enqueue(upload.pk))
    return upload


class UploadProgress(Progress):
    """Saves each step on the upload row, outside the import's transaction, for the page."""

    def __init__(self, pk: int) -> None:
        self.pk = pk

    def stage(self, name: str, done: int = 0, total: int = 0) -> None:
        LedgerUpload.objects.filter(pk=self.pk).update(stage=name, done=done, total=total)


def _claim(pk: int) -> bool | None:
    """Compare-and-set queued → running: True when claimed, False when another upload is
    importing (the partial unique index refuses a second running row), None when this one
    is no longer queued (already run)."""
    try:
        with transaction.atomic():
            claimed = LedgerUpload.objects.filter(pk=pk, state=UploadState.QUEUED).update(
                state=UploadState.RUNNING, started_at=timezone.now(), stage="reading"
            )
    except IntegrityError:
        LedgerUpload.objects.filter(
            state=UploadState.RUNNING, started_at__lt=timezone.now() - STALE_AFTER
        ).update(
            state=UploadState.FAILED,
            message=_("导入中断(进程退出),请重新上传"),
            content=b"",
            finished_at=timezone.now(),
        )
        return False
    return True if claimed else None


def run_upload(pk: int) -> str:
    """Import one queued upload; safe to run twice (the second run finds it claimed)."""
    claimed = _claim(pk)
    if claimed is None:
        return "not queued"
    if not claimed:
        from gridgov.registry.tasks import import_ledger_upload

        try:
            import_ledger_upload.using(run_after=timezone.now() + RETRY_AFTER).enqueue(pk)
        except InvalidTaskError:  # a backend that cannot defer (the in-process one): stay queued
            logger.warning("ledger upload %s stays queued: the task backend cannot defer", pk)
        return "waiting"
    upload = LedgerUpload.objects.select_related("uploaded_by").get(pk=pk)
    outcome: dict[str, object] = {"state": UploadState.DONE}
    try:
        result = import_ledger(
            upload.kind,
            Path(upload.file_name),
            by=upload.uploaded_by,
            dry_run=upload.dry_run,
            content=fernet().decrypt(bytes(upload.content)),
            progress=UploadProgress(pk),
        )
        outcome.update(rows=result.rows, created=result.created, updated=result.updated)
    except LedgerRejectedError as exc:
        outcome.update(
            state=UploadState.REJECTED,
            rows=exc.result.rows,
            errors=[[e.row, e.column, e.message] for e in exc.result.errors[:2000]],
            message=exc.message,
        )
    except DomainError as exc:  # the file itself: format, encoding, header
        outcome.update(state=UploadState.REJECTED, message=exc.message[:300])
    except Exception:  # a bug must not leave the upload running forever
        logger.exception("ledger upload %s failed", pk)
        outcome.update(state=UploadState.FAILED, message=_("导入失败,未写入任何数据"))
    LedgerUpload.objects.filter(pk=pk).update(
        content=b"", finished_at=timezone.now(), stage="", **outcome
    )
    return str(outcome["state"])
