"""Fixtures of the hotline tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def chinese_messages() -> Iterator[None]:
    """Messages in the default language: a test client request in English leaves English
    active in the thread for whatever runs next."""
    with translation.override("zh-hans"):
        yield
