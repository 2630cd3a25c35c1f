"""pytest fixtures shared by every app's tests (registered from the root conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from gridgov.core.testing.town import Town, build_test_town


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """The cast is built once per session, inside the test database."""
    with django_db_blocker.unblock():
        build_test_town()
    return


@pytest.fixture
def town(db: None) -> Town:
    return Town()


@pytest.fixture
def town_tx(transactional_db: None) -> Town:
    """For transaction=True tests: they flush the database afterwards, so rebuild first."""
    build_test_town()
    return Town()


@pytest.fixture
def client_for(db: None) -> Callable[[str], Client]:
    """`client_for("worker_a1")`: a test client logged in as that member of the cast."""
    from django.contrib.auth import get_user_model

    def make(username: str) -> Client:
        client = Client()
        if username:
            client.force_login(get_user_model().objects.get(username=username))
        return client

    return make
