"""Services of the hotline app: imports and KPIs (imports.py), back-tracing rounds and tasks
(crosscheck.py)."""

from gridgov.hotline.services.crosscheck import (
    answer_backtrace,
    discovery_rates,
    review_backtrace,
    run_crosscheck,
)
from gridgov.hotline.services.imports import (
    HotlineKpis,
    ImportResult,
    hotline_kpis,
    import_hotline,
    month_bounds,
    read_table,
    starting_mapping,
)

__all__ = [
    "HotlineKpis",
    "ImportResult",
    "answer_backtrace",
    "discovery_rates",
    "hotline_kpis",
    "import_hotline",
    "month_bounds",
    "read_table",
    "review_backtrace",
    "run_crosscheck",
    "starting_mapping",
]
