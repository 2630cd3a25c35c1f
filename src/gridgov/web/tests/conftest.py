"""Fixtures of the web tests: the case fixtures of the case page tests (cases reported and moved
along through the cases services)."""

from gridgov.cases.tests.pages.conftest import (  # noqa: F401 (fixtures, found by name)
    closed_case,
    fresh_cache,
    jpeg,
    media_in_tmp,
    report,
)
