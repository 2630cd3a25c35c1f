"""Change-log registration of the oversight data the office edits (rules and schemes)."""

from __future__ import annotations

from auditlog.registry import auditlog


def register_oversight_models() -> None:
    """Called from OversightConfig.ready (framework wiring only, STYLE)."""
    from gridgov.oversight.models import Scheme, SchemeItem, WarningRule

    for model in (Scheme, SchemeItem, WarningRule):
        if not auditlog.contains(model):
            auditlog.register(model)
