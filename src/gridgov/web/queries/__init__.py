"""Reads the shell's pages need that span several models, one module per concern: the queue
names of the navigation, deadlines, the command centre's map and figures, a grid's card and the
inbox (the case page and the printable slips are the cases app's: cases/reads). They return
querysets and dataclasses; views render them and never write (writes go through the owning
app's services)."""

from __future__ import annotations

from gridgov.cases.filters import STATE_GROUPS, CaseFilters, local_midnight, month_start
from gridgov.cases.models import PlatformLevel
from gridgov.web.queries.command import (
    MAX_MARKERS,
    CommandFigures,
    Tiles,
    UnitRates,
    command_figures,
    command_tiles,
    filtered_cases,
    map_grids,
    root_grids,
    subordinate_units,
    unit_rates,
)
from gridgov.web.queries.deadlines import DeadlineInfo, deadline_info, request_calendar
from gridgov.web.queries.grid_card import DutyPerson, GridCard, MonthFigures, grid_card
from gridgov.web.queries.queues import QUEUE_LABELS, queue_counts

__all__ = [
    "MAX_MARKERS",
    "QUEUE_LABELS",
    "STATE_GROUPS",
    "CaseFilters",
    "CommandFigures",
    "DeadlineInfo",
    "DutyPerson",
    "GridCard",
    "MonthFigures",
    "PlatformLevel",
    "Tiles",
    "UnitRates",
    "command_figures",
    "command_tiles",
    "deadline_info",
    "filtered_cases",
    "grid_card",
    "local_midnight",
    "map_grids",
    "month_start",
    "queue_counts",
    "request_calendar",
    "root_grids",
    "subordinate_units",
    "unit_rates",
]
