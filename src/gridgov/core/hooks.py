"""Questions a lower app asks and a higher (or sibling) app answers, without importing it.

The import layers run one way (STYLE), and registry and cases are independent siblings: the
case intake needs to know a facility's owner (先属主后属地, STANDARDS.md), which only the
registry knows. The registry registers its answer here from its AppConfig.ready; cases asks
here. Without the registry installed the answer is "no such facility"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FacilityRef:
    """What the case intake and routing need to know of a public facility (部件)."""

    code: str
    name: str
    lon: float
    lat: float
    owner_id: int | None  # people.Department


FacilityLookup = Callable[[str], FacilityRef | None]

_facility_lookup: FacilityLookup | None = None


def register_facility_lookup(lookup: FacilityLookup) -> None:
    global _facility_lookup  # noqa: PLW0603 (one process-wide answer, set once at start-up)
    _facility_lookup = lookup


def find_facility(code: str) -> FacilityRef | None:
    """The open facility with this code, or None (also when no app answers)."""
    code = (code or "").strip()
    if not code or _facility_lookup is None:
        return None
    return _facility_lookup(code)
