"""Registry test helpers: valid ID numbers, and users of the two registry roles."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.jurisdiction import Role, forget_scope
from gridgov.core.masking import id_check_digit
from gridgov.core.testing.town import PASSWORD, Town
from gridgov.people.services import create_user, grant_role


def make_id(serial: int, birth: dt.date = dt.date(1980, 1, 1), region: str = "410182") -> str:
    first17 = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + id_check_digit(first17)


@pytest.fixture
def special_officer(town: Town):
    """综治专干 of village A."""
    user = create_user(username="special_a", password=PASSWORD)
    grant_role(user=user, role=Role.SPECIAL, grid=town.village_a)
    forget_scope(user)
    return user


@pytest.fixture
def discipline_officer(town: Town):
    user = create_user(username="discipline", password=PASSWORD)
    grant_role(user=user, role=Role.DISCIPLINE, grid=town.town)
    forget_scope(user)
    return user
