"""Fixtures of the case page tests (and of the shell's tests in web/tests, which import them):
cases reported and moved along through the cases services, on the project's own URLs."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from gridgov.cases import services
from gridgov.cases.models import Case, Channel, MatterItem
from gridgov.cases.services.intake import report_case
from gridgov.core.testing.town import INSIDE, UNIT_A1, Town


def jpeg(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 140, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def api_only_urls() -> None:
    """The pages need the project's URLs, not the API-only ones of the other case tests."""


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def report(town: Town) -> Callable[..., Case]:
    """`report(grid=UNIT_A1, item="0401", by="worker_a1")`: a patrol report at a point of that
    unit grid."""

    def make(
        grid: str = UNIT_A1,
        item: str = "0401",
        by: str = "worker_a1",
        description: str = "河边有暗管排污",
    ) -> Case:
        lon, lat = INSIDE[grid]
        return report_case(
            by=town.user(by),
            channel=Channel.PATROL,
            description=description,
            item=MatterItem.objects.get(code=item),
            lon=lon,
            lat=lat,
        ).case

    return make


@pytest.fixture
def closed_case(town: Town, report: Callable[..., Case]) -> Case:
    """A report taken all the way to closure: village → town → environment office → worker."""
    case = report()
    village, office = town.user("village_a"), town.user("town_office")
    case = services.accept_case(case=case, by=village)
    case = services.escalate_case(case=case, by=village, note="需镇环保所处理")
    case = services.dispatch_case(case=case, by=office, to=town.env)
    handler = town.user("env_handler")
    case = services.handle_case(case=case, by=handler)
    case = services.feedback_case(case=case, by=handler, result="已封堵暗管")
    case = services.verify_case(case=case, by=town.user("worker_a1"), passed=True)
    return services.close_case(case=case, by=office)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """Throttle counters live in the cache: each test starts with none."""
    from gridgov.core.testing.fixtures import clear_cache

    clear_cache()
    yield
    clear_cache()
