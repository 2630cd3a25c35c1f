"""The hotline pages in English: no Chinese left but the town's own data."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client

from gridgov.cases.models import MatterClass, MatterItem
from gridgov.core.testing.town import UNIT_A1
from gridgov.grids.models import Grid, Region
from gridgov.hotline.services.crosscheck import run_crosscheck
from gridgov.hotline.services.tiers import propose_tiers
from gridgov.hotline.tests.test_api import make
from gridgov.hotline.tests.test_crosscheck import MONDAY
from gridgov.people.models import Staff

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")


def chinese_left(text: str) -> list[str]:
    """Chinese left once the town's names (grids, regions, catalogue, the cast) are removed."""
    from django.contrib.auth import get_user_model

    data = {"中文"}
    data |= set(Grid.objects.values_list("name", flat=True))
    data |= set(Region.objects.values_list("name", flat=True))
    data |= set(MatterItem.objects.values_list("name", flat=True))
    data |= set(MatterClass.objects.values_list("name", flat=True))
    data |= {u.get_full_name() for u in get_user_model().objects.all()}
    data |= set(Staff.objects.values_list("name", flat=True))
    for value in sorted(data - {""}, key=len, reverse=True):
        text = text.replace(value, "")
    return [text[max(0, m.start() - 30) : m.end() + 30] for m in CJK.finditer(text)]


@pytest.mark.parametrize(
    "url",
    [
        "/hotline/import/",
        "/hotline/discovery/?start=2026-03-01&end=2026-03-31",
        "/hotline/rounds/1/",
        "/hotline/tiers/?quarter=2026Q1",
        "/hotline/kpis/?source=s12345&year=2026",
        "/hotline/unclassified/",
    ],
)
def test_hotline_pages_in_english(town, url):
    make("A", UNIT_A1)
    run_crosscheck(start=MONDAY, end=MONDAY + dt.timedelta(days=6), by=None)
    propose_tiers(quarter="2026Q1", by=None)
    client = Client()
    client.force_login(town.user("town_office"))
    client.cookies["django_language"] = "en"
    response = client.get(url)
    assert response.status_code == 200
    assert chinese_left(html.unescape(response.content.decode())) == []
