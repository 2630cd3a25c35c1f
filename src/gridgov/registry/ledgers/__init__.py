"""Ledgers (台账) in Excel as a town keeps them (seed 003 "整理台账记录"): templates, all-or-nothing
imports with row-numbered errors, and exports masked unless the exporter may and says why.

Rows are numbered as Excel shows them (the header is row 1). Files: .xlsx and .xls (calamine),
CSV in UTF-8 with or without BOM, or GBK. Re-import updates by the natural key of each kind.
Each kind is one `LedgerKind` row of `LEDGERS`; the functions below serve them all.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.errors import DomainError
from gridgov.grids.models import Grid
from gridgov.registry import permissions
from gridgov.registry.ledgers.base import (
    NO_PROGRESS,
    LedgerFileError,
    LedgerKind,
    LedgerRejectedError,
    LedgerResult,
    Progress,
    RowError,
    read_rows,
    records,
    write_xlsx,
)
from gridgov.registry.ledgers.places import BUILDINGS, FACILITIES, ORGANISATIONS
from gridgov.registry.ledgers.residents import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLDS,
    PERSON_COLUMNS,
    PERSONS,
)
from gridgov.registry.ledgers.roster import STAFF
from gridgov.registry.models import AccessAction
from gridgov.registry.services import log_access, territory_grid

if TYPE_CHECKING:
    from gridgov.registry.ledgers.base import AnyUser

LEDGERS: dict[str, LedgerKind] = {
    spec.kind: spec for spec in (BUILDINGS, HOUSEHOLDS, PERSONS, ORGANISATIONS, FACILITIES, STAFF)
}
KINDS = tuple(LEDGERS)
KIND_LABELS = {
    "buildings": gettext_lazy("房屋"),
    "households": gettext_lazy("户"),
    "persons": gettext_lazy("实有人口"),
    "organisations": gettext_lazy("组织/单位"),
    "facilities": gettext_lazy("部件"),
    "staff": gettext_lazy("花名册"),
}
COLUMNS = {kind: spec.columns for kind, spec in LEDGERS.items()}

__all__ = [
    "COLUMNS",
    "HOUSEHOLD_COLUMNS",
    "KINDS",
    "KIND_LABELS",
    "LEDGERS",
    "PERSON_COLUMNS",
    "LedgerFileError",
    "LedgerRejectedError",
    "LedgerResult",
    "Progress",
    "RowError",
    "export_ledger",
    "import_ledger",
    "read_rows",
    "write_template",
    "write_xlsx",
]


def ledger(kind: str) -> LedgerKind:
    if kind not in LEDGERS:
        raise LedgerFileError(_("未知的台账类型 %(k)s") % {"k": kind})
    return LEDGERS[kind]


def import_ledger(
    kind: str,
    path: Path,
    *,
    by: AnyUser,
    dry_run: bool = False,
    content: bytes | None = None,
    progress: Progress = NO_PROGRESS,
) -> LedgerResult:
    """All or nothing: raises LedgerRejectedError (with every bad row) and writes nothing."""
    spec = ledger(kind)
    progress.stage("reading")
    header, body = read_rows(path, content)
    rows = records(header, body, columns=spec.columns, required=spec.required)
    return spec.importer(rows, by=by, dry_run=dry_run, progress=progress)


def write_template(kind: str, target: Path | io.BytesIO) -> None:
    write_xlsx(target, ledger(kind).columns, [])


def export_ledger(
    kind: str,
    target: Path | io.BytesIO,
    *,
    by: AnyUser,
    grid: Grid | None = None,
    clear_reason: str = "",
) -> int:
    """Write the ledger of `grid`'s subtree (everything visible when None). Values are masked
    unless `clear_reason` is given by a user who may export clear values; that is logged."""
    spec = ledger(kind)
    clear = bool(clear_reason.strip())
    if clear and by is not None and not permissions.can_export_clear(by):
        raise DomainError(_("您的角色不能导出明文"), field="reason")
    rows = spec.exporter(by=by, grid=grid, clear=clear)
    write_xlsx(target, spec.columns, rows)
    if clear:
        log_access(
            by=by,
            action=AccessAction.EXPORT,
            target=f"ledger:{kind}",
            object_id=grid.code if grid else "",
            rows=len(rows),
            reason=clear_reason.strip(),
            grid=grid or territory_grid(by),
        )
    return len(rows)
